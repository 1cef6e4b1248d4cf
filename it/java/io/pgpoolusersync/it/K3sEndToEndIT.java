package io.pgpoolusersync.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.LocalPortForward;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * Tier 3: the walkthrough, rotation and deletion ({@link UserLifecycleScenarios}) on a real Kubernetes
 * (k3s in a container), deployed as a user would: the image tar of {@code mvn -Pimage package} imported
 * into k3s, {@code kubectl apply -k kustomize/overlays/demo}, the real PostgreSQL and Pgpool-II images,
 * logins through pgpool with the PostgreSQL JDBC driver over a port-forward. Then what only a cluster
 * shows: the pod's default container and API token, and pgpool coming back after its container is killed.
 *
 * <p>Needs a Docker engine (k3s runs privileged) and Docker Hub for the k3s, postgres and pgpool images.
 * Run it alone with {@code bash scripts/test-k3s} ({@code mvn -Pimage,k3s verify}). Without a Docker
 * engine it is skipped, with the reason, in a plain {@code mvn verify}, and fails under profile k3s
 * ({@code -Dk3s.required=true}). On any failure {@link K3sDiagnostics} writes the cluster's state to
 * target/k3s-diagnostics before k3s is stopped.
 */
@ExtendWith(K3sEndToEndIT.DockerRequired.class)
class K3sEndToEndIT extends UserLifecycleScenarios {

    /** Pinned: Kubernetes 1.31 (its kubectl embeds kustomize v5). */
    static final DockerImageName K3S_IMAGE = DockerImageName.parse("rancher/k3s:v1.31.4-k3s1");
    /**
     * Until k3s logs "Node controller sync successful" (Testcontainers' default: 60 s). That takes 20-60 s
     * on a developer machine and more on a shared 2-core CI VM; past 5 minutes k3s is stuck, not slow.
     */
    static final Duration K3S_STARTUP = Duration.ofMinutes(5);
    static final String NAMESPACE = "demo";
    static final String PGPOOL_POD = "pgpool-sync-0";
    static final int MANAGEMENT_PORT = 9876;
    static final Duration SYNC_WITHIN = Duration.ofSeconds(90);
    static final String REMOTE_ROOT = "/work";

    static K3sContainer k3s;
    static KubernetesClient client;
    static LocalPortForward pgpool;
    static String adminPassword;

    @RegisterExtension
    static final K3sDiagnostics DIAGNOSTICS = new K3sDiagnostics(() -> k3s, NAMESPACE, PGPOOL_POD, MANAGEMENT_PORT);

    @BeforeAll
    static void deployDemo() throws Exception {
        assertTrue(DockerClientFactory.instance().isDockerAvailable(),
                "no Docker engine, and k3s.required is set (profile k3s): the k3s suite needs one");
        Path project = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
        Path imageTar = Path.of(System.getProperty("image.tar", project.resolve("target/jib-image-"
                + ("aarch64".equals(System.getProperty("os.arch")) ? "arm64" : "amd64") + ".tar").toString()));
        assertTrue(Files.isRegularFile(imageTar), "no image tar at " + imageTar
                + ": build it first with `mvn -Pimage -DskipTests package`, or run `bash scripts/test-k3s`, which"
                + " builds it before the suite. Jib needs Docker Hub to pull its base image.");

        k3s = new K3sContainer(K3S_IMAGE).withStartupTimeout(K3S_STARTUP);
        k3s.start();
        importImage(imageTar);

        // The kustomize tree with what it references (../../routes), and the walkthrough's Secret.
        for (String dir : List.of("kustomize", "routes", "examples")) {
            k3s.copyFileToContainer(MountableFile.forHostPath(project.resolve(dir)), REMOTE_ROOT + "/" + dir);
        }
        exec("kubectl", "apply", "-k", REMOTE_ROOT + "/kustomize/overlays/demo");
        exec("kubectl", "--namespace", NAMESPACE, "rollout", "status", "statefulset/ha-postgres", "--timeout=600s");
        exec("kubectl", "--namespace", NAMESPACE, "rollout", "status", "statefulset/pgpool-sync", "--timeout=600s");
        // Ready means every container, the sidecar included (ready after its first successful tick).
        exec("kubectl", "--namespace", NAMESPACE, "wait", "--for=condition=Ready", "pod/" + PGPOOL_POD,
                "--timeout=300s");

        client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(k3s.getKubeConfigYaml())).build();
        Secret auth = client.secrets().inNamespace(NAMESPACE).withName("ha-postgres-auth").get();
        assertNotNull(auth, "Secret ha-postgres-auth");
        adminPassword = new String(Base64.getDecoder().decode(auth.getData().get("password")), StandardCharsets.UTF_8);
        forwardToPgpool();
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (pgpool != null) {
            pgpool.close();
        }
        if (client != null) {
            client.close();
        }
        if (k3s != null) {
            k3s.stop();
        }
    }

    // ---- the shared scenarios on this tier -------------------------------------------------------

    /** The Kubernetes API of k3s; SQL and logins through pgpool over the port-forward, as in the walkthrough. */
    static final SyncTier K3S = new SyncTier() {
        @Override
        public void putSecret(Secret secret) {
            client.secrets().inNamespace(NAMESPACE).resource(secret).createOr(NonDeletingOperation::update);
        }

        @Override
        public void deleteSecret(String name) {
            client.secrets().inNamespace(NAMESPACE).withName(name).delete();
        }

        @Override
        public String sqlAsAdmin(String sql) throws SQLException {
            try (Connection c = connect("postgres", adminPassword); Statement st = c.createStatement()) {
                if (!st.execute(sql)) {
                    return null;
                }
                try (ResultSet rs = st.getResultSet()) {
                    return rs.next() ? rs.getString(1) : null;
                }
            }
        }

        @Override
        public Login login(String user, String password) throws SQLException {
            return Login.attempt(() -> connect(user, password));
        }

        @Override
        public Login loginAsAdmin() throws SQLException {
            return login("postgres", adminPassword);
        }

        @Override
        public Duration syncWithin() {
            return SYNC_WITHIN;
        }
    };

    @Override
    protected SyncTier tier() {
        return K3S;
    }

    @Override
    protected void afterWalkthrough() throws Exception {
        // User names and entry formats only: the entries themselves are secrets.
        String formats = exec("kubectl", "--namespace", NAMESPACE, "exec", PGPOOL_POD, "-c", "pgpool", "--",
                "awk", "-F:", "{ print $1 \":\" substr($2, 1, 3) }", "/var/lib/pgpool-passwd/pool_passwd");
        assertEquals(List.of("postgres:AES", USER + ":AES"), formats.lines().toList(),
                "the init container's admin entry, then john's, both AES");
    }

    // ---- what only a cluster shows ---------------------------------------------------------------

    @Test
    @Order(10)
    @DisplayName("kubectl exec without -c lands in pgpool, which is PID 1 and has no API token")
    void defaultContainerIsPgpoolWithoutToken() throws Exception {
        String out = exec("kubectl", "--namespace", NAMESPACE, "exec", PGPOOL_POD, "--", "sh", "-c",
                "tr '\\0' ' ' < /proc/1/cmdline; echo; ls /var/run/secrets/kubernetes.io/serviceaccount 2>&1 || true");
        List<String> lines = out.lines().toList();
        assertTrue(lines.get(0).startsWith("/opt/pgpool-II/bin/pgpool -n "), "PID 1 of the default container: " + out);
        assertTrue(lines.size() > 1 && lines.get(1).contains("No such file or directory"),
                "pgpool's container has no service account folder: " + out);
    }

    @Test
    @Order(20)
    @DisplayName("pgpool's container killed with SIGKILL: the kubelet restarts it and logins work again")
    void pgpoolRestartsAfterSigkill() throws Exception {
        int restarts = pgpoolStatus().getRestartCount();
        String id = exec("k3s", "crictl", "ps", "--name", "^pgpool$", "--quiet").trim();
        assertTrue(id.matches("[0-9a-f]+"), "one running pgpool container: " + id);
        exec("k3s", "crictl", "stop", "--timeout", "0", id); // SIGKILL, as the OOM killer or a liveness kill
        await("the kubelet restarted pgpool").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2))
                .untilAsserted(() -> assertTrue(pgpoolStatus().getRestartCount() > restarts,
                        "restarts: " + pgpoolStatus().getRestartCount()));
        assertEquals(137, pgpoolStatus().getLastState().getTerminated().getExitCode(), "the last run ended by SIGKILL");
        // A pgpool that refused its pid file would crash-loop here, and the pod would never be Ready.
        exec("kubectl", "--namespace", NAMESPACE, "wait", "--for=condition=Ready", "pod/" + PGPOOL_POD,
                "--timeout=180s");
        pgpool.close();
        forwardToPgpool(); // the old tunnel ended with the container; this waits for an admin login
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /**
     * Skips the class where no Docker engine answers, with a reason that says how to run it, unless
     * k3s.required is set (profile k3s): then @BeforeAll fails, since the caller asked for this tier.
     */
    static final class DockerRequired implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            if (Boolean.getBoolean("k3s.required")) {
                return ConditionEvaluationResult.enabled("k3s.required: run, and fail without Docker");
            }
            if (DockerClientFactory.instance().isDockerAvailable()) {
                return ConditionEvaluationResult.enabled("Docker engine found: running k3s");
            }
            String reason = "No Docker engine: the k3s end-to-end suite (K3sEndToEndIT) needs one to run k3s"
                    + " and was NOT run. Run it on a machine with Docker: `bash scripts/test-k3s` (docs/DEPLOY.md).";
            System.out.println("[K3sEndToEndIT] SKIPPED: " + reason);
            return ConditionEvaluationResult.disabled(reason);
        }
    }

    /**
     * Imports the tar into k3s's containerd and checks that it holds the node's platform: a tar holds one,
     * built for this machine unless -Dimage.arch said otherwise.
     */
    static void importImage(Path imageTar) throws Exception {
        String nodeArch = exec("kubectl", "get", "nodes", "-o", "jsonpath={.items[0].status.nodeInfo.architecture}")
                .trim();
        k3s.copyFileToContainer(MountableFile.forHostPath(imageTar), "/tmp/pgpool-user-sync.tar");
        // --all-platforms: a tar for another platform is imported too and fails the check below with the
        // reason, not with ctr's "image might be filtered out".
        exec("k3s", "ctr", "--namespace", "k8s.io", "images", "import", "--all-platforms", "/tmp/pgpool-user-sync.tar");
        String images = exec("k3s", "ctr", "--namespace", "k8s.io", "images", "list");
        String line = images.lines().filter(l -> l.contains("pgpool-user-sync:")).findFirst()
                .orElseGet(() -> fail("image not imported into k3s:\n" + images));
        assertTrue(line.contains("linux/" + nodeArch), "the image tar " + imageTar + " is not for the node's platform"
                + " linux/" + nodeArch + ": rebuild it with `mvn -Pimage -DskipTests package -Dimage.arch=" + nodeArch
                + "`\n" + line);
    }

    /** kubectl port-forward to pgpool's pod at its container port (a Service forward would guess the port). */
    static void forwardToPgpool() {
        Pod pod = client.pods().inNamespace(NAMESPACE).withName(PGPOOL_POD).get();
        assertNotNull(pod, "pod " + PGPOOL_POD);
        int port = pod.getSpec().getContainers().stream().filter(c -> "pgpool".equals(c.getName()))
                .flatMap(c -> c.getPorts().stream()).filter(p -> "postgresql".equals(p.getName()))
                .map(ContainerPort::getContainerPort).findFirst()
                .orElseGet(() -> fail("pgpool has no port named postgresql"));
        pgpool = client.pods().inNamespace(NAMESPACE).withName(PGPOOL_POD).portForward(port);
        await("admin login through pgpool").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(2))
                .ignoreExceptionsInstanceOf(SQLException.class)
                .untilAsserted(() -> assertEquals(Login.OK, K3S.loginAsAdmin()));
    }

    static ContainerStatus pgpoolStatus() {
        return client.pods().inNamespace(NAMESPACE).withName(PGPOOL_POD).get().getStatus().getContainerStatuses()
                .stream().filter(s -> "pgpool".equals(s.getName())).findFirst()
                .orElseGet(() -> fail("no status of container pgpool"));
    }

    static Connection connect(String user, String password) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.setProperty("sslmode", "disable");
        props.setProperty("connectTimeout", "10");
        props.setProperty("socketTimeout", "30");
        // Database postgres: pgpool never caches its backend connections, so every login is checked.
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pgpool.getLocalPort() + "/postgres", props);
    }

    /** Runs a command in the k3s container; fails with its output when it exits non-zero. */
    static String exec(String... command) throws Exception {
        ExecResult result = k3s.execInContainer(command);
        if (result.getExitCode() != 0) {
            fail("`" + String.join(" ", command) + "` exited " + result.getExitCode() + "\n" + result.getStdout()
                    + result.getStderr());
        }
        return result.getStdout();
    }
}
