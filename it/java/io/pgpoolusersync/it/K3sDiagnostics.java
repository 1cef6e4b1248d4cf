package io.pgpoolusersync.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.opentest4j.TestAbortedException;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.k3s.K3sContainer;

/**
 * What the k3s suite leaves behind when it fails, so that a first run elsewhere can be debugged: on any
 * failure (a test, {@code @BeforeAll}, {@code @BeforeEach}, {@code @AfterEach}), while k3s still runs, it
 * writes to {@code ${build.dir}/k3s-diagnostics/<time>-<where>/} the namespace's objects, the events, the
 * {@code describe} of its pods and StatefulSets, the logs of every container (and of its previous run),
 * the sync's metrics and health, the node, the images k3s holds, and k3s's own log. No Secret's content:
 * Secrets are listed by name only. The failure itself is rethrown unchanged, with the folder named in a
 * suppressed note and on stderr.
 */
final class K3sDiagnostics implements TestExecutionExceptionHandler, LifecycleMethodExecutionExceptionHandler {

    private final Supplier<K3sContainer> k3s;
    private final String namespace;
    private final String syncPod;
    private final int managementPort;

    K3sDiagnostics(Supplier<K3sContainer> k3s, String namespace, String syncPod, int managementPort) {
        this.k3s = k3s;
        this.namespace = namespace;
        this.syncPod = syncPod;
        this.managementPort = managementPort;
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        throw record(context, failure);
    }

    @Override
    public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        throw record(context, failure);
    }

    @Override
    public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        throw record(context, failure);
    }

    @Override
    public void handleAfterEachMethodExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        throw record(context, failure);
    }

    private Throwable record(ExtensionContext context, Throwable failure) {
        if (failure instanceof TestAbortedException) {
            return failure; // a skipped step, not a failure
        }
        try {
            Path dir = write(context.getTestMethod().map(m -> m.getName()).orElse("BeforeAll"));
            System.err.println("[K3sEndToEndIT] diagnostics written to " + dir);
            failure.addSuppressed(new Note("k3s diagnostics written to " + dir));
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
        return failure;
    }

    /** Writes one file per command; a command that fails leaves its error in its file. */
    Path write(String where) throws IOException {
        Path root = Path.of(System.getProperty("build.dir", "target"), "k3s-diagnostics");
        Path dir = root.resolve(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-" + where);
        Files.createDirectories(dir);
        K3sContainer container = k3s.get();
        if (container == null || container.getContainerId() == null) {
            Files.writeString(dir.resolve("README.txt"), "k3s was not created: nothing to collect.\n");
            return dir;
        }
        try {
            Files.writeString(dir.resolve("k3s.log"), container.getLogs(), StandardCharsets.UTF_8);
        } catch (RuntimeException e) {
            Files.writeString(dir.resolve("k3s.log"), "(no log: " + e + ")\n");
        }
        if (!container.isRunning()) {
            return dir;
        }
        String ns = namespace;
        String proxy = "/api/v1/namespaces/" + ns + "/pods/" + syncPod + ":" + managementPort + "/proxy/observe/";
        Map<String, List<String>> commands = new LinkedHashMap<>();
        commands.put("objects.txt", List.of("kubectl", "get",
                "all,configmaps,secrets,serviceaccounts,roles,rolebindings", "--namespace", ns, "-o", "wide"));
        commands.put("events.txt", List.of("kubectl", "get", "events", "--all-namespaces", "--sort-by=.lastTimestamp",
                "-o", "wide"));
        commands.put("describe-pods.txt", List.of("kubectl", "describe", "pods", "--namespace", ns));
        commands.put("describe-statefulsets.txt", List.of("kubectl", "describe", "statefulsets", "--namespace", ns));
        commands.put("node.txt", List.of("kubectl", "describe", "nodes"));
        commands.put("images.txt", List.of("k3s", "ctr", "--namespace", "k8s.io", "images", "list"));
        commands.put("sync-metrics.txt", List.of("kubectl", "get", "--raw", proxy + "metrics"));
        commands.put("sync-health-ready.txt", List.of("kubectl", "get", "--raw", proxy + "health/ready"));
        commands.put("sync-health-live.txt", List.of("kubectl", "get", "--raw", proxy + "health/live"));
        // "pod container container ..." per line, init containers included.
        String containers = run(container, List.of("kubectl", "get", "pods", "--namespace", ns, "-o",
                "jsonpath={range .items[*]}{.metadata.name}{range .spec.initContainers[*]} {.name}{end}"
                        + "{range .spec.containers[*]} {.name}{end}{\"\\n\"}{end}"));
        for (String line : containers.lines().toList()) {
            List<String> words = List.of(line.trim().split("\\s+"));
            for (String c : words.subList(1, words.size())) {
                List<String> logs = new ArrayList<>(List.of("kubectl", "logs", "--namespace", ns, words.get(0),
                        "-c", c, "--timestamps"));
                commands.put("logs-" + words.get(0) + "-" + c + ".txt", logs);
                List<String> previous = new ArrayList<>(logs);
                previous.add("--previous");
                commands.put("logs-" + words.get(0) + "-" + c + "-previous.txt", previous);
            }
        }
        for (Map.Entry<String, List<String>> command : commands.entrySet()) {
            Files.writeString(dir.resolve(command.getKey()), "$ " + String.join(" ", command.getValue()) + "\n"
                    + run(container, command.getValue()), StandardCharsets.UTF_8);
        }
        return dir;
    }

    private static String run(K3sContainer container, List<String> command) {
        try {
            ExecResult r = container.execInContainer(command.toArray(String[]::new));
            return r.getStdout() + r.getStderr() + (r.getExitCode() == 0 ? "" : "(exit " + r.getExitCode() + ")\n");
        } catch (IOException | RuntimeException e) {
            return "(" + e + ")\n";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(interrupted)\n";
        }
    }

    /** Names the diagnostics folder in the failure's report. */
    static final class Note extends RuntimeException {
        Note(String message) {
            super(message, null, false, false);
        }
    }
}
