package io.pgpoolusersync.passwd;

/** Turns a user's password into the text after {@code user:} in pool_passwd. */
public interface PasswordEncoder {

    /** The entry text, e.g. {@code AES...}, {@code md5...} or {@code TEXT...}. Deterministic. */
    String encode(String user, String password);

    /** The same for a password held as {@link Password}, which only this package can read. */
    default String encode(String user, Password password) {
        return encode(user, password.text());
    }
}
