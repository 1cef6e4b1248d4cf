package io.pgpoolusersync.passwd;

/**
 * Clear text, {@code TEXT<password>}: serves every login method, and anyone who can read the file.
 * pgpool reads the password field with the user name's rules (getNextToken, src/auth/pool_passwd.c):
 * {@code \} escapes the next character and an unescaped {@code :} ends the field, so both are escaped.
 */
public final class TextPasswordEncoder implements PasswordEncoder {

    /** pgpool cuts tokens at 128 unescaped characters; 4 go to the prefix. */
    public static final int MAX_PASSWORD_BYTES = 124;

    @Override
    public String encode(String user, String password) {
        return "TEXT" + PoolPasswdLine.escape(password);
    }
}
