package io.pgpoolusersync.bench;

import io.fabric8.kubernetes.api.model.Secret;
import io.pgpoolusersync.passwd.AesPasswordEncoder;
import io.pgpoolusersync.passwd.EntryFormat;
import io.pgpoolusersync.passwd.KeyFile;
import io.pgpoolusersync.secrets.DeclaredUsers;
import io.pgpoolusersync.secrets.UserSecrets;
import io.pgpoolusersync.store.PoolPasswdChange;
import io.pgpoolusersync.store.PoolPasswdStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The part of a tick that is our code alone, without the API, JSON or TLS: {@code UserSecrets.review}
 * of N Secret objects (as fabric8 hands them over), then {@code PoolPasswdStore.plan} against a
 * pool_passwd that already holds them (what an idle tick computes) or that holds only the admin line
 * (what a full tick computes before writing). Used to measure our own fixes before and after, apart from
 * the noise of the end-to-end figures. By hand, against two builds of src/main:
 * {@code java -cp BENCH_CLASSES:MAIN_CLASSES:DEPENDENCIES org.openjdk.jmh.Main PipelineBenchmark -p rejectEvery=0,10}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class PipelineBenchmark {

    @Param({"10000"})
    public int n;

    /** Every k-th Secret is rejected (a tab in its password) when k is not 0: the path of a bad Secret. */
    @Param({"0"})
    public int rejectEvery;

    private List<Secret> secrets;
    private UserSecrets userSecrets;
    private PoolPasswdStore synced;
    private PoolPasswdStore adminOnly;
    private Path dir;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("pipeline-bench");
        Path key = dir.resolve("pgpool.key");
        Files.writeString(key, "bench pgpool key\n", StandardCharsets.UTF_8);
        String admin = "postgres:" + new AesPasswordEncoder(KeyFile.read(key)).encode("postgres", "admin") + "\n";
        Files.createDirectories(dir.resolve("synced"));
        Files.createDirectories(dir.resolve("admin-only"));
        Files.writeString(dir.resolve("synced/pool_passwd"), admin);
        Files.writeString(dir.resolve("admin-only/pool_passwd"), admin);
        secrets = new ArrayList<>();
        Instant epoch = Instant.parse("2024-01-01T00:00:00Z");
        for (int i = 0; i < n; i++) {
            Secret secret = MockApi.secret(i);
            if (rejectEvery > 0 && i % rejectEvery == 0) {
                secret.getData().put("password", java.util.Base64.getEncoder()
                        .encodeToString(("bad\tpassword" + i).getBytes(StandardCharsets.UTF_8)));
            }
            secret.getMetadata().setUid("00000000-0000-0000-0000-" + String.format("%012d", i));
            secret.getMetadata().setCreationTimestamp(epoch.plusSeconds(i).toString());
            secret.getMetadata().setResourceVersion(Integer.toString(i + 1));
            secrets.add(secret);
        }
        userSecrets = new UserSecrets(EntryFormat.AES);
        synced = new PoolPasswdStore(dir.resolve("synced/pool_passwd"), () -> KeyFile.read(key), EntryFormat.AES);
        adminOnly = new PoolPasswdStore(dir.resolve("admin-only/pool_passwd"), () -> KeyFile.read(key), EntryFormat.AES);
        PoolPasswdChange first = synced.plan(userSecrets.review(secrets));
        synced.write(first);
        if (synced.plan(userSecrets.review(secrets)).changed()) {
            throw new IllegalStateException("second plan should change nothing");
        }
    }

    @Benchmark
    public DeclaredUsers review() {
        return userSecrets.review(secrets);
    }

    @Benchmark
    public PoolPasswdChange reviewAndPlanIdle() throws Exception {
        return synced.plan(userSecrets.review(secrets));
    }

    @Benchmark
    public PoolPasswdChange reviewAndPlanFull() throws Exception {
        return adminOnly.plan(userSecrets.review(secrets));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
