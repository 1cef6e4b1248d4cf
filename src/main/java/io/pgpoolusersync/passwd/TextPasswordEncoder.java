package io.pgpoolusersync.passwd;

/** Clear text, {@code TEXT<password>}: serves every login method, and anyone who can read the file. */
public final class TextPasswordEncoder implements PasswordEncoder {

    /** pgpool cuts tokens at 128 characters; 4 go to the prefix. */
    public static final int MAX_PASSWORD_BYTES = 124;

    @Override
    public String encode(String user, String password) {
        return "TEXT" + password;
    }
}
