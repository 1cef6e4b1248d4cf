package io.pgpoolusersync.passwd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyFileTest {

    @TempDir
    Path dir;

    private byte[] read(String content) throws IOException {
        Path file = dir.resolve("key");
        Files.write(file, content.getBytes(StandardCharsets.UTF_8));
        return KeyFile.read(file);
    }

    @Test
    void firstLineWithoutItsLineFeed() throws IOException {
        assertArrayEquals("secret".getBytes(), read("secret\nsecond line\n"));
        assertArrayEquals("secret".getBytes(), read("secret"));
    }

    @Test
    void carriageReturnAndTrailingSpaceArePartOfTheKey() throws IOException {
        assertArrayEquals("secret\r".getBytes(), read("secret\r\n"));
        assertArrayEquals("secret ".getBytes(), read("secret \n"));
    }

    @Test
    void missingFileIsAClearError() {
        IOException e = assertThrows(IOException.class, () -> KeyFile.read(dir.resolve("absent")));
        assertTrue(e.getMessage().contains("cannot read key file") && e.getMessage().contains("absent"), e.getMessage());
    }

    @Test
    void emptyFirstLineIsAClearError() {
        IOException e = assertThrows(IOException.class, () -> read("\nsecret\n"));
        assertTrue(e.getMessage().contains("is empty"), e.getMessage());
    }
}
