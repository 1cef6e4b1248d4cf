package io.pgpoolusersync.passwd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** The pgpool key file (.pgpoolkey): its first line, one trailing LF stripped, exactly as pgpool reads it. */
public final class KeyFile {

    private KeyFile() {
    }

    /**
     * Reads the key text. A CR or trailing space is part of the key, as in pgpool.
     *
     * @throws IOException with the path and the reason when the file is missing, unreadable or empty
     */
    public static byte[] read(Path path) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new IOException("cannot read key file " + path + ": " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()), e);
        }
        int end = 0;
        while (end < bytes.length && bytes[end] != '\n') {
            end++;
        }
        if (end == 0) {
            throw new IOException("key file " + path + " is empty: its first line is the pgpool key");
        }
        return Arrays.copyOf(bytes, end);
    }
}
