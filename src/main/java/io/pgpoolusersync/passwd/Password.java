package io.pgpoolusersync.passwd;

/**
 * A user's password as it travels through a tick. Nothing outside this package can read it: no public
 * accessor, no bean property for Camel's simple language or Jackson, and a redacted {@link #toString()}.
 * Only a {@link PasswordEncoder} turns it into the text of a pool_passwd entry.
 */
public final class Password {

    private final String text;

    private Password(String text) {
        this.text = text;
    }

    public static Password of(String text) {
        if (text == null) {
            throw new IllegalArgumentException("a password cannot be null");
        }
        return new Password(text);
    }

    /** For the encoders of this package only. */
    String text() {
        return text;
    }

    @Override
    public String toString() {
        return "Password[redacted]";
    }
}
