package io.pgpoolusersync.passwd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
        // As the tick's log prints it: the file once, and why in words.
        assertEquals("cannot read key file " + dir.resolve("absent") + ": no such file or folder",
                io.pgpoolusersync.tick.ErrorText.of(e));
    }

    @Test
    void emptyFirstLineIsAnEmptyKeyAsInPgpool() throws IOException {
        assertArrayEquals(new byte[0], read("\nsecret\n"));
    }

    @Test
    void emptyFileIsAClearError() {
        IOException e = assertThrows(IOException.class, () -> read(""));
        assertTrue(e.getMessage().contains("holds no key") && e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void atMost255BytesOfTheFirstLine() throws IOException {
        String line = "k".repeat(300);
        assertArrayEquals("k".repeat(255).getBytes(), read(line + "\n"));
    }

    @Test
    void endsAtTheFirstNulAndSkipsAChunkThatStartsWithOne() throws IOException {
        assertArrayEquals("abc".getBytes(), read("abc\0def\n"));
        assertArrayEquals("xyz".getBytes(), read("\0abc\nxyz\n"));
        IOException e = assertThrows(IOException.class, () -> read("\0abc\n"));
        assertTrue(e.getMessage().contains("NUL"), e.getMessage());
    }
}
