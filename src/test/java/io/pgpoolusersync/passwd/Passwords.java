package io.pgpoolusersync.passwd;

/** For tests only: the text of a {@link Password}, which main code outside passwd/ cannot read. */
public final class Passwords {

    private Passwords() {
    }

    public static String reveal(Password password) {
        return password.text();
    }
}
