package io.pgpoolusersync.passwd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The pgpool key file (.pgpoolkey), read exactly as pgpool's {@code read_pool_key} (src/auth/pool_passwd.c)
 * and {@code pg_enc} read it: {@code fgets} into a 256-byte buffer, used as a C string. So the key is the
 * first line without its LF, at most 255 bytes, cut at the first NUL; a chunk that starts with NUL is
 * skipped and the next one is read. An empty first line is an empty key, which pgpool uses as it is.
 */
public final class KeyFile {

    /** pgpool's MAX_POOL_KEY_LEN (256) minus the C string's terminator. */
    public static final int MAX_KEY_BYTES = 255;

    private KeyFile() {
    }

    /**
     * Reads the key text. A CR or trailing space is part of the key, as in pgpool.
     *
     * @throws IOException with the path and the reason when the file is missing, unreadable or holds no key
     */
    public static byte[] read(Path path) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new IOException("cannot read key file " + path + ": " + reason(e), e);
        }
        byte[] key = parse(bytes);
        if (key == null) {
            throw new IOException("key file " + path + " holds no key (" + (bytes.length == 0 ? "it is empty"
                    : "every line starts with a NUL byte") + "): pgpool and pg_enc would load none");
        }
        return key;
    }

    /** The key pgpool would load from these bytes, or null when it would load none. */
    public static byte[] parse(byte[] bytes) {
        int start = 0;
        while (start < bytes.length) {
            // One fgets(buf, 256): up to 255 bytes, ending after the first LF.
            int end = start;
            while (end < bytes.length && end - start < MAX_KEY_BYTES) {
                if (bytes[end++] == '\n') {
                    break;
                }
            }
            int length = 0; // strlen
            while (start + length < end && bytes[start + length] != 0) {
                length++;
            }
            if (length > 0) {
                if (bytes[start + length - 1] == '\n') {
                    length--;
                }
                return Arrays.copyOfRange(bytes, start, start + length);
            }
            start = end;
        }
        return null;
    }

    /** The JDK's messages are a bare path (NoSuchFileException) or lack it ("Is a directory"): in words. */
    private static String reason(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file or folder";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null) {
            return fs.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
