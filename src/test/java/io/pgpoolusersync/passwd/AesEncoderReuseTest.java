package io.pgpoolusersync.passwd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** One encoder used for many entries (its cipher is initialised once) gives what fresh encoders give. */
class AesEncoderReuseTest {

    private static final byte[] KEY = "pgpool secret key".getBytes(StandardCharsets.UTF_8);

    @Test
    void reusedEncoderMatchesFreshEncoders() {
        AesPasswordEncoder reused = new AesPasswordEncoder(KEY);
        Random random = new Random(7);
        for (int i = 0; i < 2_000; i++) {
            String password = password(random, 1 + random.nextInt(AesPasswordEncoder.MAX_PASSWORD_BYTES));
            assertEquals(new AesPasswordEncoder(KEY).encode("u", password), reused.encode("u", password), password);
        }
        assertEquals("AES106tf0TquKDOqUM/KA+DFQ==", reused.encode("u", "12345")); // what the real pg_enc prints for 12345 under this key
    }

    @Test
    void sharedEncoderIsSafeAcrossThreads() throws Exception {
        AesPasswordEncoder shared = new AesPasswordEncoder(KEY);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int seed = t;
                results.add(pool.submit(() -> {
                    Random random = new Random(seed);
                    for (int i = 0; i < 2_000; i++) {
                        String password = password(random, 1 + random.nextInt(40));
                        assertEquals(new AesPasswordEncoder(KEY).encode("u", password), shared.encode("u", password));
                    }
                    return null;
                }));
            }
            for (Future<?> result : results) {
                result.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static String password(Random random, int length) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < length; i++) {
            out.append((char) (0x21 + random.nextInt(0x7e - 0x21)));
        }
        return out.toString();
    }
}
