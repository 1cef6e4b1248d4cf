package io.pgpoolusersync.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.util.Statistics;

/**
 * The benchmark, end to end, in one run ({@code mvn -Pbench verify}). This JVM is the orchestrator: it
 * holds the Kubernetes mock API (fabric8 KubernetesMockServer, CRUD mode, TLS) and the fake PCP listener,
 * and starts a separate worker JVM ({@link TickWorker}) for every measurement of the sync, so that the
 * sync's CPU and memory are its own. Writes {@code results.md} and the raw {@code ticks.tsv} to the
 * output folder.
 *
 * <p>System properties: {@code bench.sizes} (1000,10000,50000), {@code bench.runs} (measured ticks per
 * kind, 7), {@code bench.pgenc.runs} (5), {@code bench.jmh} (true), {@code bench.profile} (true),
 * {@code bench.memory} (true).
 */
public final class BenchMain {

    private static final String PCP_USER = "pcpadmin";
    private static final String PCP_PASSWORD = "pcp-bench-password";
    /** The image's heap flag, with MaxRAM standing in for a 256 MiB pod limit; SerialGC is what the JVM
     *  picks by itself in a container under 1792 MB. */
    static final List<String> POD_FLAGS = List.of("-XX:MaxRAM=256m", "-XX:MaxRAMPercentage=75", "-XX:+UseSerialGC");
    /** The same pod with half of it for the heap instead of three quarters. */
    static final List<String> POD_HALF_FLAGS = List.of("-XX:MaxRAM=256m", "-XX:MaxRAMPercentage=50", "-XX:+UseSerialGC");

    private final Path routes;
    private final Path out;
    private final String workerClasspath;
    private final Path jar;
    private final int runs = Integer.getInteger("bench.runs", 7);
    private final int pgEncRuns = Integer.getInteger("bench.pgenc.runs", 5);
    private final List<Integer> sizes = Arrays.stream(System.getProperty("bench.sizes", "1000,10000,50000").split(","))
            .map(String::trim).map(Integer::parseInt).sorted().toList();
    private final List<Map<String, String>> allTicks = new ArrayList<>();
    private final Map<String, WorkerRun> workerRuns = new LinkedHashMap<>();
    private final StringBuilder notes = new StringBuilder();
    private MockApi api;
    private FakePcp pcp;

    private BenchMain(Path routes, Path out, Path jar, Path testClasses) {
        this.routes = routes;
        this.out = out;
        this.jar = jar;
        this.workerClasspath = jar + java.io.File.pathSeparator + testClasses;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opt.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        Logger.getLogger("io.fabric8.mockwebserver").setLevel(Level.WARNING);
        Logger.getLogger("").setLevel(Level.WARNING);
        if (opt.containsKey("serve")) {
            serve(Integer.parseInt(opt.get("serve")));
            return;
        }
        BenchMain bench = new BenchMain(Path.of(opt.get("routes")).toAbsolutePath(),
                Path.of(opt.get("out")).toAbsolutePath(), Path.of(opt.get("jar")).toAbsolutePath(),
                Path.of(opt.get("test-classes")).toAbsolutePath());
        bench.run();
        System.exit(0);
    }

    /**
     * For experiments by hand: the mock API with N Secrets and the fake PCP listener, until killed. Prints
     * the worker command line to use against them.
     */
    private static void serve(int n) throws Exception {
        MockApi api = new MockApi();
        api.loadUpTo(n);
        FakePcp pcp = new FakePcp(PCP_USER, PCP_PASSWORD);
        System.out.println("mock API " + api.masterUrl() + " with " + n + " Secrets; fake PCP on 127.0.0.1:" + pcp.port());
        System.out.println("worker: java -Dkubernetes.master=" + api.masterUrl() + " -Dkubernetes.trust.certificates=true"
                + " -Dkubernetes.auth.tryKubeConfig=false -Dkubernetes.auth.tryServiceAccount=false -cp JAR:TEST_CLASSES "
                + TickWorker.class.getName() + " dir=DIR n=" + n + " plan=W5,F7,I7 period=1500ms routes=ROUTES pcp-port="
                + pcp.port() + " pcp-user=" + PCP_USER + " pcp-password=" + PCP_PASSWORD);
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }

    record WorkerRun(String name, int n, List<String> jvmFlags, List<Map<String, String>> ticks,
            Map<String, String> mem, Map<String, String> gaps, Map<String, String> run, double foreignCpuPct,
            String loadAvg, int failures, Map<String, Map<String, String>> threads, Map<String, String> nmt) {

        List<Map<String, String>> kind(char kind) {
            return ticks.stream().filter(t -> t.get("kind").equals(String.valueOf(kind))).toList();
        }

        Stats stat(char kind, String field) {
            return Stats.of(kind(kind).stream().map(t -> Double.parseDouble(t.get(field))).toList());
        }
    }

    private void run() throws Exception {
        Files.createDirectories(out);
        String machine = machine();
        System.out.println(machine);
        StringBuilder md = new StringBuilder();

        String jmh = "";
        if (Boolean.parseBoolean(System.getProperty("bench.jmh", "true"))) {
            jmh = encoding();
        }

        api = new MockApi();
        pcp = new FakePcp(PCP_USER, PCP_PASSWORD);
        String pgEnc = "";
        String profile = "";
        String reload = "";
        try {
            reload = pcpReloadTiming();
            for (int n : sizes) {
                long t0 = System.nanoTime();
                api.loadUpTo(n);
                log("mock API holds " + n + " Secrets (loaded in " + (System.nanoTime() - t0) / 1_000_000 + " ms)");
                String plan = "W" + warmups(n) + ",F" + runs + ",I" + runs;
                WorkerRun run = worker("default-" + n, n, plan, period(n), List.of());
                workerRuns.put("default-" + n, run);
                if (n == 1000) {
                    pgEnc = pgEncComparison(n, run);
                }
                if (n == 10_000 && Boolean.parseBoolean(System.getProperty("bench.memory", "true"))) {
                    workerRuns.put("pod-" + n, worker("pod-" + n, n, "W30,F" + runs + ",I" + runs, period(n), POD_FLAGS));
                    workerRuns.put("pod50-" + n, worker("pod50-" + n, n, "W30,F" + runs + ",I" + runs, period(n),
                            POD_HALF_FLAGS));
                    // Where that RSS goes: the same pod-like run with Native Memory Tracking (which costs a little).
                    List<String> nmtFlags = new ArrayList<>(POD_FLAGS);
                    nmtFlags.addAll(List.of("-XX:NativeMemoryTracking=summary", "-Dbench.nmt=true"));
                    workerRuns.put("nmt-" + n, worker("nmt-" + n, n, "W30,F3,I3", period(n), nmtFlags));
                }
                if (n == Integer.getInteger("bench.profile.n", 10_000)
                        && Boolean.parseBoolean(System.getProperty("bench.profile", "true"))) {
                    profile = profile(n);
                }
            }
        } finally {
            api.close();
            pcp.close();
        }

        md.append("# Benchmark results\n\n").append("Generated ").append(Instant.now()).append(" by `")
                .append(BenchMain.class.getName()).append("`.\n\n");
        md.append(machine).append('\n');
        md.append(targets());
        md.append(tickTables());
        md.append(reload);
        md.append(jmh);
        md.append(pgEnc);
        md.append(memoryTable());
        md.append(noiseTable());
        md.append(profile);
        if (notes.length() > 0) {
            md.append("## Notes from this run\n\n").append(notes).append('\n');
        }
        Files.writeString(out.resolve("results.md"), md.toString(), StandardCharsets.UTF_8);
        writeTsv();
        System.out.println();
        System.out.println(md);
        System.out.println("written: " + out.resolve("results.md") + " and " + out.resolve("ticks.tsv"));
    }

    /**
     * Warm-up ticks before measuring: 30 to 45 s of ticking. The JIT keeps compiling the long tail of
     * once-per-tick code (Camel, HTTP, TLS) for about a minute at a tick per second; the tables are the
     * steady state of a sidecar that has run for a while, and the first tick after start is shown apart.
     */
    private static int warmups(int n) {
        return Integer.getInteger("bench.warmup." + n, n <= 1000 ? 100 : n <= 10_000 ? 45 : 8);
    }

    private static String period(int n) {
        // Longer than a tick plus its reset, so that ticks never run back to back.
        return System.getProperty("bench.period." + n, n <= 1000 ? "300ms" : n <= 10_000 ? "1000ms" : "5000ms");
    }

    // ---------------------------------------------------------------- workers

    private WorkerRun worker(String name, int n, String plan, String period, List<String> jvmFlags) throws Exception {
        return worker(name, n, plan, period, jvmFlags, null);
    }

    private WorkerRun worker(String name, int n, String plan, String period, List<String> jvmFlags, Path jfr)
            throws Exception {
        Path dir = out.resolve("work").resolve(name);
        deleteTree(dir);
        Files.createDirectories(dir);
        List<String> command = new ArrayList<>();
        command.add(javaBin());
        command.addAll(jvmFlags);
        if (jfr != null) {
            command.add("-XX:StartFlightRecording:settings=profile,method-profiling=max,filename=" + jfr);
        }
        command.addAll(kubernetesProperties());
        command.addAll(List.of("-cp", workerClasspath, TickWorker.class.getName(),
                "dir=" + dir, "n=" + n, "plan=" + plan, "period=" + period, "routes=" + routes,
                "pcp-port=" + pcp.port(), "pcp-user=" + PCP_USER, "pcp-password=" + PCP_PASSWORD, "format=aes"));
        awaitQuiet();
        log("worker " + name + ": N=" + n + " plan=" + plan + " period=" + period + " flags=" + jvmFlags);
        ProcessBuilder builder = new ProcessBuilder(command);
        clean(builder.environment());
        builder.redirectError(out.resolve(name + ".log").toFile());
        long[] cpu0 = cpuAccounting();
        String load0 = loadAvg();
        long startEpoch = System.currentTimeMillis();
        Process process = builder.start();
        List<Map<String, String>> ticks = new ArrayList<>();
        Map<String, String> mem = Map.of();
        Map<String, String> gaps = Map.of();
        Map<String, String> runLine = Map.of();
        Map<String, Map<String, String>> threads = new LinkedHashMap<>();
        Map<String, String> nmt = Map.of();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                Map<String, String> fields = fields(line);
                switch (line.substring(0, Math.max(0, line.indexOf('\t')))) {
                    case "TICK" -> {
                        fields.put("run", name);
                        ticks.add(fields);
                        System.out.printf(Locale.ROOT, "  tick %s %s: wall %s ms, cpu %s ms, api %s ms, bytes %s, %s%n",
                                fields.get("i"), fields.get("kind"), fields.get("wallMs"), fields.get("cpuMs"),
                                fields.get("apiMs"), fields.get("fileBytes"), fields.get("reload"));
                    }
                    case "MEM" -> mem = fields;
                    case "GAPS" -> gaps = fields;
                    case "CHECK" -> runLine = fields;
                    case "THREADS" -> threads.put(fields.remove("of"), fields);
                    case "NMT" -> nmt = fields;
                    default -> System.out.println("  worker: " + line);
                }
            }
        }
        int exit = process.waitFor();
        long[] cpu1 = cpuAccounting();
        double foreign = foreignCpuPct(cpu0, cpu1);
        if (exit != 0) {
            notes.append("- worker ").append(name).append(" exited with ").append(exit).append(" (see ").append(name)
                    .append(".log)\n");
            System.out.println("  worker " + name + " exited with " + exit + "; last log lines:");
            List<String> log = Files.readAllLines(out.resolve(name + ".log"));
            log.subList(Math.max(0, log.size() - 30), log.size()).forEach(l -> System.out.println("    " + l));
        }
        // Reloads and PCP connections seen by the fake PCP, by tick: those that arrived since the previous tick ended.
        long previousEnd = startEpoch;
        int failures = exit == 0 ? 0 : 1;
        for (Map<String, String> tick : ticks) {
            long end = Long.parseLong(tick.get("end"));
            tick.put("pcpConnections", Integer.toString(pcp.connectionsBetween(previousEnd, end)));
            tick.put("pcpReloads", Integer.toString(pcp.reloadsBetween(previousEnd, end)));
            previousEnd = end;
            boolean expected = tick.get("kind").equals("I") ? tick.get("pcpConnections").equals("0")
                    : tick.get("pcpReloads").equals("1"); // W, F, and the follow-ups S
            if (!expected || !"true".equals(tick.get("ok"))) {
                failures++;
                notes.append("- ").append(name).append(" tick ").append(tick.get("i")).append(" (").append(tick.get("kind"))
                        .append(") did not behave as expected: ").append(tick).append('\n');
            }
        }
        allTicks.addAll(ticks);
        if (!pcp.errors().isEmpty()) {
            notes.append("- fake PCP errors: ").append(pcp.errors()).append('\n');
        }
        return new WorkerRun(name, n, jvmFlags, ticks, mem, gaps, runLine, foreign, load0 + " → " + loadAvg(), failures,
                threads, nmt);
    }

    private List<String> kubernetesProperties() {
        return List.of("-Dkubernetes.master=" + api.masterUrl(), "-Dkubernetes.trust.certificates=true",
                "-Dkubernetes.auth.tryKubeConfig=false", "-Dkubernetes.auth.tryServiceAccount=false");
    }

    private static void clean(Map<String, String> environment) {
        environment.keySet().removeIf(k -> k.startsWith("SYNC_") || k.startsWith("KUBERNETES_") || k.equals("KUBECONFIG")
                || k.startsWith("JAVA_TOOL_OPTIONS") || k.startsWith("JDK_JAVA_OPTIONS") || k.equals("MAVEN_OPTS"));
    }

    private static Map<String, String> fields(String line) {
        Map<String, String> fields = new LinkedHashMap<>();
        String[] parts = line.split("\t");
        for (int i = 1; i < parts.length; i++) {
            int eq = parts[i].indexOf('=');
            if (eq > 0) {
                fields.put(parts[i].substring(0, eq), parts[i].substring(eq + 1));
            }
        }
        return fields;
    }

    // ---------------------------------------------------------------- pg_enc

    /** pg_enc -m once per user, sequentially from a shell loop (what users do today), against one tick. */
    private String pgEncComparison(int n, WorkerRun ours) throws Exception {
        Path dir = out.resolve("work").resolve("pg_enc-" + n);
        deleteTree(dir);
        Files.createDirectories(dir);
        Path key = dir.resolve("pgpool.key");
        Files.writeString(key, "bench pgpool key\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        Path poolPasswd = dir.resolve("pool_passwd");
        Path conf = dir.resolve("pgpool.conf");
        Files.writeString(conf, "pool_passwd = '" + poolPasswd + "'\n");
        Path users = dir.resolve("users.tsv");
        StringBuilder list = new StringBuilder();
        for (int i = 0; i < n; i++) {
            list.append(MockApi.user(i)).append('\t').append(MockApi.password(i)).append('\n');
        }
        Files.writeString(users, list);
        Path script = dir.resolve("pg_enc-loop.sh");
        Files.writeString(script, """
                #!/bin/bash
                # What users do today: one pg_enc -m per user, into the pool_passwd named by pgpool.conf.
                set -euo pipefail
                while IFS=$'\\t' read -r user password; do
                  /usr/sbin/pg_enc -m -k "$1" -f "$2" -u "$user" "$password" > /dev/null
                done < "$3"
                """);
        Path ourFile = out.resolve("work").resolve("default-" + n).resolve("pool_passwd");
        List<String> ourLines = Files.readAllLines(ourFile);
        String adminLine = ourLines.get(0);

        List<Double> wall = new ArrayList<>();
        List<Double> cpu = new ArrayList<>();
        for (int r = 0; r < pgEncRuns; r++) {
            awaitQuiet();
            Files.writeString(poolPasswd, adminLine + "\n");
            Files.setPosixFilePermissions(poolPasswd, PosixFilePermissions.fromString("rw-------"));
            long[] c0 = ownCpu();
            long[] f0 = cpuAccounting();
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder("bash", script.toString(), key.toString(), conf.toString(), users.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("pg_enc.log").toFile()).start();
            int exit = p.waitFor();
            long t1 = System.nanoTime();
            long[] c1 = ownCpu();
            pgEncForeign.add(foreignCpuPct(f0, cpuAccounting()));
            if (exit != 0) {
                throw new IllegalStateException("pg_enc loop failed, see " + dir.resolve("pg_enc.log"));
            }
            wall.add((t1 - t0) / 1e6);
            cpu.add((c1[1] - c0[1]) * 1000.0 / CLK_TCK);
            log("pg_enc loop " + r + ": " + Stats.num(wall.get(r), 0) + " ms wall, " + Stats.num(cpu.get(r), 0) + " ms CPU");
        }
        // Same users, same key: pg_enc's file and ours must hold the same entries (ours sorted, pg_enc's appended).
        Set<String> theirs = new HashSet<>(Files.readAllLines(poolPasswd));
        boolean same = theirs.equals(new HashSet<>(ourLines)) && theirs.size() == n + 1;

        // Our CLI run once from a cold JVM: java -jar pgpool-user-sync.jar --once, JVM start and Camel start included.
        List<Double> coldWall = new ArrayList<>();
        List<Double> coldCpu = new ArrayList<>();
        Path coldDir = out.resolve("work").resolve("once-" + n);
        for (int r = 0; r < pgEncRuns; r++) {
            awaitQuiet();
            deleteTree(coldDir);
            Files.createDirectories(coldDir);
            Path coldPasswd = coldDir.resolve("pool_passwd");
            Files.writeString(coldPasswd, adminLine + "\n");
            Files.copy(key, coldDir.resolve("pgpool.key"));
            Path pcpPass = coldDir.resolve("pcp.pass");
            Files.writeString(pcpPass, PCP_PASSWORD + "\n");
            List<String> command = new ArrayList<>();
            command.add(javaBin());
            command.addAll(kubernetesProperties());
            command.addAll(List.of("-jar", jar.toString(), "--once", "--namespace", MockApi.NAMESPACE, "--postgres-name",
                    MockApi.POSTGRES, "--pool-passwd", coldPasswd.toString(), "--key-file",
                    coldDir.resolve("pgpool.key").toString(), "--routes-dir", routes.toString(), "--pcp-host", "127.0.0.1",
                    "--pcp-port", Integer.toString(pcp.port()), "--pcp-user", PCP_USER, "--pcp-password-file",
                    pcpPass.toString()));
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(out.resolve("once-" + n + ".log").toFile());
            clean(builder.environment());
            long[] c0 = ownCpu();
            long[] f0 = cpuAccounting();
            long t0 = System.nanoTime();
            int exit = builder.start().waitFor();
            long t1 = System.nanoTime();
            long[] c1 = ownCpu();
            onceForeign.add(foreignCpuPct(f0, cpuAccounting()));
            List<String> lines = Files.readAllLines(coldPasswd);
            if (exit != 0 || lines.size() != n + 1 || !new HashSet<>(lines).equals(new HashSet<>(ourLines))) {
                throw new IllegalStateException("--once run failed (exit " + exit + "), see once-" + n + ".log");
            }
            coldWall.add((t1 - t0) / 1e6);
            coldCpu.add((c1[1] - c0[1]) * 1000.0 / CLK_TCK);
            log("--once run " + r + ": " + Stats.num(coldWall.get(r), 0) + " ms wall");
        }

        Stats pgWall = Stats.of(wall);
        Stats pgCpu = Stats.of(cpu);
        Stats tickWall = ours.stat('F', "wallMs");
        Stats tickCpu = ours.stat('F', "cpuMs");
        Stats onceWall = Stats.of(coldWall);
        Stats onceCpu = Stats.of(coldCpu);
        pgEncRatio = pgWall.median() / tickWall.median();
        StringBuilder md = new StringBuilder("## 4. By hand with `pg_enc -m`, against one tick (N = " + n + ")\n\n");
        md.append("Same ").append(n).append(" users and passwords, same key, pool_passwd starting with the same admin line. ")
                .append("pg_enc: a bash loop running `/usr/sbin/pg_enc -m -k KEY -f pgpool.conf -u USER PASSWORD` once ")
                .append("per user, sequentially (").append(pgEncRuns).append(" runs). Ours: a full tick of the running sync ")
                .append("(list from the mock API over TLS, validate, encode, write, reload over PCP) (").append(ours.kind('F').size())
                .append(" runs), and the CLI run once from a cold JVM (`java -jar pgpool-user-sync.jar --once`, JVM and Camel ")
                .append("start included) (").append(pgEncRuns).append(" runs). CPU of child processes from this JVM's cutime+cstime ")
                .append("(10 ms clock ticks).\n\n");
        md.append("| | wall ms, median (min–max) | CPU ms, median (min–max) | pg_enc loop wall ÷ this wall |\n|---|---:|---:|---:|\n");
        md.append("| `pg_enc -m` × ").append(n).append(" | ").append(pgWall.show(0)).append(" | ").append(pgCpu.show(0))
                .append(" | 1 |\n");
        md.append("| one tick of the running sync | ").append(tickWall.show(1)).append(" | ").append(tickCpu.show(1))
                .append(" | **").append(Stats.num(pgWall.median() / tickWall.median(), 0)).append("×** |\n");
        md.append("| `--once`, cold JVM | ").append(onceWall.show(0)).append(" | ").append(onceCpu.show(0)).append(" | ")
                .append(Stats.num(pgWall.median() / onceWall.median(), 1)).append("× |\n\n");
        md.append("Other load on the machine during these runs (% of one core, median): pg_enc loops ")
                .append(Stats.num(Stats.of(pgEncForeign).median(), 0)).append(" %, `--once` runs ")
                .append(Stats.num(Stats.of(onceForeign).median(), 0)).append(" %.\n\n");
        md.append("Entries identical to pg_enc's (same lines, as sets): **").append(same ? "yes" : "NO").append("**. ")
                .append("pg_enc leaves the reload to the user; the tick includes it.\n\n");
        if (!same) {
            notes.append("- pg_enc's pool_passwd and ours differ at N=").append(n).append('\n');
        }
        return md.toString();
    }

    private double pgEncRatio = Double.NaN;
    private final List<Double> pgEncForeign = new ArrayList<>();
    private final List<Double> onceForeign = new ArrayList<>();

    /** The app's PcpClient against the fake listener, in this JVM: the reload's share of a full tick. */
    private String pcpReloadTiming() throws Exception {
        Path password = Files.createTempFile("pcp", ".pass");
        io.pgpoolusersync.pcp.PcpClient client = new io.pgpoolusersync.pcp.PcpClient("127.0.0.1", pcp.port(), PCP_USER,
                PCP_PASSWORD, java.time.Duration.ofSeconds(5));
        Files.delete(password);
        List<Double> times = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            long t0 = System.nanoTime();
            client.reload();
            if (i >= 20) {
                times.add((System.nanoTime() - t0) / 1e6);
            }
        }
        Stats s = Stats.of(times);
        log("PCP reload round trip: " + s.show(2) + " ms");
        return "### Reload over PCP\n\nThe app's `PcpClient.reload()` (connect, salt, md5 login, reload, terminate) against the "
                + "fake listener, 40 calls after 20 warm-up calls, in the orchestrator JVM: **" + s.show(2) + " ms**.\n\n";
    }

    // ---------------------------------------------------------------- JMH

    private String encoding() throws Exception {
        awaitQuiet();
        log("encoding (JMH)");
        Options options = new OptionsBuilder()
                .include(EncodingBenchmark.class.getName() + ".encode")
                .forks(1)
                .jvmArgs("-Xmx1g")
                .warmupIterations(3).warmupTime(TimeValue.seconds(1))
                .measurementIterations(7).measurementTime(TimeValue.seconds(1))
                .shouldFailOnError(true)
                .build();
        StringBuilder md = new StringBuilder("## 3. Encoding alone (JMH)\n\n");
        md.append("`EncodingBenchmark.encode`: one entry per operation through the tick's own encoder, one thread, ")
                .append("1 fork, 3 × 1 s warm-up, 7 × 1 s measured; figures over the 7 iterations.\n\n");
        md.append("| format | entries/s, median (min–max) | µs per entry | 10k entries take |\n|---|---:|---:|---:|\n");
        for (RunResult result : new Runner(options).run()) {
            Statistics s = result.getPrimaryResult().getStatistics();
            String format = result.getParams().getParam("format");
            double median = s.getPercentile(50);
            encodingRate.put(format, median);
            md.append("| ").append(format).append(" | ")
                    .append(String.format(Locale.ROOT, "%,.0f (%,.0f–%,.0f)", median, s.getMin(), s.getMax()))
                    .append(" | ").append(Stats.num(1e6 / median, 2)).append(" | ")
                    .append(Stats.num(10_000 / median * 1000, 1)).append(" ms |\n");
        }
        return md.append('\n').toString();
    }

    private final Map<String, Double> encodingRate = new LinkedHashMap<>();

    // ---------------------------------------------------------------- profile

    private String profile(int n) throws Exception {
        Path jfr = out.resolve("profile-" + n + ".jfr");
        Files.deleteIfExists(jfr);
        WorkerRun run = worker("profile-" + n, n, "W30,F15,I15", period(n), List.of(), jfr);
        workerRuns.put("profile-" + n, run);
        StringBuilder md = new StringBuilder("## Profile: where a tick's time goes (N = " + n + ")\n\n");
        md.append("JFR execution samples of the worker JVM (`-XX:StartFlightRecording:settings=profile,method-profiling=max`, ")
                .append("Java threads sampled every 1 ms), counted only inside the measured ticks. Each sample goes to ")
                .append("the first phase whose marker appears in its stack. Recording: `").append(out.relativize(jfr))
                .append("`; the figures of this run are not in the tables above (JFR adds overhead).\n\n");
        for (char kind : new char[] {'F', 'I'}) {
            List<JfrHotMethods.Window> windows = run.kind(kind).stream()
                    .map(t -> new JfrHotMethods.Window(Long.parseLong(t.get("start")), Long.parseLong(t.get("end"))))
                    .toList();
            JfrHotMethods.Profile p = JfrHotMethods.analyze(jfr, windows);
            md.append(JfrHotMethods.markdown((kind == 'F' ? "Full ticks" : "Idle ticks") + " (" + windows.size()
                    + " ticks, wall median " + run.stat(kind, "wallMs").show(1) + " ms)", p, 15));
        }
        return md.toString();
    }

    // ---------------------------------------------------------------- tables

    private String targets() {
        StringBuilder md = new StringBuilder("## Targets\n\n| target | measured (median, min–max) | met? |\n|---|---|---|\n");
        WorkerRun r10 = workerRuns.get("default-10000");
        WorkerRun r50 = workerRuns.get("default-50000");
        WorkerRun pod = workerRuns.get("pod-10000");
        WorkerRun def10 = r10;
        if (r10 != null) {
            Stats s = r10.stat('F', "wallMs");
            md.append(row("full tick at 10k users ≤ 1 s wall (2 cores)", s.show(0) + " ms", s.median() <= 1000));
            Stats c = r10.stat('I', "cpuMs");
            md.append(row("idle tick at 10k users ≤ 150 ms CPU", c.show(0) + " ms CPU", c.median() <= 150));
        }
        if (r50 != null) {
            Stats s = r50.stat('F', "wallMs");
            md.append(row("full tick at 50k users ≤ 5 s wall (2 cores)", s.show(0) + " ms", s.median() <= 5000));
        }
        if (!Double.isNaN(pgEncRatio)) {
            md.append(row("≥ 100× faster than the `pg_enc -m` loop at 1k users", Stats.num(pgEncRatio, 0)
                    + "× (tick wall vs loop wall, medians)", pgEncRatio >= 100));
        }
        for (WorkerRun run : new WorkerRun[] {pod, def10}) {
            if (run != null && run.mem().containsKey("vmHwmKib")) {
                double hwm = Long.parseLong(run.mem().get("vmHwmKib")) / 1024.0;
                md.append(row("RSS < 256 MiB at 10k users (" + (run == pod ? "pod-like JVM flags" : "JVM defaults") + ")",
                        "peak RSS (VmHWM) " + Stats.num(hwm, 0) + " MiB", hwm < 256));
            }
        }
        return md.append('\n').toString();
    }

    private static String row(String target, String measured, boolean met) {
        return "| " + target + " | " + measured + " | " + (met ? "met" : "**missed**") + " |\n";
    }

    private String tickTables() {
        StringBuilder md = new StringBuilder();
        md.append("## 1. Full tick (all N users new: pool_passwd back to the admin line alone before each)\n\n");
        md.append("Wall: from the timer exchange's creation to its completion. CPU: the worker process, all threads ")
                .append("(sum of /proc/self/task/*/schedstat). Timer thread: CPU of the thread running the route. ")
                .append("List: the `kubernetes-secrets` step (request, mock API answer, JSON to Secret objects). ")
                .append("Bytes: bytes of the files the tick replaced (pool_passwd and its ownership record).\n\n");
        md.append(table('F'));
        md.append("## 2. Idle tick (nothing changed since the previous tick)\n\n");
        md.append("Proof per tick: pool_passwd and pool_passwd.managed keep inode, size, mtime and ctime; the folder ")
                .append("listing is unchanged (no temp file); the tick reported written=false and reload=NOT_NEEDED; the ")
                .append("fake PCP listener accepted no connection since the previous tick ended.\n\n");
        md.append(table('I'));
        md.append("The app repeats its reload on the ").append("ticks that follow a change (`reload-follow-ups`, default 2: ")
                .append("pgpool children busy at the first reload keep the old file). Those follow-up ticks write nothing ")
                .append("and send one reload each; they come between the full and the idle ticks and are measured apart:\n\n");
        md.append(table('S'));
        md.append(firstTickTable());
        md.append(threadTable());
        return md.toString();
    }

    /** The first tick after the app starts: cold JIT, new TLS connection, all users new. */
    private String firstTickTable() {
        StringBuilder md = new StringBuilder("### The first tick after start\n\n");
        md.append("The first tick of each run (a fresh JVM: classes loading, JIT cold, TLS handshake, all users new). ")
                .append("The tables above are the steady state after the warm-up ticks.\n\n");
        md.append("| run | N | wall ms | CPU ms | of which JIT | of which GC |\n|---|---:|---:|---:|---:|---:|\n");
        for (WorkerRun run : workerRuns.values()) {
            if (run.ticks().isEmpty() || run.name().startsWith("profile")) {
                continue;
            }
            Map<String, String> t = run.ticks().get(0);
            md.append("| ").append(run.name()).append(" | ").append(String.format(Locale.ROOT, "%,d", run.n())).append(" | ")
                    .append(t.get("wallMs")).append(" | ").append(t.get("cpuMs")).append(" | ").append(t.get("jitCpuMs"))
                    .append(" | ").append(t.get("gcCpuMs")).append(" |\n");
        }
        return md.append('\n').toString();
    }

    /** Where the CPU of a tick runs, by thread (names as the kernel shows them, digits folded). */
    private String threadTable() {
        StringBuilder md = new StringBuilder("### CPU by thread, mean ms per tick (schedstat)\n\n");
        md.append("`Camel (camel-N)` = the timer thread (the route, our beans); `vert.x-eventloo` = HTTP client and TLS; ")
                .append("`C2 CompilerThre`/`C1 CompilerThre` = JIT; `GC Thread`, `G1 *` = garbage collector. ")
                .append("\"between ticks\" is the mean per gap after the warm-up.\n\n");
        md.append("| run | kind | top threads |\n|---|---|---|\n");
        for (WorkerRun run : workerRuns.values()) {
            for (char kind : new char[] {'F', 'I', 'G'}) {
                Map<String, String> byName = run.threads().get(String.valueOf(kind));
                if (byName == null || byName.isEmpty()) {
                    continue;
                }
                int count = kind == 'G' ? Math.max(1, run.kind('F').size() + run.kind('I').size() - 1) : run.kind(kind).size();
                String top = byName.entrySet().stream().limit(6)
                        .map(e -> "`" + e.getKey() + "` " + Stats.num(Double.parseDouble(e.getValue()) / count, 1))
                        .collect(Collectors.joining(", "));
                md.append("| ").append(run.name()).append(" | ")
                        .append(kind == 'F' ? "full tick" : kind == 'I' ? "idle tick" : "between ticks").append(" | ")
                        .append(top).append(" |\n");
            }
        }
        return md.append('\n').toString();
    }

    private String table(char kind) {
        StringBuilder md = new StringBuilder("| N | runs | wall ms | CPU ms | of which JIT | of which GC | timer-thread CPU ms | list ms | bytes written | "
                + (kind == 'F' ? "reloads" : kind == 'I' ? "files untouched / PCP connections" : "files untouched / reloads")
                + " |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (WorkerRun run : workerRuns.values()) {
            if (!run.name().startsWith("default-")) {
                continue;
            }
            List<Map<String, String>> ticks = run.kind(kind);
            if (ticks.isEmpty()) {
                continue;
            }
            String extra;
            if (kind == 'S') {
                long untouched = ticks.stream().filter(t -> t.get("poolPasswdTouched").equals("false")
                        && t.get("recordTouched").equals("false") && t.get("listingSame").equals("true")).count();
                int reloads = ticks.stream().mapToInt(t -> Integer.parseInt(t.get("pcpReloads"))).sum();
                extra = untouched + "/" + ticks.size() + " untouched, " + reloads + " reloads";
            } else if (kind == 'I') {
                long untouched = ticks.stream().filter(t -> t.get("poolPasswdTouched").equals("false")
                        && t.get("recordTouched").equals("false") && t.get("listingSame").equals("true")).count();
                int connections = ticks.stream().mapToInt(t -> Integer.parseInt(t.get("pcpConnections"))).sum();
                extra = untouched + "/" + ticks.size() + " untouched, " + connections + " PCP connections";
            } else {
                int reloads = ticks.stream().mapToInt(t -> Integer.parseInt(t.get("pcpReloads"))).sum();
                extra = reloads + " in " + ticks.size() + " ticks";
            }
            md.append("| ").append(String.format(Locale.ROOT, "%,d", run.n())).append(" | ").append(ticks.size())
                    .append(" | ").append(run.stat(kind, "wallMs").show(1))
                    .append(" | ").append(run.stat(kind, "cpuMs").show(1))
                    .append(" | ").append(run.stat(kind, "jitCpuMs").show(1))
                    .append(" | ").append(run.stat(kind, "gcCpuMs").show(1))
                    .append(" | ").append(run.stat(kind, "timerCpuMs").show(1))
                    .append(" | ").append(run.stat(kind, "apiMs").show(1))
                    .append(" | ").append(bytes(run.stat(kind, "fileBytes")))
                    .append(" | ").append(extra).append(" |\n");
        }
        return md.append('\n').toString();
    }

    private static String bytes(Stats s) {
        return s.min() == s.max() ? String.format(Locale.ROOT, "%,.0f", s.median())
                : String.format(Locale.ROOT, "%,.0f (%,.0f–%,.0f)", s.median(), s.min(), s.max());
    }

    private String memoryTable() {
        StringBuilder md = new StringBuilder("## 5. Memory of the running sync (N = 10,000)\n\n");
        md.append("Read in the worker JVM after its last tick, the app still running: peak RSS = VmHWM of ")
                .append("/proc/self/status; heap peak = the largest heap occupancy just before a collection; live = the ")
                .append("largest heap left just after one.\n\n");
        md.append("| JVM flags | GC | max heap | peak RSS (VmHWM) | RSS at end | heap peak | live heap after GC (max) | non-heap used | threads |\n")
                .append("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (WorkerRun run : workerRuns.values()) {
            if (run.n() != 10_000 || run.mem().isEmpty() || run.name().startsWith("profile") || run.name().startsWith("nmt")) {
                continue;
            }
            Map<String, String> m = run.mem();
            md.append("| ").append(run.jvmFlags().isEmpty() ? "none (defaults)" : "`" + String.join(" ", run.jvmFlags()) + "`")
                    .append(" | ").append(m.get("collectors"))
                    .append(" | ").append(mib(m.get("heapMaxB"))).append(" | **").append(kib(m.get("vmHwmKib"))).append("**")
                    .append(" | ").append(kib(m.get("vmRssKib"))).append(" | ").append(mib(m.get("heapPeakBeforeGcB")))
                    .append(" | ").append(mib(m.get("heapLiveMaxAfterGcB"))).append(" | ").append(mib(m.get("nonHeapUsedB")))
                    .append(" | ").append(m.get("threads")).append(" |\n");
        }
        md.append('\n');
        WorkerRun nmtRun = workerRuns.get("nmt-10000");
        if (nmtRun != null && !nmtRun.nmt().isEmpty()) {
            md.append("Where the memory of the pod-like JVM goes: Native Memory Tracking, committed MiB by category, ")
                    .append("read after the last tick of a separate run with `").append(String.join(" ", nmtRun.jvmFlags()))
                    .append("` (peak RSS of that run: ").append(kib(nmtRun.mem().get("vmHwmKib"))).append("; committed is ")
                    .append("an upper bound of what is resident). Full output: `work/nmt-10000/nmt.txt`.\n\n");
            md.append("| category | committed |\n|---|---:|\n");
            nmtRun.nmt().entrySet().stream()
                    .sorted(Map.Entry.<String, String>comparingByValue(java.util.Comparator.comparingLong(Long::parseLong)).reversed())
                    .filter(e -> Long.parseLong(e.getValue()) >= 1024)
                    .forEach(e -> md.append("| ").append(e.getKey()).append(" | ").append(kib(e.getValue())).append(" |\n"));
            md.append('\n');
        }
        WorkerRun pod = workerRuns.get("pod-10000");
        if (pod != null) {
            md.append("Ticks under the pod-like flags (N = 10,000): full ").append(pod.stat('F', "wallMs").show(0))
                    .append(" ms wall / ").append(pod.stat('F', "cpuMs").show(0)).append(" ms CPU; idle ")
                    .append(pod.stat('I', "wallMs").show(0)).append(" ms wall / ").append(pod.stat('I', "cpuMs").show(0))
                    .append(" ms CPU.\n\n");
        }
        return md.toString();
    }

    private String noiseTable() {
        StringBuilder md = new StringBuilder("## Conditions of each worker run\n\n");
        md.append("Other load: CPU used on the machine during the run by processes other than this benchmark's ")
                .append("(from /proc/stat), in % of one core; the benchmark's own mock API shares the 2 cores with the ")
                .append("worker during each list. Idle CPU: the worker's CPU between ticks.\n\n");
        md.append("| run | JVM flags | ticks (W/F/S/I) | other load | load average | idle CPU between ticks | CPU of the measured span: schedstat / JVM / ticks + gaps |\n")
                .append("|---|---|---|---:|---|---:|---|\n");
        for (WorkerRun run : workerRuns.values()) {
            long w = run.kind('W').size();
            md.append("| ").append(run.name()).append(" | ").append(run.jvmFlags().isEmpty() ? "–" : String.join(" ", run.jvmFlags()))
                    .append(" | ").append(w).append('/').append(run.kind('F').size()).append('/').append(run.kind('S').size())
                    .append('/').append(run.kind('I').size())
                    .append(" | ").append(Stats.num(run.foreignCpuPct(), 0)).append(" %")
                    .append(" | ").append(run.loadAvg())
                    .append(" | ").append(run.gaps().getOrDefault("cpuMsPerS", "?")).append(" ms/s")
                    .append(" | ").append(run.run().getOrDefault("schedstatCpuMs", "?")).append(" / ")
                    .append(run.run().getOrDefault("jvmCpuMs", "?")).append(" / ")
                    .append(run.run().getOrDefault("ticksPlusGapsCpuMs", "?")).append(" ms |\n");
        }
        return md.append('\n').toString();
    }

    private static String kib(String value) {
        return value == null ? "?" : Stats.num(Long.parseLong(value) / 1024.0, 0) + " MiB";
    }

    private static String mib(String value) {
        return value == null ? "?" : Stats.num(Long.parseLong(value) / 1048576.0, 0) + " MiB";
    }

    private void writeTsv() throws IOException {
        List<String> keys = new ArrayList<>();
        allTicks.forEach(t -> t.keySet().forEach(k -> {
            if (!keys.contains(k)) {
                keys.add(k);
            }
        }));
        StringBuilder tsv = new StringBuilder(String.join("\t", keys)).append('\n');
        for (Map<String, String> t : allTicks) {
            tsv.append(keys.stream().map(k -> t.getOrDefault(k, "")).collect(Collectors.joining("\t"))).append('\n');
        }
        Files.writeString(out.resolve("ticks.tsv"), tsv);
    }

    // ---------------------------------------------------------------- machine

    private String machine() throws IOException, InterruptedException {
        String cpuModel = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
        String memTotal = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
                .findFirst().orElse("?").replaceAll("\\s+", " ");
        String pgEncVersion;
        try {
            Process p = new ProcessBuilder("dpkg-query", "-W", "-f=${Version}", "pgpool2").redirectErrorStream(true).start();
            pgEncVersion = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            p.waitFor();
        } catch (IOException e) {
            pgEncVersion = "?";
        }
        return "## Machine\n\n"
                + "| | |\n|---|---|\n"
                + "| CPUs (nproc) | " + Runtime.getRuntime().availableProcessors() + " |\n"
                + "| CPU model | " + cpuModel + " |\n"
                + "| memory | " + memTotal + " |\n"
                + "| kernel | " + System.getProperty("os.name") + " " + System.getProperty("os.version") + " |\n"
                + "| JDK | " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + " |\n"
                + "| pgpool2 (pg_enc) | " + pgEncVersion + " |\n"
                + "| orchestrator JVM flags | " + String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()) + " |\n";
    }

    /**
     * Waits (up to bench.quiet.seconds, 30) until the machine's other load stays under a quarter of one
     * core for 3 s, so that a measurement does not start in the middle of someone else's build. Proceeds
     * anyway after the wait; the conditions table shows the load each run actually had.
     */
    private void awaitQuiet() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Long.getLong("bench.quiet.seconds", 30) * 1_000_000_000L;
        int quietSeconds = 0;
        double last = 0;
        while (quietSeconds < 3 && System.nanoTime() < deadline) {
            long[] a = cpuAccounting();
            Thread.sleep(1000);
            last = foreignCpuPct(a, cpuAccounting());
            quietSeconds = last < 25 ? quietSeconds + 1 : 0;
        }
        if (quietSeconds < 3) {
            log("machine still busy (other load " + Stats.num(last, 0) + " % of one core); measuring anyway");
        }
    }

    private static String loadAvg() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException e) {
            return "?";
        }
    }

    private static final long CLK_TCK = 100;

    /** This JVM's CPU in clock ticks: [self utime+stime, waited-for children cutime+cstime]. */
    private static long[] ownCpu() throws IOException {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // after ") ": state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17) -> indexes 11..14
        return new long[] {Long.parseLong(f[11]) + Long.parseLong(f[12]), Long.parseLong(f[13]) + Long.parseLong(f[14])};
    }

    /** [busy jiffies of the whole machine, ours (self + children)]. */
    private static long[] cpuAccounting() throws IOException {
        String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long busy = 0;
        for (int i = 1; i < cpu.length && i <= 8; i++) {
            if (i != 4 && i != 5) { // idle, iowait
                busy += Long.parseLong(cpu[i]);
            }
        }
        long[] own = ownCpu();
        return new long[] {busy, own[0] + own[1], System.nanoTime()};
    }

    private static double foreignCpuPct(long[] before, long[] after) {
        double seconds = (after[2] - before[2]) / 1e9;
        double foreignTicks = (after[0] - before[0]) - (after[1] - before[1]);
        return Math.max(0, foreignTicks / CLK_TCK / seconds * 100);
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static void log(String message) {
        System.out.println("[bench] " + message);
    }
}
