package io.pgpoolusersync.it;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.pgpoolusersync.passwd.AesPasswordEncoder;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything our sync logs during a suite: System.out and System.err of this JVM (slf4j-simple writes to
 * System.err and looks the stream up on every write, so replacing it catches the in-process app), plus
 * the output of child JVMs, added line by line. The original streams still get every byte.
 */
final class LogCapture implements AutoCloseable {

    /** An AES entry as pg_enc writes it: "AES" and the base64 of at least one 16-byte block. */
    private static final Pattern AES_ENTRY = Pattern.compile("AES[A-Za-z0-9+/]{22}");

    private final PrintStream originalOut = System.out;
    private final PrintStream originalErr = System.err;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

    private LogCapture() {
    }

    static LogCapture install() {
        LogCapture capture = new LogCapture();
        System.setOut(new PrintStream(capture.tee(capture.originalOut), true, UTF_8));
        System.setErr(new PrintStream(capture.tee(capture.originalErr), true, UTF_8));
        return capture;
    }

    private OutputStream tee(PrintStream original) {
        return new OutputStream() {
            @Override
            public void write(int b) {
                synchronized (buffer) {
                    buffer.write(b);
                }
                original.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                synchronized (buffer) {
                    buffer.write(b, off, len);
                }
                original.write(b, off, len);
            }

            @Override
            public void flush() {
                original.flush();
            }
        };
    }

    /** A line a child JVM printed; also shown on the console, prefixed. */
    void addChildLine(String prefix, String line) {
        byte[] bytes = (prefix + line + "\n").getBytes(UTF_8);
        synchronized (buffer) {
            buffer.write(bytes, 0, bytes.length);
        }
        originalErr.println(prefix + line);
    }

    String text() {
        synchronized (buffer) {
            return buffer.toString(UTF_8);
        }
    }

    /**
     * What in {@code log} gives a secret away: a password (as a word of its own, so that "12345" is not
     * found inside a port number), its base64 (what a Secret's toString would print), its AES entry, or
     * anything shaped like an AES entry.
     */
    static List<String> leaks(String log, Collection<String> passwords, byte[] key) {
        AesPasswordEncoder aes = new AesPasswordEncoder(key);
        List<String> found = new ArrayList<>();
        for (String password : passwords) {
            Pattern word = Pattern.compile("(?<![A-Za-z0-9])" + Pattern.quote(password) + "(?![A-Za-z0-9])");
            if (word.matcher(log).find()) {
                found.add("a password (" + password.length() + " chars)");
            }
            String base64 = Base64.getEncoder().encodeToString(password.getBytes(UTF_8));
            if (log.contains(base64)) {
                found.add("the base64 of a password (" + password.length() + " chars)");
            }
            String entry = aes.encode("", password);
            if (log.contains(entry.substring(3))) {
                found.add("the AES entry of a password (" + password.length() + " chars)");
            }
        }
        Matcher m = AES_ENTRY.matcher(log);
        while (m.find()) {
            found.add("an AES entry at offset " + m.start());
        }
        return found;
    }

    @Override
    public void close() {
        System.setOut(originalOut);
        System.setErr(originalErr);
    }
}
