package io.pgpoolusersync.it;

import static io.pgpoolusersync.it.MockKubernetesApi.secret;
import static io.pgpoolusersync.it.MockKubernetesApi.userLabels;
import static io.pgpoolusersync.it.MockKubernetesApi.utf8;
import static java.nio.charset.StandardCharsets.UTF_8;

import io.fabric8.kubernetes.api.model.Secret;
import io.pgpoolusersync.passwd.PoolPasswd;
import io.pgpoolusersync.passwd.PoolPasswdLine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The benchmark of BENCHMARKS.md ({@code mvn -Pbench verify}). The sync runs as the sidecar does: the
 * shaded jar in its own JVM with the image's JVM flags, the pod's memory limit as -XX:MaxRAM, the default
 * period (10 s) and the watch on. The API is the fabric8 mock in CRUD mode (it/MockKubernetesApi); at 1k
 * users pgpool and PostgreSQL are real (it/PgpoolHarness), at 10k pgpool's PCP port is {@link FakePcp}.
 * Results: {@code OUT/results.md}, raw samples in {@code OUT/samples.tsv}, sidecar logs beside them.
 */
public final class Bench {

    static final String NAMESPACE = "demo";
    static final String POSTGRES = "ha-postgres";
    /** The image's jvmFlags (pom.xml, profile image, jib container jvmFlags). */
    static final List<String> IMAGE_FLAGS = List.of("-XX:MaxRAMPercentage=75", "-Djava.io.tmpdir=/tmp",
            "-Duser.home=/tmp");

    private final Path jar;
    private final Path routes;
    private final Path out;
    private final int runs = Integer.getInteger("bench.runs", 2);
    private final int cycles = Integer.getInteger("bench.cycles", 15);
    private final int starts = Integer.getInteger("bench.starts", 3);
    private final int restSeconds = Integer.getInteger("bench.rest.seconds", 60);
    private final int oneShotRuns = Integer.getInteger("bench.oneshot.runs", 5);
    /** The sidecar's limits as the JVM in the pod sees them: -XX:MaxRAM and -XX:ActiveProcessorCount. */
    private final List<String> podFlags;
    private final Random random = new Random(11);
    private final StringBuilder report = new StringBuilder();
    private final StringBuilder samples = new StringBuilder("size\trun\tkind\tvalue\tload1\n");
    /** When each change was sent, to read beside the sidecar's log. */
    private final StringBuilder changeLog = new StringBuilder("sent\tsize\tkind\tuser\tseconds\n");
    /** Every sample by size and kind, over all runs, for the summary. */
    private final Map<String, List<Double>> pooled = new java.util.TreeMap<>();

    private Bench(Path jar, Path routes, Path out, Path sidecarManifest) throws IOException {
        this.jar = jar.toAbsolutePath();
        this.routes = routes.toAbsolutePath();
        this.out = out;
        this.podFlags = podFlags(sidecarManifest);
    }

    /** The mock web server logs every request at INFO (java.util.logging); held so it stays set. */
    private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    public static void main(String[] args) throws Exception {
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
        // The mock's own client, busy during a burst on a loaded machine: vert.x's stack traces are noise here.
        System.setProperty("org.slf4j.simpleLogger.log.io.vertx.core.impl.BlockedThreadChecker", "off");
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i], args[i + 1]);
        }
        Path out = Path.of(a.get("--out"));
        Files.createDirectories(out);
        Bench bench = new Bench(Path.of(a.get("--jar")), Path.of(a.get("--routes")), out, Path.of(a.get("--sidecar")));
        List<String> parts = List.of(System.getProperty("bench.parts", "1000,10000,oneshot").split(","));
        bench.line("# Benchmark run %s, %d cores, sidecar JVM flags: %s %s", Instant.now(),
                Runtime.getRuntime().availableProcessors(), String.join(" ", IMAGE_FLAGS), String.join(" ", bench.podFlags));
        try {
            for (int run = 1; run <= bench.runs; run++) {
                for (String part : parts) {
                    switch (part) {
                        case "1000" -> bench.cluster(1000, run, true);
                        case "10000" -> bench.cluster(10000, run, false);
                        case "oneshot" -> {
                            if (run == 1) {
                                bench.oneShot();
                            }
                        }
                        default -> throw new IllegalArgumentException("unknown bench part " + part);
                    }
                }
            }
            bench.summary();
        } finally {
            Files.writeString(out.resolve("results.md"), bench.report, UTF_8);
            Files.writeString(out.resolve("samples.tsv"), bench.samples, UTF_8);
            Files.writeString(out.resolve("changes.tsv"), bench.changeLog, UTF_8);
        }
        System.exit(0); // the mock server's threads are not daemons
    }

    /** Every figure over all runs: p50, p95, p99, max (latencies in s, CPU in ms, memory in MiB). */
    private void summary() {
        line("%n## All runs%n");
        line("| size | figure | samples | p50 | p95 | p99 | max | min |");
        line("|---:|---|---:|---:|---:|---:|---:|---:|");
        pooled.forEach((key, xs) -> line("| %s | %s | %d | %.3f | %.3f | %.3f | %.3f | %.3f |", key.substring(0, 6).strip(),
                key.substring(7), xs.size(), pct(xs, 50), pct(xs, 95), pct(xs, 99), pct(xs, 100), Collections.min(xs)));
    }

    // ---- sidecar against the mock API ------------------------------------------------------------------

    /** Latency, burst, rest, memory and start for one size; real pgpool when {@code real}, else FakePcp. */
    private void cluster(int size, int run, boolean real) throws Exception {
        line("%n## %,d users, run %d%n", size, run);
        Path dir = Files.createTempDirectory("bench-" + size + "-");
        if (!real) { // before FakePcp starts: it says pgpool started after the key file was written
            Files.writeString(dir.resolve("pgpool_key"), "bench-key-" + run);
            Files.writeString(dir.resolve("pool_passwd"), "postgres:md5aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
            Files.writeString(dir.resolve("pcp_password"), "pcp-secret\n");
            Thread.sleep(1000); // pgpool's start time is in whole seconds
        }
        try (MockKubernetesApi api = MockKubernetesApi.start();
                PgpoolHarness pgpool = real ? PgpoolHarness.start() : null;
                FakePcp fake = real ? null : new FakePcp("pcpadmin", "pcp-secret");
                PcpCountingProxy proxy = real ? new PcpCountingProxy(pgpool.pcpPort()) : null) {
            long t = System.nanoTime();
            load(api, size);
            line("- %,d Secrets loaded into the mock API in %.1f s (not measured)", size, (System.nanoTime() - t) / 1e9);
            Path poolPasswd = real ? pgpool.poolPasswd() : dir.resolve("pool_passwd");
            Path key = real ? pgpool.keyFile() : dir.resolve("pgpool_key");
            Path pcpPassword = real ? pgpool.pcpPasswordFile() : dir.resolve("pcp_password");
            List<String> args = List.of("--namespace", NAMESPACE, "--postgres-name", POSTGRES,
                    "--pool-passwd", poolPasswd.toString(), "--key-file", key.toString(),
                    "--pcp-host", "127.0.0.1", "--pcp-port", Integer.toString(real ? proxy.port() : fake.port()),
                    "--pcp-user", real ? pgpool.pcpUser() : "pcpadmin", "--pcp-password-file", pcpPassword.toString(),
                    "--routes-dir", routes.toString(), "--management-port", Integer.toString(freePort()));
            // -Dbench.jvm=defaults: no flags at all, for comparison with figures taken that way.
            boolean pod = !System.getProperty("bench.jvm", "pod").equals("defaults");
            List<String> flags = new ArrayList<>(pod ? IMAGE_FLAGS : List.of());
            flags.addAll(pod ? podFlags : List.of());
            // Idle ticks are logged at debug (INFO only as a heartbeat): every tick's line, to count them.
            flags.add("-Dorg.slf4j.simpleLogger.log.io.pgpoolusersync.tick.TickReport=debug");
            String master = api.client().getConfiguration().getMasterUrl();
            flags.addAll(List.of("-Dkubernetes.master=" + master, "-Dkubernetes.trust.certificates=true",
                    "-Dkubernetes.auth.tryKubeConfig=false", "-Dkubernetes.auth.tryServiceAccount=false",
                    "-Dkubernetes.namespace=" + NAMESPACE));

            // Start to first successful tick: the last start goes on to be measured.
            Sidecar sidecar = null;
            for (int s = 1; s <= (real ? 1 : starts); s++) {
                if (sidecar != null) {
                    sidecar.close();
                }
                String load = load1();
                sidecar = Sidecar.start(jar, flags, args, out.resolve("sidecar-" + size + "-run" + run + "-" + s + ".log"));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (sidecar.firstTickNanos() == 0 && System.nanoTime() < deadline && sidecar.isAlive()) {
                    Thread.sleep(5);
                }
                double seconds = sidecar.firstTickNanos() / 1e9;
                sample(size, run, "start-to-first-tick", seconds, load);
                line("- start to first successful tick: %.2f s (load %s)", seconds, load);
            }
            try (Sidecar app = sidecar) {
                if (app.firstTickNanos() == 0) {
                    throw new IllegalStateException("no successful tick after the sidecar's start; see its log");
                }
                // The informer's initial list says "changed" once per Secret: ticks until those are done.
                int ticks = app.ticks();
                long t0 = System.nanoTime();
                app.awaitQuiet(3000, 120_000);
                line("- after the first tick: %d more ticks in %.1f s before 3 s without one", app.ticks() - ticks,
                        (System.nanoTime() - t0) / 1e9 - 3);
                latency(size, run, api, app, poolPasswd, real ? pgpool : null);
                burst(size, run, api, app, poolPasswd);
                rest(size, run, api, app, () -> real ? proxy.connections() : fake.connections());
            }
        } finally {
            deleteTree(dir);
        }
    }

    /** Created, changed, deleted: from the API call to the sidecar's "converged" line for that write. */
    private void latency(int size, int run, MockKubernetesApi api, Sidecar app, Path poolPasswd, PgpoolHarness pgpool)
            throws Exception {
        Map<String, List<Double>> byKind = new LinkedHashMap<>();
        List<Double> all = new ArrayList<>();
        String load = load1();
        int lists = api.secretLists();
        int watches = api.watchRequests();
        int ticks = app.ticks();
        long started = System.nanoTime();
        for (int k = 0; k < cycles; k++) {
            String user = "bench_user_" + run + "_" + k;
            String[] passwords = {"first-" + k + "-" + random.nextInt(1_000_000), "second-" + k + "-" + random.nextInt(1_000_000)};
            if (pgpool != null) {
                sql(pgpool, "CREATE ROLE " + user + " LOGIN PASSWORD '" + passwords[0] + "'");
            }
            for (String kind : List.of("created", "changed", "deleted")) {
                Thread.sleep(random.nextInt(1000)); // anywhere in the timer's period
                if (kind.equals("changed") && pgpool != null) {
                    sql(pgpool, "ALTER ROLE " + user + " PASSWORD '" + passwords[1] + "'");
                }
                String password = kind.equals("created") ? passwords[0] : passwords[1];
                Instant since = Instant.now();
                long t0 = System.nanoTime();
                if (kind.equals("deleted")) {
                    api.delete(NAMESPACE, "bench-" + user.replace('_', '-'));
                } else {
                    api.put(userSecret(user, password));
                }
                Sidecar.Converged c = app.awaitConverged(since, 30_000);
                if (c == null) {
                    throw new IllegalStateException(kind + " " + user + ": no convergence within 30 s");
                }
                double seconds = (c.arrivedNanos() - t0) / 1e9;
                changeLog.append(since).append('\t').append(size).append('\t').append(kind).append('\t').append(user)
                        .append('\t').append(String.format("%.3f", seconds)).append('\n');
                byKind.computeIfAbsent(kind, x -> new ArrayList<>()).add(seconds);
                all.add(seconds);
                sample(size, run, "latency-" + kind, seconds, load1());
                pooled.computeIfAbsent(String.format("%6d %s", size, "latency-all"), x -> new ArrayList<>()).add(seconds);
                check(kind, user, password, passwords[0], poolPasswd, pgpool);
            }
        }
        int changes = all.size();
        line("%n- during the %d changes (%.0f s): %d ticks, %d Secret lists, %d watch requests", changes,
                (System.nanoTime() - started) / 1e9, app.ticks() - ticks, api.secretLists() - lists,
                api.watchRequests() - watches);
        line("%n| %,d users, run %d | changes | p50 s | p95 s | p99 s | max s |", size, run);
        line("|---|---:|---:|---:|---:|---:|");
        byKind.put("all", all);
        byKind.forEach((kind, xs) -> line("| %s | %d | %.3f | %.3f | %.3f | %.3f |", kind, xs.size(),
                pct(xs, 50), pct(xs, 95), pct(xs, 99), pct(xs, 100)));
        line("%nload before/after: %s / %s; checks after each change: pool_passwd entry%s", load, load1(),
                pgpool == null ? " (present, changed, absent)" : " = pg_enc's, login through the real pgpool on each of"
                        + " its children (new password works, old and deleted refused)");
    }

    /** What the change must have done, checked after the timed span. */
    private static void check(String kind, String user, String password, String oldPassword, Path poolPasswd,
            PgpoolHarness pgpool) throws Exception {
        String entry = PoolPasswd.parse(Files.readAllBytes(poolPasswd)).entryOf(user).map(PoolPasswdLine::secret)
                .orElse(null);
        boolean present = !kind.equals("deleted");
        if ((entry != null) != present) {
            throw new IllegalStateException(kind + " " + user + ": entry " + (present ? "missing" : "still there"));
        }
        if (pgpool == null) {
            return;
        }
        if (present && !entry.equals(pgpool.pgEnc(password))) {
            throw new IllegalStateException(kind + " " + user + ": entry differs from pg_enc's");
        }
        List<Boolean> expected = Collections.nCopies(pgpool.children(), present);
        if (!pgpool.loginOnEveryChild(user, password).equals(expected)) {
            throw new IllegalStateException(kind + " " + user + ": login with the current password not " + expected);
        }
        if (kind.equals("changed") && pgpool.loginOnEveryChild(user, oldPassword).contains(true)) {
            throw new IllegalStateException("changed " + user + ": the old password still works somewhere");
        }
    }

    /** 1,000 password changes sent as fast as the mock API takes them; then how many ticks that gave. */
    private void burst(int size, int run, MockKubernetesApi api, Sidecar app, Path poolPasswd) throws Exception {
        int n = Math.min(1000, size);
        Map<String, String> before = entries(poolPasswd);
        int ticks = app.ticks();
        int converged = app.convergedCount();
        String load = load1();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        long t0 = System.nanoTime();
        List<Future<?>> sent = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int u = i;
            sent.add(pool.submit(() -> api.put(userSecret(user(u), password(u) + "-burst-" + run))));
        }
        for (Future<?> f : sent) {
            f.get();
        }
        double sendSeconds = (System.nanoTime() - t0) / 1e9;
        pool.shutdown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int changed = 0;
        while (System.nanoTime() < deadline) {
            Map<String, String> now = entries(poolPasswd);
            changed = 0;
            for (int i = 0; i < n; i++) {
                changed += now.get(user(i)).equals(before.get(user(i))) ? 0 : 1;
            }
            if (changed == n && app.convergedCount() > converged) {
                break;
            }
            Thread.sleep(20);
        }
        double allIn = (System.nanoTime() - t0) / 1e9;
        Thread.sleep(2000); // ticks still queued
        int burstTicks = app.ticks() - ticks;
        sample(size, run, "burst-ticks", burstTicks, load);
        line("%n- burst: %,d changes sent in %.2f s (16 threads; the mock API's pace), all %,d entries changed"
                + " and converged %.2f s after the first; %d ticks (counted until 2 s after), %d convergences; load %s",
                n, sendSeconds, changed, allIn, burstTicks, app.convergedCount() - converged, load);
    }

    /** Nothing changes: lists, PCP connections, ticks and CPU over whole periods; then memory. */
    private void rest(int size, int run, MockKubernetesApi api, Sidecar app, Supplier<Integer> pcpConnections)
            throws Exception {
        Thread.sleep(3000); // the burst's convergence rounds end
        String load = load1();
        int lists = api.secretLists();
        int pcp = pcpConnections.get();
        int ticks = app.ticks();
        long cpu = app.cpuNanos();
        Thread.sleep(restSeconds * 1000L);
        int restTicks = app.ticks() - ticks;
        double cpuMs = (app.cpuNanos() - cpu) / 1e6;
        int restLists = api.secretLists() - lists;
        int restPcp = pcpConnections.get() - pcp;
        double periods = restSeconds / 10.0;
        sample(size, run, "rest-lists-per-period", restLists / periods, load);
        sample(size, run, "rest-cpu-ms-per-tick", cpuMs / Math.max(restTicks, 1), load);
        sample(size, run, "rest-pcp-connections", restPcp, load);
        double rss = app.memoryMiB("VmRSS");
        double hwm = app.memoryMiB("VmHWM");
        sample(size, run, "rss-mib", rss, load);
        sample(size, run, "peak-rss-mib", hwm, load);
        line("- at rest for %d s (%.0f periods): %d Secret lists (%.2f per period), %d ticks, %d PCP connections,"
                + " %.0f ms CPU (%.0f ms per tick, every thread of the JVM); load %s -> %s", restSeconds, periods,
                restLists, restLists / periods, restTicks, restPcp, cpuMs, cpuMs / Math.max(restTicks, 1), load, load1());
        line("- memory: RSS %.0f MiB, peak RSS (VmHWM) %.0f MiB, limit %s", rss, hwm, podFlags.get(0));
    }

    // ---- one-shot against pg_enc -m ---------------------------------------------------------------------

    /** 1,000 users from a manifest folder: the whole --once process against a pg_enc -m loop, interleaved. */
    private void oneShot() throws Exception {
        int n = 1000;
        line("%n## One-shot, %,d users from a manifest folder%n", n);
        Path dir = Files.createTempDirectory("bench-oneshot-");
        try {
            Path manifests = Files.createDirectories(dir.resolve("manifests"));
            StringBuilder pairs = new StringBuilder();
            for (int i = 0; i < n; i++) {
                Files.writeString(manifests.resolve("user-" + i + ".yaml"), String.join("\n",
                        "apiVersion: v1", "kind: Secret", "metadata:", "  name: pg-user-" + i, "  namespace: " + NAMESPACE,
                        "  labels:", "    app.kubernetes.io/instance: " + POSTGRES,
                        "    app.kubernetes.io/name: postgreses.kubedb.com", "stringData:",
                        "  username: " + user(i), "  password: " + password(i), ""));
                pairs.append(user(i)).append(' ').append(password(i)).append('\n');
            }
            Files.writeString(dir.resolve("users.txt"), pairs);
            Files.writeString(dir.resolve("users.pairs"), pairs.toString().replace(' ', ':'));
            Path key = dir.resolve("pgpool_key");
            Files.writeString(key, "bench-oneshot-key");
            Path poolPasswd = dir.resolve("pool_passwd");
            Files.writeString(dir.resolve("pgpool.conf"), "pool_passwd = '" + poolPasswd + "'\n");
            String admin = "postgres:md5aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n";
            Path archive = dir.resolve("sync.jsa");
            List<String> once = List.of("-jar", jar.toString(), "--once", "--manifests", manifests.toString(),
                    "--namespace", NAMESPACE, "--postgres-name", POSTGRES, "--pool-passwd", poolPasswd.toString(),
                    "--key-file", key.toString(), "--routes-dir", routes.toString());
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Map<String, List<String>> variants = new LinkedHashMap<>();
            variants.put("`pg_enc -m` loop, one process per user", List.of("bash", "-c",
                    "while read u p; do /usr/sbin/pg_enc -m -k " + key + " -f " + dir.resolve("pgpool.conf")
                            + " -u \"$u\" -- \"$p\" >/dev/null || exit 1; done < " + dir.resolve("users.txt")));
            variants.put("`pg_enc -m -i FILE`, one process", List.of("/usr/sbin/pg_enc", "-m", "-k", key.toString(),
                    "-f", dir.resolve("pgpool.conf").toString(), "-i", dir.resolve("users.pairs").toString()));
            variants.put("`java -jar pgpool-user-sync.jar --once`", concat(List.of(java), once));
            variants.put("the same, `-XX:TieredStopAtLevel=1`", concat(List.of(java, "-XX:TieredStopAtLevel=1"), once));
            variants.put("the same, AppCDS `-XX:SharedArchiveFile=sync.jsa`",
                    concat(List.of(java, "-XX:SharedArchiveFile=" + archive), once));
            variants.put("the same, AppCDS and `-XX:TieredStopAtLevel=1`",
                    concat(List.of(java, "-XX:SharedArchiveFile=" + archive, "-XX:TieredStopAtLevel=1"), once));
            // The archive, made once by a first run (what a user does once per jar).
            Files.writeString(poolPasswd, admin);
            exec(concat(List.of(java, "-XX:ArchiveClassesAtExit=" + archive), once), dir);
            Map<String, List<Double>> wall = new LinkedHashMap<>();
            Set<String> reference = null;
            for (int r = 0; r < oneShotRuns; r++) {
                for (Map.Entry<String, List<String>> v : variants.entrySet()) {
                    Files.writeString(poolPasswd, admin);
                    Files.deleteIfExists(dir.resolve("pool_passwd.managed"));
                    String load = load1();
                    double seconds = exec(v.getValue(), dir);
                    wall.computeIfAbsent(v.getKey(), x -> new ArrayList<>()).add(seconds);
                    sample(n, r + 1, "oneshot " + v.getKey(), seconds, load);
                    Set<String> lines = new HashSet<>(Files.readAllLines(poolPasswd));
                    if (lines.size() != n + 1 || (reference != null && !reference.equals(lines))) {
                        throw new IllegalStateException(v.getKey() + " wrote different entries (" + lines.size() + " lines)");
                    }
                    reference = lines;
                }
            }
            double loop = median(wall.values().iterator().next());
            line("| run (interleaved, %d rounds) | wall s, median (min-max) | pg_enc loop / this |", oneShotRuns);
            line("|---|---:|---:|");
            wall.forEach((name, xs) -> line("| %s | %.2f (%.2f-%.2f) | %.1fx |", name, median(xs),
                    Collections.min(xs), Collections.max(xs), loop / median(xs)));
            line("%nEvery run wrote the same %,d entries (compared as sets of lines).", n);
        } finally {
            deleteTree(dir);
        }
    }

    private double exec(List<String> command, Path dir) throws Exception {
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("exec.log").toFile()).start();
        if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(command + " failed:\n" + Files.readString(dir.resolve("exec.log")));
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    // ---- helpers -----------------------------------------------------------------------------------------

    /** Secrets pg-user-0 .. pg-user-(n-1), 16 writers at a time. */
    private static void load(MockKubernetesApi api, int n) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        List<Future<?>> sent = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int u = i;
            sent.add(pool.submit(() -> api.put(userSecret(user(u), password(u)))));
        }
        for (Future<?> f : sent) {
            f.get();
        }
        pool.shutdown();
    }

    static String user(int i) {
        return String.format("app_user_%05d", i);
    }

    /** A 20-character password, the same on every run. */
    static String password(int i) {
        Random r = new Random(0x5eed_0000L + i);
        StringBuilder s = new StringBuilder();
        for (int k = 0; k < 20; k++) {
            s.append("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".charAt(r.nextInt(62)));
        }
        return s.toString();
    }

    static Secret userSecret(String user, String password) {
        String name = user.startsWith("app_user_") ? "pg-user-" + Integer.parseInt(user.substring(9))
                : "bench-" + user.replace('_', '-');
        return secret(NAMESPACE, name, userLabels(POSTGRES), Map.of("username", utf8(user), "password", utf8(password)));
    }

    private static Map<String, String> entries(Path poolPasswd) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : Files.readAllLines(poolPasswd)) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                m.put(line.substring(0, colon), line.substring(colon + 1));
            }
        }
        return m;
    }

    private static void sql(PgpoolHarness pgpool, String statement) throws Exception {
        try (Connection c = pgpool.connectDirect(pgpool.adminUser(), pgpool.adminPassword());
                Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    /**
     * The container limits of kustomize/components/sidecar as the JVM would see them in the pod: the
     * memory limit as -XX:MaxRAM (384Mi -> 384m), the CPU limit rounded up to whole processors (500m -> 1,
     * with which the JVM picks the serial collector, as it does in the pod). CPU time itself is not capped.
     */
    private static List<String> podFlags(Path sidecar) throws IOException {
        String text = Files.readString(sidecar);
        String limits = text.substring(text.indexOf("limits:"));
        String memory = limits.substring(limits.indexOf("memory:") + 7).strip().split("\\s")[0];
        String cpu = limits.substring(limits.indexOf("cpu:") + 4).strip().split("\\s")[0];
        if (!memory.endsWith("Mi") || !cpu.endsWith("m")) {
            throw new IOException("limits memory " + memory + ", cpu " + cpu + " in " + sidecar + ": expected Mi and m");
        }
        int processors = (Integer.parseInt(cpu.replace("m", "")) + 999) / 1000;
        return List.of("-XX:MaxRAM=" + memory.replace("Mi", "m"), "-XX:ActiveProcessorCount=" + processors);
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String load1() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    static double pct(List<Double> xs, double p) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        int i = (int) Math.ceil(p / 100.0 * s.size()) - 1;
        return s.get(Math.max(0, Math.min(i, s.size() - 1)));
    }

    static double median(List<Double> xs) {
        return pct(xs, 50);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private void sample(int size, int run, String kind, double value, String load) {
        pooled.computeIfAbsent(String.format("%6d %s", size, kind), k -> new ArrayList<>()).add(value);
        samples.append(size).append('\t').append(run).append('\t').append(kind).append('\t')
                .append(String.format("%.4f", value)).append('\t').append(load).append('\n');
    }

    private void line(String format, Object... args) {
        String text = String.format(format, args);
        System.out.println(text);
        report.append(text).append('\n');
    }

    private static void deleteTree(Path root) throws IOException {
        if (Files.exists(root)) {
            try (var walk = Files.walk(root)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
