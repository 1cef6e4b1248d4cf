package io.pgpoolusersync.passwd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Golden vectors printed by the real pg_enc (src/test/resources/pg_enc-vectors.tsv). */
class AesPasswordEncoderTest {

    record Vector(String key, String password, String entry) {
        @Override
        public String toString() {
            return "key '" + key.replace("\r", "\\r") + "', " + password.length() + "-char password";
        }
    }

    static Stream<Vector> vectors() throws IOException {
        try (InputStream in = AesPasswordEncoderTest.class.getResourceAsStream("/pg_enc-vectors.tsv")) {
            List<String> lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(line -> !line.startsWith("#")).toList();
            return lines.stream().map(line -> line.split("\t", -1))
                    .map(f -> new Vector(f[0].replace("\\r", "\r"), f[1], f[2]));
        }
    }

    @ParameterizedTest
    @MethodSource("vectors")
    void matchesPgEncByteForByte(Vector vector) {
        AesPasswordEncoder encoder = new AesPasswordEncoder(vector.key().getBytes(StandardCharsets.UTF_8));
        assertEquals(vector.entry(), encoder.encode("anyone", vector.password()));
    }

    @Test
    void factsFileVector() {
        AesPasswordEncoder encoder = new AesPasswordEncoder("pgpool secret key".getBytes(StandardCharsets.UTF_8));
        assertEquals("AES106tf0TquKDOqUM/KA+DFQ==", encoder.encode("john", "12345"));
    }

    @Test
    void entryDependsOnKeyAndPasswordButNotUser() {
        AesPasswordEncoder encoder = new AesPasswordEncoder("k".getBytes(StandardCharsets.UTF_8));
        assertEquals(encoder.encode("a", "pw"), encoder.encode("b", "pw"));
        assertNotEquals(encoder.encode("a", "pw"), encoder.encode("a", "pw2"));
        assertNotEquals(encoder.encode("a", "pw"),
                new AesPasswordEncoder("k2".getBytes(StandardCharsets.UTF_8)).encode("a", "pw"));
    }

    @Test
    void longestAllowedPasswordFitsPgpoolsTokenLimit() {
        String entry = new AesPasswordEncoder(new byte[] {'k'}).encode("u", "x".repeat(AesPasswordEncoder.MAX_PASSWORD_BYTES));
        assertEquals(111, entry.length()); // 80 cipher bytes -> 108 Base64 chars + "AES"; pgpool cuts at 128
    }
}
