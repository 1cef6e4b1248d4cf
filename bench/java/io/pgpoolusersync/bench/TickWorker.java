package io.pgpoolusersync.bench;

import io.pgpoolusersync.Settings;
import io.pgpoolusersync.SyncApplication;
import io.pgpoolusersync.passwd.AesPasswordEncoder;
import io.pgpoolusersync.passwd.KeyFile;
import io.pgpoolusersync.store.PoolPasswdChange;
import io.pgpoolusersync.tick.TickResult;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.spi.CamelContextTracker;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.EventNotifierSupport;

/**
 * The JVM being measured: the real {@link SyncApplication} with the real YAML routes, reading Secrets from
 * the mock API of the orchestrating JVM and reloading its fake PCP listener, exactly as the sidecar runs
 * (a long-lived app, a timer tick every period). Nothing else runs here, so this process's CPU is the
 * sync's CPU.
 *
 * <p>A Camel event notifier, attached through {@link CamelContextTracker} (public Camel API; the app is
 * not changed), brackets each tick: from the creation of the timer's exchange to its completion, on the
 * timer thread. Between two ticks, still on the timer thread and outside the bracket, it prepares the
 * next one: for a full tick it puts pool_passwd back to the admin line alone and removes the ownership
 * record, so that all N users are new again; for an idle tick it leaves everything as the last tick
 * wrote it.
 *
 * <p>Plan: {@code W} warm-up full ticks (not reported in the tables), {@code F} measured full ticks, then the
 * app's follow-up reloads ({@code S}, inserted here: nothing written, one reload each), then {@code I}
 * measured idle ticks. Prints one {@code TICK} line per tick, then {@code MEM}, {@code CHECK},
 * {@code THREADS} and {@code GAPS}, tab-separated key=value.
 */
public final class TickWorker {

    static final String ADMIN_USER = "postgres";
    static final String ADMIN_PASSWORD = "admin-password-not-managed";

    private TickWorker() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new LinkedHashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            opt.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        Path dir = Path.of(opt.get("dir"));
        List<Character> plan = plan(opt.get("plan"));
        int n = Integer.parseInt(opt.get("n"));

        Files.createDirectories(dir);
        Path key = dir.resolve("pgpool.key");
        Path pcpPassword = dir.resolve("pcp.pass");
        Path poolPasswd = dir.resolve("pool_passwd");
        writeOwnerOnly(key, "bench pgpool key\n");
        writeOwnerOnly(pcpPassword, opt.get("pcp-password") + "\n");
        byte[] adminOnly = (ADMIN_USER + ":" + new AesPasswordEncoder(KeyFile.read(key)).encode(ADMIN_USER, ADMIN_PASSWORD)
                + "\n").getBytes(StandardCharsets.UTF_8);

        Map<String, String> flags = new LinkedHashMap<>();
        flags.put("namespace", MockApi.NAMESPACE);
        flags.put("postgres-name", MockApi.POSTGRES);
        flags.put("pool-passwd", poolPasswd.toString());
        flags.put("key-file", key.toString());
        flags.put("format", opt.getOrDefault("format", "aes"));
        flags.put("period", opt.get("period"));
        flags.put("pcp-host", "127.0.0.1");
        flags.put("pcp-port", opt.get("pcp-port"));
        flags.put("pcp-user", opt.get("pcp-user"));
        flags.put("pcp-password-file", pcpPassword.toString());
        flags.put("routes-dir", opt.get("routes"));
        // Health and metrics on, as in the sidecar, on a free port.
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            flags.put("management-port", Integer.toString(free.getLocalPort()));
        }
        Settings settings = Settings.load(flags, Map.of());
        // After a change the app repeats the reload on the next reload-follow-ups ticks (default 2): those
        // ticks write nothing but do reload. They are measured apart, as 'S', before the idle ticks.
        int firstIdle = plan.indexOf('I');
        if (firstIdle > 0) {
            for (int i = 0; i < settings.reloadFollowUps(); i++) {
                plan.add(firstIdle, 'S');
            }
        }

        HeapPeaks heap = new HeapPeaks();
        Recorder recorder = new Recorder(plan, n, poolPasswd, adminOnly);
        recorder.resetToAdminOnly();
        recorder.before = recorder.snapshotFiles();
        CamelContextTracker tracker = new CamelContextTracker() {
            @Override
            public void contextCreated(CamelContext context) {
                context.getManagementStrategy().addEventNotifier(recorder);
            }
        };
        tracker.open();
        try (SyncApplication app = new SyncApplication(settings, null)) {
            recorder.app = app;
            app.start();
            long timeout = Long.parseLong(opt.getOrDefault("timeout-s", "900"));
            if (!recorder.done.await(timeout, TimeUnit.SECONDS)) {
                throw new IllegalStateException("ticks did not finish within " + timeout + " s; last status: "
                        + app.status().lastError());
            }
            // Read memory while the app is still up: the figure of the running sync.
            System.out.println(heap.line());
            if (Boolean.getBoolean("bench.nmt")) {
                System.out.println(nativeMemory(dir));
            }
        }
        tracker.close();
        System.out.println(recorder.checkLine());
        for (char kind : new char[] {'F', 'I', 'G'}) {
            System.out.println(recorder.threadsLine(kind));
        }
        System.out.println(recorder.gapLine());
        System.out.flush();
        System.exit(recorder.failures == 0 ? 0 : 3);
    }

    /**
     * Native Memory Tracking summary (needs -XX:NativeMemoryTracking=summary): written to nmt.txt, and the
     * committed KiB of each category as one NMT line.
     */
    static String nativeMemory(Path dir) throws Exception {
        String summary = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "vmNativeMemory",
                new Object[] {new String[] {"summary"}}, new String[] {String[].class.getName()});
        Files.writeString(dir.resolve("nmt.txt"), summary);
        StringBuilder line = new StringBuilder("NMT");
        java.util.regex.Matcher total = java.util.regex.Pattern.compile("Total: reserved=\\d+KB, committed=(\\d+)KB")
                .matcher(summary);
        if (total.find()) {
            line.append("\tTotal=").append(total.group(1));
        }
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("(?m)^[-\\s]*([A-Za-z][A-Za-z ]*[A-Za-z]) \\(reserved=\\d+KB, committed=(\\d+)KB\\)")
                .matcher(summary);
        while (m.find()) {
            line.append('\t').append(m.group(1).trim()).append('=').append(m.group(2));
        }
        return line.toString();
    }

    /** "W3,F7,I7" -> W W W F F ... : warm-up full ticks, measured full ticks, measured idle ticks. */
    static List<Character> plan(String text) {
        List<Character> plan = new ArrayList<>();
        for (String part : text.split(",")) {
            int count = Integer.parseInt(part.substring(1));
            for (int i = 0; i < count; i++) {
                plan.add(part.charAt(0));
            }
        }
        return plan;
    }

    private static void writeOwnerOnly(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }

    static String ms(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.3f", nanos / 1e6);
    }

    /** Brackets ticks and prepares the next one. All callbacks run on the Camel timer thread. */
    static final class Recorder extends EventNotifierSupport {
        final CountDownLatch done = new CountDownLatch(1);
        private final List<Character> plan;
        private final int n;
        private final Path poolPasswd;
        private final Path record;
        private final Path folder;
        private final byte[] adminOnly;
        volatile SyncApplication app;
        int failures;

        private int index;
        private String exchangeId;
        private long wall0;
        private long epoch0;
        private long cpu0;
        private long timerCpu0;
        private long gcCount0;
        private long gcMillis0;
        private long wchar0;
        private long apiNanos;
        Files3 before;

        // From the start of the first measured tick to the end of the last: the cross-check of CPU figures.
        private long steadyWall0;
        private long steadyCpu0;
        private long steadyTicks0;
        private String check = "CHECK";
        private long measuredTickCpu;
        private long measuredGapCpu;

        private final Map<Character, Map<String, Long>> tickThreads = new java.util.TreeMap<>();
        private final Map<String, Long> gapThreads = new java.util.TreeMap<>();
        private Map<String, Long> threads0 = Map.of();
        private Map<String, Long> gapThreads0 = Map.of();

        private long gapStartWall;
        private long gapStartCpu;
        private long gapWall;
        private long gapCpu;

        Recorder(List<Character> plan, int n, Path poolPasswd, byte[] adminOnly) {
            this.plan = plan;
            this.n = n;
            this.poolPasswd = poolPasswd;
            this.record = poolPasswd.resolveSibling(poolPasswd.getFileName() + ".managed");
            this.folder = poolPasswd.getParent();
            this.adminOnly = adminOnly;
        }

        record Files3(Probe.FileState poolPasswd, Probe.FileState record, Set<String> listing) {
        }

        Files3 snapshotFiles() throws IOException {
            Set<String> listing;
            try (Stream<Path> list = Files.list(folder)) {
                listing = list.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
            }
            return new Files3(Probe.FileState.of(poolPasswd), Probe.FileState.of(record), listing);
        }

        void resetToAdminOnly() throws IOException {
            Files.write(poolPasswd, adminOnly);
            Files.setPosixFilePermissions(poolPasswd, PosixFilePermissions.fromString("rw-------"));
            Files.deleteIfExists(record);
        }

        @Override
        public boolean isEnabled(CamelEvent event) {
            return event instanceof CamelEvent.ExchangeCreatedEvent
                    || event instanceof CamelEvent.ExchangeCompletedEvent
                    || event instanceof CamelEvent.ExchangeFailedEvent
                    || event instanceof CamelEvent.ExchangeSentEvent;
        }

        @Override
        public void notify(CamelEvent event) throws Exception {
            Exchange exchange = ((CamelEvent.ExchangeEvent) event).getExchange();
            if (event instanceof CamelEvent.ExchangeCreatedEvent) {
                if (exchangeId == null && index < plan.size() && exchange.getFromEndpoint() != null
                        && exchange.getFromEndpoint().getEndpointUri().startsWith("timer")) {
                    start(exchange);
                }
            } else if (event instanceof CamelEvent.ExchangeSentEvent sent) {
                if (exchange.getExchangeId().equals(exchangeId)
                        && sent.getEndpoint().getEndpointUri().startsWith("kubernetes-secrets")) {
                    apiNanos = sent.getTimeTaken() * 1_000_000L;
                }
            } else if (exchange.getExchangeId().equals(exchangeId)) {
                end(event instanceof CamelEvent.ExchangeFailedEvent, exchange.getMessage().getBody());
            }
        }

        private void start(Exchange exchange) {
            // Readings last-to-first around the bracket, so the readings' own cost falls mostly outside it.
            if (gapStartWall != 0 && index > 0) {
                Map<String, Long> now = Probe.threadCpu();
                long cpu = sum(now) - gapStartCpu;
                if (steadyWall0 != 0) {
                    Probe.addByName(gapThreads0, now, gapThreads);
                }
                gapWall += System.nanoTime() - gapStartWall;
                gapCpu += cpu;
                if (steadyWall0 != 0) {
                    measuredGapCpu += cpu;
                }
            }
            if (steadyWall0 == 0 && plan.get(index) != 'W') {
                steadyTicks0 = Probe.processCpuTicksNanos();
                steadyCpu0 = Probe.cpuNanos();
                steadyWall0 = System.nanoTime();
            }
            exchangeId = exchange.getExchangeId();
            apiNanos = -1;
            wchar0 = Probe.io("wchar");
            long[] gc = gc();
            gcCount0 = gc[0];
            gcMillis0 = gc[1];
            epoch0 = System.currentTimeMillis();
            timerCpu0 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
            threads0 = Probe.threadCpu();
            cpu0 = sum(threads0);
            wall0 = System.nanoTime();
        }

        private void end(boolean failed, Object body) throws IOException {
            long wall = System.nanoTime() - wall0;
            Map<String, Long> threads1 = Probe.threadCpu();
            long cpu = sum(threads1) - cpu0;
            long timerCpu = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - timerCpu0;
            long epoch1 = System.currentTimeMillis();
            long[] gc = gc();
            long wchar = Probe.io("wchar") - wchar0;
            exchangeId = null;

            char kind = plan.get(index);
            Files3 after = snapshotFiles();
            long fileBytes = (after.poolPasswd().touchedSince(before.poolPasswd()) ? after.poolPasswd().size() : 0)
                    + (after.record().touchedSince(before.record()) ? after.record().size() : 0);
            // The route leaves the TickResult in the body (reloadIfOwed returns it; the report returns nothing).
            TickResult result = body instanceof TickResult r ? r : null;
            String error = app.status().lastError();
            StringBuilder line = new StringBuilder("TICK");
            field(line, "i", index);
            field(line, "kind", kind);
            field(line, "n", n);
            field(line, "wallMs", ms(wall));
            field(line, "statusMs", app.status().lastDuration().toMillis());
            field(line, "cpuMs", ms(cpu));
            field(line, "timerCpuMs", ms(timerCpu));
            Map<String, Long> byName = new java.util.HashMap<>();
            Probe.addByName(threads0, threads1, byName);
            long jit = 0;
            long gcThreads = 0;
            for (Map.Entry<String, Long> e : byName.entrySet()) {
                if (e.getKey().contains("CompilerThre")) {
                    jit += e.getValue();
                } else if (e.getKey().startsWith("GC Thread") || e.getKey().startsWith("G1 ")
                        || e.getKey().startsWith("GN ") || e.getKey().equals("VM Thread")) {
                    gcThreads += e.getValue(); // the VM thread runs the serial collector's pauses
                }
            }
            field(line, "jitCpuMs", ms(jit));
            field(line, "gcCpuMs", ms(gcThreads));
            field(line, "apiMs", apiNanos < 0 ? "-" : ms(apiNanos));
            field(line, "gcCount", gc[0] - gcCount0);
            field(line, "gcMs", gc[1] - gcMillis0);
            field(line, "fileBytes", fileBytes);
            field(line, "liveHeapMiB", String.format(java.util.Locale.ROOT, "%.1f", HeapPeaks.lastAfterGc / 1048576.0));
            field(line, "wchar", wchar);
            field(line, "poolPasswdTouched", after.poolPasswd().touchedSince(before.poolPasswd()));
            field(line, "recordTouched", after.record().touchedSince(before.record()));
            field(line, "listingSame", after.listing().equals(before.listing()));
            field(line, "start", epoch0);
            field(line, "end", epoch1);
            boolean ok = !failed && error == null && result != null;
            if (result != null) {
                PoolPasswdChange change = result.change();
                field(line, "added", change.added());
                field(line, "updated", change.updated());
                field(line, "unchanged", change.unchanged());
                field(line, "removed", change.removed());
                field(line, "rejected", change.rejections().size());
                field(line, "written", change.changed());
                field(line, "reload", result.reload());
                field(line, "poolPasswdBytes", after.poolPasswd().size());
                ok &= switch (kind) {
                    case 'W', 'F' -> change.added() == n && change.changed() && result.reload() == TickResult.Reload.OK;
                    case 'S' -> change.unchanged() == n && !change.changed() && result.reload() == TickResult.Reload.OK;
                    default -> change.unchanged() == n && !change.changed()
                            && result.reload() == TickResult.Reload.NOT_NEEDED;
                };
                if (kind == 'I' || kind == 'S') {
                    ok &= !after.poolPasswd().touchedSince(before.poolPasswd())
                            && !after.record().touchedSince(before.record())
                            && after.listing().equals(before.listing());
                }
            }
            field(line, "ok", ok);
            if (error != null) {
                field(line, "error", error.replace('\t', ' ').replace('\n', ' '));
            }
            if (!ok) {
                failures++;
            }
            System.out.println(line);
            System.out.flush();

            if (kind != 'W') {
                measuredTickCpu += cpu;
                Probe.addByName(threads0, threads1, tickThreads.computeIfAbsent(kind, k -> new java.util.TreeMap<>()));
            }
            index++;
            if (index >= plan.size()) {
                check = "CHECK\tsteadyWallMs=" + ms(System.nanoTime() - steadyWall0)
                        + "\tschedstatCpuMs=" + ms(Probe.cpuNanos() - steadyCpu0)
                        + "\tjvmCpuMs=" + ms(Probe.processCpuTicksNanos() - steadyTicks0)
                        + "\tticksPlusGapsCpuMs=" + ms(measuredTickCpu + measuredGapCpu);
                done.countDown();
                return;
            }
            if (plan.get(index) == 'W' || plan.get(index) == 'F') {
                resetToAdminOnly();
            }
            before = snapshotFiles();
            gapThreads0 = Probe.threadCpu();
            gapStartCpu = sum(gapThreads0);
            gapStartWall = System.nanoTime();
        }

        String checkLine() {
            return check;
        }

        /** CPU of the measured full (F) or idle (I) ticks, or of the gaps (G) after the warm-up, by thread, in ms. */
        String threadsLine(char kind) {
            Map<String, Long> byName = kind == 'G' ? gapThreads : tickThreads.getOrDefault(kind, Map.of());
            return "THREADS\tof=" + kind + byName.entrySet().stream()
                    .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                    .map(e -> "\t" + e.getKey().replace('=', '_').replace('\t', ' ') + "=" + ms(e.getValue()))
                    .collect(Collectors.joining());
        }

        private static long sum(Map<String, Long> cpu) {
            long total = 0;
            for (long ns : cpu.values()) {
                total += ns;
            }
            return total;
        }

        String gapLine() {
            return "GAPS\twallMs=" + ms(gapWall) + "\tcpuMs=" + ms(gapCpu) + "\tcpuMsPerS="
                    + String.format(java.util.Locale.ROOT, "%.3f", gapWall == 0 ? 0 : (gapCpu / 1e6) / (gapWall / 1e9));
        }

        private static long[] gc() {
            long count = 0;
            long millis = 0;
            for (GarbageCollectorMXBean bean : ManagementFactory.getGarbageCollectorMXBeans()) {
                count += Math.max(0, bean.getCollectionCount());
                millis += Math.max(0, bean.getCollectionTime());
            }
            return new long[] {count, millis};
        }

        private static void field(StringBuilder line, String key, Object value) {
            line.append('\t').append(key).append('=').append(value);
        }
    }

    /**
     * Peak heap, two ways: the largest heap occupancy seen just before a collection (a true peak of the
     * sum of all pools), and the largest live set just after one; plus the JVM's per-pool peaks summed
     * (an upper bound, the pools peak at different moments).
     */
    static final class HeapPeaks {
        private volatile long maxBeforeGc;
        private volatile long maxAfterGc;
        /** The heap left by the most recent collection: the live set, tick after tick. */
        static volatile long lastAfterGc;
        private final Set<String> heapPools = new TreeSet<>();

        HeapPeaks() {
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP) {
                    heapPools.add(pool.getName());
                }
            }
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                ((NotificationEmitter) gc).addNotificationListener((notification, handback) -> {
                    if (!com.sun.management.GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION
                            .equals(notification.getType())) {
                        return;
                    }
                    com.sun.management.GcInfo info = com.sun.management.GarbageCollectionNotificationInfo
                            .from((CompositeData) notification.getUserData()).getGcInfo();
                    long before = sum(info.getMemoryUsageBeforeGc());
                    long after = sum(info.getMemoryUsageAfterGc());
                    synchronized (this) {
                        maxBeforeGc = Math.max(maxBeforeGc, before);
                        maxAfterGc = Math.max(maxAfterGc, after);
                        lastAfterGc = after;
                    }
                }, null, null);
            }
        }

        private long sum(Map<String, MemoryUsage> usage) {
            long total = 0;
            for (Map.Entry<String, MemoryUsage> e : usage.entrySet()) {
                if (heapPools.contains(e.getKey())) {
                    total += e.getValue().getUsed();
                }
            }
            return total;
        }

        String line() {
            MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
            MemoryUsage nonHeap = ManagementFactory.getMemoryMXBean().getNonHeapMemoryUsage();
            long poolPeaks = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP) {
                    poolPeaks += pool.getPeakUsage().getUsed();
                }
            }
            long gcs = 0;
            for (GarbageCollectorMXBean bean : ManagementFactory.getGarbageCollectorMXBeans()) {
                gcs += bean.getCollectionCount();
            }
            String collectors = ManagementFactory.getGarbageCollectorMXBeans().stream()
                    .map(GarbageCollectorMXBean::getName).collect(Collectors.joining("+")).replace(' ', '_');
            return "MEM\tvmHwmKib=" + Probe.statusKib("VmHWM") + "\tvmRssKib=" + Probe.statusKib("VmRSS")
                    + "\theapPeakBeforeGcB=" + Math.max(maxBeforeGc, heap.getUsed())
                    + "\theapLiveMaxAfterGcB=" + maxAfterGc
                    + "\theapPoolPeaksSumB=" + poolPeaks
                    + "\theapUsedB=" + heap.getUsed() + "\theapCommittedB=" + heap.getCommitted()
                    + "\theapMaxB=" + heap.getMax() + "\tnonHeapUsedB=" + nonHeap.getUsed()
                    + "\tnonHeapCommittedB=" + nonHeap.getCommitted()
                    + "\tthreads=" + ManagementFactory.getThreadMXBean().getThreadCount()
                    + "\tgcCount=" + gcs + "\tcollectors=" + collectors
                    + "\tjvmArgs=" + String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments())
                            .replace('\t', ' ');
        }
    }
}
