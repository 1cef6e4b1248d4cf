package io.pgpoolusersync.bench;

import io.pgpoolusersync.passwd.EntryFormat;
import io.pgpoolusersync.passwd.KeyFile;
import io.pgpoolusersync.passwd.PasswordEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Encoding alone, one pool_passwd entry per operation: the encoder the tick uses
 * ({@link EntryFormat#encoder}), on the benchmark's own users and passwords (20 characters), cycling
 * through 1024 of them. Throughput in entries per second, one thread.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class EncodingBenchmark {

    @Param({"AES", "MD5", "TEXT"})
    public String format;

    private PasswordEncoder encoder;
    private final String[] users = new String[1024];
    private final String[] passwords = new String[1024];
    private int next;

    @Setup
    public void setUp() throws Exception {
        Path key = Files.createTempFile("bench", ".pgpoolkey");
        Files.writeString(key, "bench pgpool key\n", StandardCharsets.UTF_8);
        encoder = EntryFormat.valueOf(format).encoder(() -> KeyFile.read(key));
        Files.delete(key);
        for (int i = 0; i < users.length; i++) {
            users[i] = MockApi.user(i);
            passwords[i] = MockApi.password(i);
        }
    }

    @Benchmark
    public String encode() {
        int i = next++ & 1023;
        return encoder.encode(users[i], passwords[i]);
    }
}
