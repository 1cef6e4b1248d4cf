package io.pgpoolusersync.passwd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the real pg_enc on random keys and passwords and compares its entries with ours, byte for byte.
 * Skipped on a developer machine without pgpool2; in CI (CI=true) a missing pg_enc is a failure.
 */
class PgEncDifferentialTest {

    private static final Path PG_ENC = Path.of("/usr/sbin/pg_enc");
    private static final int CASES = 40;

    @Test
    void randomKeysAndPasswordsMatchPgEnc(@TempDir Path dir) throws Exception {
        boolean present = Files.isExecutable(PG_ENC);
        if ("true".equals(System.getenv("CI"))) {
            assertTrue(present, PG_ENC + " is missing: install the Debian package pgpool2 (apt-get install -y pgpool2)");
        }
        assumeTrue(present, PG_ENC + " not installed (Debian package pgpool2)");

        long seed = System.nanoTime();
        Random random = new Random(seed);
        for (int i = 0; i < CASES; i++) {
            String key = randomText(random, 1 + random.nextInt(40));
            String password = randomText(random, 1 + random.nextInt(AesPasswordEncoder.MAX_PASSWORD_BYTES / 2));
            Path keyFile = dir.resolve("key" + i);
            Files.write(keyFile, (key + "\n").getBytes(StandardCharsets.UTF_8));
            Files.setPosixFilePermissions(keyFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));

            String expected = pgEnc(keyFile, password);
            String actual = new AesPasswordEncoder(KeyFile.read(keyFile)).encode("user", password);
            assertEquals(expected, actual, "seed " + seed + ", case " + i);
        }
    }

    /**
     * Key files pgpool reads as a C string from a 256-byte fgets: long first lines, NUL bytes, an empty
     * first line, a first chunk that starts with NUL. Our key must be the one pg_enc uses, byte for byte.
     */
    @Test
    void unusualKeyFilesMatchPgEnc(@TempDir Path dir) throws Exception {
        boolean present = Files.isExecutable(PG_ENC);
        if ("true".equals(System.getenv("CI"))) {
            assertTrue(present, PG_ENC + " is missing: install the Debian package pgpool2 (apt-get install -y pgpool2)");
        }
        assumeTrue(present, PG_ENC + " not installed (Debian package pgpool2)");

        long seed = System.nanoTime();
        Random random = new Random(seed);
        java.util.List<byte[]> keys = new java.util.ArrayList<>(java.util.List.of(
                ("a".repeat(254) + "XYZ\n").getBytes(StandardCharsets.UTF_8),
                ("b".repeat(255) + "\n").getBytes(StandardCharsets.UTF_8),
                ("c".repeat(256)).getBytes(StandardCharsets.UTF_8),
                ("d".repeat(600) + "\nsecond\n").getBytes(StandardCharsets.UTF_8),
                "abc\0def\n".getBytes(StandardCharsets.UTF_8),
                "\nsecond line\n".getBytes(StandardCharsets.UTF_8),
                "\0first\nsecond\n".getBytes(StandardCharsets.UTF_8),
                ("\0" + "e".repeat(300) + "\n").getBytes(StandardCharsets.UTF_8)));
        for (int i = 0; i < 12; i++) {
            byte[] key = randomText(random, 200 + random.nextInt(200)).getBytes(StandardCharsets.UTF_8);
            if (random.nextBoolean()) {
                key[random.nextInt(key.length)] = 0;
            }
            keys.add(key);
        }
        for (int i = 0; i < keys.size(); i++) {
            Path keyFile = dir.resolve("odd" + i);
            Files.write(keyFile, keys.get(i));
            Files.setPosixFilePermissions(keyFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            String password = randomText(random, 1 + random.nextInt(20));
            assertEquals(pgEnc(keyFile, password), new AesPasswordEncoder(KeyFile.read(keyFile)).encode("user", password),
                    "seed " + seed + ", key " + i);
        }
    }

    /** Printable ASCII and a few multi-byte characters; no control characters (we reject those). */
    private static String randomText(Random random, int length) {
        String extra = "äöü€漢字ñ";
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < length; i++) {
            out.append(random.nextInt(10) == 0 ? extra.charAt(random.nextInt(extra.length()))
                    : (char) (0x20 + random.nextInt(0x7f - 0x20)));
        }
        return out.toString();
    }

    private static String pgEnc(Path keyFile, String password) throws Exception {
        // "--": a password may start with '-'. Warnings go to stderr, away from the entry line.
        Process process = new ProcessBuilder(PG_ENC.toString(), "-k", keyFile.toString(), "--", password)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), output);
        return output.lines().filter(line -> line.startsWith("pool_passwd string: ")).reduce((a, b) -> b)
                .map(line -> line.substring("pool_passwd string: ".length()))
                .orElseThrow(() -> new AssertionError("pg_enc printed no entry: " + output));
    }
}
