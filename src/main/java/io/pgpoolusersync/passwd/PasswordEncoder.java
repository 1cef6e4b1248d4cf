package io.pgpoolusersync.passwd;

/** Turns a user's password into the text after {@code user:} in pool_passwd. */
public interface PasswordEncoder {

    /** The entry text, e.g. {@code AES...}, {@code md5...} or {@code TEXT...}. Deterministic. */
    String encode(String user, String password);
}
