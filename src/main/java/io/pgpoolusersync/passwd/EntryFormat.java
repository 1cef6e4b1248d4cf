package io.pgpoolusersync.passwd;

import java.io.IOException;
import java.util.Locale;

/** The pool_passwd entry formats we write. AES is the default: it serves scram-sha-256 logins. */
public enum EntryFormat {
    AES, MD5, TEXT;

    /** Parses {@code aes}, {@code md5} or {@code text}, in any case. */
    public static EntryFormat parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown format '" + text + "': use aes, md5 or text", e);
        }
    }

    /**
     * The longest password, in UTF-8 bytes, whose entry pgpool can still read: its parser cuts tokens at
     * 128 characters (docs/PGPOOL.md). An md5 entry is always 35 characters.
     */
    public int maxPasswordBytes() {
        return switch (this) {
            case AES -> AesPasswordEncoder.MAX_PASSWORD_BYTES;
            case MD5 -> Integer.MAX_VALUE;
            case TEXT -> TextPasswordEncoder.MAX_PASSWORD_BYTES;
        };
    }

    /** The encoder for this format; only AES asks for the key. */
    public PasswordEncoder encoder(KeySource key) throws IOException {
        return switch (this) {
            case AES -> new AesPasswordEncoder(key.key());
            case MD5 -> new Md5PasswordEncoder();
            case TEXT -> new TextPasswordEncoder();
        };
    }
}
