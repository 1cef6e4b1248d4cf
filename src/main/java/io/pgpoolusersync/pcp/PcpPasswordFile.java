package io.pgpoolusersync.pcp;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The PCP password as a mounted Secret key: the file's first line, without its line end. Read at every
 * PCP connection (a few bytes), so that a rotated or corrected password is used without a restart.
 */
public final class PcpPasswordFile implements PcpClient.Password {

    private final Path file;

    public PcpPasswordFile(Path file) {
        this.file = file;
    }

    @Override
    public String get() throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IOException("PCP password file " + file + " is not UTF-8 text", e);
        } catch (IOException e) {
            throw new IOException("cannot read PCP password file " + file + ": " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()), e);
        }
        String line = text.lines().findFirst().orElse("");
        if (line.isEmpty()) {
            throw new IOException("PCP password file " + file + " is empty: its first line is the password");
        }
        return line;
    }
}
