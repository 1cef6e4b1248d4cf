package io.pgpoolusersync.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where the time of a tick goes, from a JFR recording of the worker JVM (jdk.ExecutionSample, Java
 * threads running Java code, every 1 ms with {@code method-profiling=max}). Only samples taken inside the
 * given tick windows count. Each sample is put in one phase of the tick, by the outermost frame that
 * names one; then the hottest leaf methods and the heaviest methods of our own code.
 */
final class JfrHotMethods {

    /** Markers, tried in this order against every frame of a sample. */
    private static final Map<String, String> PHASES = new LinkedHashMap<>();

    static {
        PHASES.put("io.pgpoolusersync.secrets.UserSecrets.review", "review: decode and validate Secrets");
        PHASES.put("io.pgpoolusersync.passwd.AesPasswordEncoder.", "plan: encode entries (AES)");
        PHASES.put("io.pgpoolusersync.passwd.Md5PasswordEncoder.", "plan: encode entries (md5)");
        PHASES.put("io.pgpoolusersync.passwd.PoolPasswd.parse", "plan: parse current pool_passwd");
        PHASES.put("io.pgpoolusersync.passwd.PoolPasswd.render", "plan: render new pool_passwd");
        PHASES.put("io.pgpoolusersync.store.ManagedUsers.read", "plan: read ownership record");
        PHASES.put("io.pgpoolusersync.store.PoolPasswdStore.plan", "plan: merge, compare, rest");
        PHASES.put("io.pgpoolusersync.store.PoolPasswdStore.write", "write: temp file, fsync, rename");
        PHASES.put("io.pgpoolusersync.pcp.PgpoolReload.reloadIfOwed", "reload over PCP");
        PHASES.put("io.pgpoolusersync.tick.TickReport.", "report");
        PHASES.put("com.fasterxml.jackson.", "list Secrets: JSON -> Secret objects (fabric8/Jackson)");
        PHASES.put("io.fabric8.", "list Secrets: fabric8 client, other");
        PHASES.put("io.vertx.", "list Secrets: HTTP + TLS (vert.x/Netty)");
        PHASES.put("io.netty.", "list Secrets: HTTP + TLS (vert.x/Netty)");
        PHASES.put("sun.security.ssl.", "list Secrets: HTTP + TLS (vert.x/Netty)");
        PHASES.put("org.apache.camel.", "Camel routing, other");
    }

    record Window(long startMillis, long endMillis) {
    }

    record Profile(int samples, Map<String, Integer> phases, Map<String, Integer> leaves,
            Map<String, Integer> ours, Map<String, Integer> threads) {
    }

    private JfrHotMethods() {
    }

    static Profile analyze(Path recording, List<Window> windows) throws IOException {
        Map<String, Integer> phases = new LinkedHashMap<>();
        Map<String, Integer> leaves = new LinkedHashMap<>();
        Map<String, Integer> ours = new LinkedHashMap<>();
        Map<String, Integer> threads = new LinkedHashMap<>();
        int samples = 0;
        try (RecordingFile file = new RecordingFile(recording)) {
            while (file.hasMoreEvents()) {
                RecordedEvent event = file.readEvent();
                if (!event.getEventType().getName().equals("jdk.ExecutionSample")) {
                    continue;
                }
                long at = event.getStartTime().toEpochMilli();
                if (windows.stream().noneMatch(w -> at >= w.startMillis() && at <= w.endMillis())) {
                    continue;
                }
                if (event.getStackTrace() == null) {
                    continue;
                }
                samples++;
                List<RecordedFrame> frames = event.getStackTrace().getFrames();
                RecordedThread thread = event.getThread("sampledThread");
                String threadName = thread == null ? "?" : thread.getJavaName();
                threads.merge(threadName == null ? "?" : threadName.replaceAll("[0-9]+", "N"), 1, Integer::sum);
                if (!frames.isEmpty()) {
                    leaves.merge(name(frames.get(0).getMethod()), 1, Integer::sum);
                }
                phases.merge(phase(frames), 1, Integer::sum);
                Set<String> seen = new HashSet<>();
                for (RecordedFrame frame : frames) {
                    String name = name(frame.getMethod());
                    if (name.startsWith("io.pgpoolusersync.") && !name.startsWith("io.pgpoolusersync.bench.")
                            && seen.add(name)) {
                        ours.merge(name, 1, Integer::sum);
                    }
                }
            }
        }
        return new Profile(samples, sorted(phases), sorted(leaves), sorted(ours), sorted(threads));
    }

    private static String phase(List<RecordedFrame> frames) {
        for (Map.Entry<String, String> marker : PHASES.entrySet()) {
            for (RecordedFrame frame : frames) {
                if (name(frame.getMethod()).startsWith(marker.getKey())) {
                    return marker.getValue();
                }
            }
        }
        return "other (JDK, timer, logging)";
    }

    private static String name(RecordedMethod method) {
        return method == null ? "?" : method.getType().getName() + "." + method.getName();
    }

    private static Map<String, Integer> sorted(Map<String, Integer> counts) {
        return counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, LinkedHashMap::new));
    }

    /** Markdown: phases, then the top leaves and our own methods, as shares of the samples. */
    static String markdown(String title, Profile profile, int top) {
        StringBuilder out = new StringBuilder();
        out.append("#### ").append(title).append(" (").append(profile.samples()).append(" samples)\n\n");
        out.append("| phase of the tick | share of samples |\n|---|---:|\n");
        profile.phases().forEach((k, v) -> out.append("| ").append(k).append(" | ").append(pct(v, profile.samples()))
                .append(" |\n"));
        out.append("\n| hottest leaf methods (self time) | share |\n|---|---:|\n");
        profile.leaves().entrySet().stream().limit(top).forEach(e -> out.append("| `").append(e.getKey())
                .append("` | ").append(pct(e.getValue(), profile.samples())).append(" |\n"));
        out.append("\n| our methods (inclusive) | share |\n|---|---:|\n");
        profile.ours().entrySet().stream().limit(top).forEach(e -> out.append("| `")
                .append(e.getKey().replace("io.pgpoolusersync.", "")).append("` | ")
                .append(pct(e.getValue(), profile.samples())).append(" |\n"));
        out.append("\n| sampled threads | share |\n|---|---:|\n");
        profile.threads().entrySet().stream().limit(8).forEach(e -> out.append("| ").append(e.getKey())
                .append(" | ").append(pct(e.getValue(), profile.samples())).append(" |\n"));
        return out.append('\n').toString();
    }

    private static String pct(int count, int total) {
        return total == 0 ? "–" : Stats.num(100.0 * count / total, 1) + " %";
    }

    /** For a run by hand: {@code JfrHotMethods FILE [startMillis endMillis]...}. */
    public static void main(String[] args) throws IOException {
        List<Window> windows = new java.util.ArrayList<>();
        for (int i = 1; i + 1 < args.length; i += 2) {
            windows.add(new Window(Long.parseLong(args[i]), Long.parseLong(args[i + 1])));
        }
        if (windows.isEmpty()) {
            windows.add(new Window(0, Instant.now().toEpochMilli() + 86_400_000L));
        }
        System.out.print(markdown(args[0], analyze(Path.of(args[0]), windows), 25));
    }
}
