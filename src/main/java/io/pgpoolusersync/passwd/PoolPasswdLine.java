package io.pgpoolusersync.passwd;

import java.nio.charset.StandardCharsets;

/**
 * One line of pool_passwd. {@code raw} is the line's bytes without its LF, kept so that entries we do
 * not manage are written back byte for byte; {@code user} is null when the line has no user field.
 */
public record PoolPasswdLine(byte[] raw, String user, String secret) {

    /** An entry we write: the user name escaped as pgpool's parser expects. */
    public static PoolPasswdLine entry(String user, String secret) {
        String text = escape(user) + ":" + secret;
        return new PoolPasswdLine(text.getBytes(StandardCharsets.UTF_8), user, secret);
    }

    /**
     * Parses a line as pgpool does: {@code \} escapes the next character of the user name, the first
     * unescaped {@code :} ends it, the rest is the password text, nothing trimmed.
     */
    public static PoolPasswdLine parse(byte[] raw) {
        String text = new String(raw, StandardCharsets.UTF_8);
        StringBuilder user = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length()) {
                user.append(text.charAt(++i));
            } else if (c == ':') {
                return new PoolPasswdLine(raw, user.toString(), text.substring(i + 1));
            } else {
                user.append(c);
            }
        }
        return new PoolPasswdLine(raw, null, null);
    }

    /** pg_enc escapes nothing; pgpool needs {@code \:} and {@code \\} in user names and TEXT passwords. */
    public static String escape(String user) {
        return user.replace("\\", "\\\\").replace(":", "\\:");
    }
}
