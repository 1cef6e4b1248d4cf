package io.pgpoolusersync.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The demo's pgpool container comes back after an unclean exit. Its pid file lies on an emptyDir, which
 * outlives the container; pgpool refuses to start while that file names a live process, and in a fresh
 * container the file names PID 1, which is the new pgpool itself.
 *
 * <p>This runs the pgpool container's command and args from kustomize/overlays/demo/pgpool.yaml, with
 * Debian's real pgpool and the harness's files in place of the image's paths, as PID 1 of a new PID
 * namespace ({@code unshare --pid}), as a container runs it. It kills that pgpool with SIGKILL, as the OOM
 * killer or the kubelet at the end of a grace period do (the kernel then kills every process of the
 * namespace), and starts the command again with the pid file left behind. As a control, pgpool started
 * without the command's shell (the manifest's old command) must refuse, which shows that the test
 * reproduces the crash loop.
 */
class PgpoolRestartIT {

    static final Path MANIFEST = Path.of("kustomize/overlays/demo/pgpool.yaml");
    static final Duration START = Duration.ofSeconds(30);

    static PgpoolHarness harness;
    /** The pgpool container of the demo's StatefulSet, as written in the manifest. */
    static Map<String, Object> container;
    static final List<Process> started = new ArrayList<>();

    @BeforeAll
    static void start() throws IOException {
        container = pgpoolContainer();
        harness = PgpoolHarness.start();
        harness.stopPgpool(); // only the manifest's command runs pgpool from here on
    }

    @AfterAll
    static void stop() {
        started.forEach(PgpoolRestartIT::killNamespace);
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void pgpoolComesBackAfterSigkillWhenStartedAsTheManifestStartsIt() throws Exception {
        List<String> command = hostArgs(strings(container, "command"));
        List<String> args = hostArgs(strings(container, "args"));
        Path pidFile = harness.pgpoolPidFile();

        Process first = startAsPidOne(command, args, "first start");
        awaitAdminLogin(first);
        assertEquals("1", pidIn(pidFile), "pgpool runs as PID 1 of its namespace and wrote that pid");

        killNamespace(first);
        assertEquals("1", pidIn(pidFile), "SIGKILL leaves the pid file behind, naming PID 1");

        // Control: pgpool started directly, as the manifest did before, refuses that pid file.
        Process control = startAsPidOne(List.of(), args, "control, without the shell");
        assertTrue(control.waitFor(START.toSeconds(), TimeUnit.SECONDS), "the control run did not exit");
        String log = harness.pgpoolLogText();
        assertNotEquals(0, control.exitValue(), "pgpool started over a pid file naming PID 1; log:\n" + log);
        assertTrue(log.contains("pid file found. is another pgpool(1) is running?"),
                "pgpool's refusal, the cause of the crash loop:\n" + log);

        // The manifest's command: the same pid file, and pgpool comes up.
        Process second = startAsPidOne(command, args, "restart after SIGKILL");
        awaitAdminLogin(second);
        assertEquals("1", pidIn(pidFile), "the new pgpool wrote its own pid file");
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /** The manifest's words with the image's paths replaced by this machine's; every path is mapped. */
    static List<String> hostArgs(List<String> manifestArgs) {
        Map<String, String> hostPaths = Map.of(
                "/bin/sh", "/bin/sh",
                "/opt/pgpool-II/bin/pgpool", "/usr/sbin/pgpool",
                "/etc/pgpool/pgpool.conf", harness.pgpoolConf().toString(),
                "/etc/pgpool/pool_hba.conf", harness.hbaConf().toString(),
                "/var/run/pgpool-pcp/pcp.conf", harness.pcpConf().toString(),
                "/etc/pgpool-key/.pgpoolkey", harness.keyFile().toString());
        List<String> out = new ArrayList<>();
        for (String arg : manifestArgs) {
            if (arg.startsWith("/")) {
                String host = hostPaths.get(arg);
                assertNotNull(host, "the pgpool container in " + MANIFEST + " name " + arg + ": map it to a harness file here");
                out.add(host);
            } else {
                out.add(arg);
            }
        }
        return out;
    }

    /**
     * Runs command + args as PID 1 of a new PID namespace, with the container's PGPOOL_PID_FILE pointing at
     * the harness's pid file (the manifest's value is pgpool.conf's pid_file_name, as the render test checks).
     */
    static Process startAsPidOne(List<String> command, List<String> args, String label) throws IOException {
        String manifestPidFile = env(container, "PGPOOL_PID_FILE");
        assertNotNull(manifestPidFile, "the pgpool container sets PGPOOL_PID_FILE");
        List<String> argv = new ArrayList<>(List.of("unshare"));
        if (new com.sun.security.auth.module.UnixSystem().getUid() != 0) {
            argv.addAll(List.of("--user", "--map-root-user")); // a PID namespace without root
        }
        argv.addAll(List.of("--pid", "--fork", "--kill-child", "--"));
        argv.addAll(command);
        argv.addAll(args);
        Files.writeString(harness.pgpoolLog(), "---- " + label + ": " + String.join(" ", argv) + "\n", UTF_8,
                StandardOpenOption.APPEND, StandardOpenOption.CREATE);
        ProcessBuilder pb = new ProcessBuilder(argv).directory(harness.dir().toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(harness.pgpoolLog().toFile()));
        pb.environment().put("PGPOOL_PID_FILE", harness.pgpoolPidFile().toString());
        Process p = pb.start();
        started.add(p);
        return p;
    }

    static void awaitAdminLogin(Process unshare) {
        try {
            await("pgpool accepting the admin").atMost(START).pollInterval(Duration.ofMillis(100))
                    .failFast("pgpool exited", () -> !unshare.isAlive())
                    .ignoreExceptionsInstanceOf(SQLException.class)
                    .untilAsserted(() -> assertTrue(harness.canLogin(harness.adminUser(), harness.adminPassword()),
                            "admin login refused"));
        } catch (ConditionTimeoutException | TerminalFailureException e) {
            fail("pgpool did not come up (" + e.getMessage() + "); log:\n" + harness.pgpoolLogText(), e);
        }
    }

    /** SIGKILL to PID 1 of the namespace; returns once every process of the namespace is gone. */
    static void killNamespace(Process unshare) {
        Optional<ProcessHandle> pidOne = unshare.children().findFirst();
        pidOne.ifPresent(ProcessHandle::destroyForcibly);
        try {
            // unshare returns once its child, PID 1, is reaped: the kernel reaps PID 1 last.
            if (!unshare.waitFor(START.toSeconds(), TimeUnit.SECONDS)) {
                unshare.destroyForcibly().waitFor(START.toSeconds(), TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String pidIn(Path pidFile) throws IOException {
        assertTrue(Files.exists(pidFile), "no pid file at " + pidFile);
        return Files.readString(pidFile, UTF_8).trim(); // pgpool writes the pid and a NUL
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> pgpoolContainer() throws IOException {
        Path project = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
        for (Object doc : new Yaml(new LoaderOptions()).loadAll(Files.readString(project.resolve(MANIFEST)))) {
            Map<String, Object> object = (Map<String, Object>) doc;
            if (object != null && "StatefulSet".equals(object.get("kind"))) {
                Map<String, Object> spec = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>)
                        object.get("spec")).get("template")).get("spec");
                for (Map<String, Object> c : (List<Map<String, Object>>) spec.get("containers")) {
                    if ("pgpool".equals(c.get("name"))) {
                        return c;
                    }
                }
            }
        }
        return fail("no StatefulSet with a container pgpool in " + MANIFEST);
    }

    @SuppressWarnings("unchecked")
    static List<String> strings(Map<String, Object> c, String key) {
        Object value = c.get(key);
        return value == null ? List.of() : ((List<Object>) value).stream().map(String::valueOf).toList();
    }

    @SuppressWarnings("unchecked")
    static String env(Map<String, Object> c, String name) {
        Object env = c.get("env");
        if (env != null) {
            for (Map<String, Object> e : (List<Map<String, Object>>) env) {
                if (name.equals(e.get("name"))) {
                    return String.valueOf(e.get("value"));
                }
            }
        }
        return null;
    }
}
