package io.pgpoolusersync.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.LocalPortForward;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * Tier 3: the reference walkthrough on a real Kubernetes (k3s in a container), deployed exactly as a
 * user would: {@code kubectl apply -k kustomize/overlays/demo} with the image built by
 * {@code mvn -Pimage package}, real PostgreSQL and Pgpool-II images, then logins through the pgpool
 * Service with the PostgreSQL JDBC driver.
 *
 * <p>Needs a Docker engine (k3s runs privileged) and registry access for the k3s, postgres and pgpool
 * images. Without a Docker engine the class is skipped, and the report says so
 * ({@code disabledWithoutDocker}); it is never faked. Run it with {@code mvn -Pimage verify}
 * (builds target/jib-image.tar, then runs the integration tests).
 */
@ExtendWith(K3sEndToEndIT.DockerRequired.class)
@Testcontainers(disabledWithoutDocker = true)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class K3sEndToEndIT {

    /** Pinned: Kubernetes 1.31 (its kubectl embeds kustomize v5). */
    static final DockerImageName K3S_IMAGE = DockerImageName.parse("rancher/k3s:v1.31.4-k3s1");

    static final String NAMESPACE = "demo";
    static final String PGPOOL_SERVICE = "pgpool-sync";
    static final int PGPOOL_PORT = 9999;
    static final String USER = "john";
    static final Duration SYNC_WITHIN = Duration.ofSeconds(90);
    static final String REMOTE_ROOT = "/work";

    static K3sContainer k3s;
    static KubernetesClient client;
    static LocalPortForward pgpool;
    static String adminPassword;
    static boolean walkthroughPassed;
    static boolean rotationPassed;

    @RegisterExtension
    static final TestWatcher DIAGNOSTICS = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            System.err.println(diagnostics());
        }
    };

    @BeforeAll
    static void deployDemo() throws Exception {
        Path project = Paths.get(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
        // Where the image profile writes it: ${build.dir}/jib-image.tar (-Dimage.tar=... to point elsewhere).
        Path buildDir = Paths.get(System.getProperty("build.dir", project.resolve("target").toString()));
        Path imageTar = Paths.get(System.getProperty("image.tar", buildDir.resolve("jib-image.tar").toString()));
        assertTrue(Files.isRegularFile(imageTar), "no image tar at " + imageTar
                + ": build it first with `mvn -Pimage package` (or run `mvn -Pimage verify`, which builds it"
                + " before the integration tests). Jib needs registry access to pull its base image.");

        k3s = new K3sContainer(K3S_IMAGE);
        k3s.start();

        // The image of the sidecar, as built by Jib (docker-load format), into k3s's containerd.
        k3s.copyFileToContainer(MountableFile.forHostPath(imageTar), "/tmp/pgpool-user-sync.tar");
        exec("k3s", "ctr", "--namespace", "k8s.io", "images", "import", "/tmp/pgpool-user-sync.tar");
        String images = exec("k3s", "ctr", "--namespace", "k8s.io", "images", "list", "--quiet");
        assertTrue(images.contains("pgpool-user-sync:"), "image not imported into k3s:\n" + images);

        // The kustomize tree with what it references (../../routes), and the walkthrough's Secret.
        for (String dir : List.of("kustomize", "routes", "examples")) {
            k3s.copyFileToContainer(MountableFile.forHostPath(project.resolve(dir)), REMOTE_ROOT + "/" + dir);
        }
        exec("kubectl", "apply", "-k", REMOTE_ROOT + "/kustomize/overlays/demo");
        exec("kubectl", "--namespace", NAMESPACE, "rollout", "status", "statefulset/ha-postgres", "--timeout=600s");
        exec("kubectl", "--namespace", NAMESPACE, "rollout", "status", "statefulset/pgpool-sync", "--timeout=600s");
        // Ready means every container, the sidecar included (ready after its first successful tick).
        exec("kubectl", "--namespace", NAMESPACE, "wait", "--for=condition=Ready", "pod/pgpool-sync-0",
                "--timeout=300s");

        client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(k3s.getKubeConfigYaml())).build();
        Secret auth = client.secrets().inNamespace(NAMESPACE).withName("ha-postgres-auth").get();
        assertNotNull(auth, "Secret ha-postgres-auth");
        adminPassword = decode(auth, "password");
        // kubectl port-forward -n demo svc/pgpool-sync 9999, as in the walkthrough.
        pgpool = client.services().inNamespace(NAMESPACE).withName(PGPOOL_SERVICE).portForward(PGPOOL_PORT);
        await("admin login through pgpool").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(2))
                .ignoreExceptions()
                .until(() -> login("postgres", adminPassword) == Login.OK);
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

    @Test
    @Order(1)
    void walkthroughUserLogsInThroughPgpool() throws Exception {
        // postgres=# CREATE USER john WITH PASSWORD '12345';
        sqlAsAdmin("CREATE USER " + USER + " WITH PASSWORD '12345'");
        assertEquals(Login.AUTH_FAILED, login(USER, "12345"), "john is not in pool_passwd before his Secret exists");

        // kubectl create -f secret.yaml (labels app.kubernetes.io/instance=ha-postgres, name=postgreses.kubedb.com)
        exec("kubectl", "apply", "-f", REMOTE_ROOT + "/examples/secrets/sync-secret.yaml");
        await("john logs in through pgpool once his Secret is synced").atMost(SYNC_WITHIN)
                .pollInterval(Duration.ofSeconds(2)).ignoreExceptions().until(() -> login(USER, "12345") == Login.OK);

        String poolPasswd = exec("kubectl", "--namespace", NAMESPACE, "exec", "pgpool-sync-0", "-c", "pgpool",
                "--", "cat", "/var/lib/pgpool-passwd/pool_passwd");
        assertTrue(poolPasswd.lines().anyMatch(l -> l.startsWith("postgres:AES")), "admin entry kept:\n" + poolPasswd);
        assertTrue(poolPasswd.lines().anyMatch(l -> l.startsWith(USER + ":AES")), "john as AES:\n" + poolPasswd);
        walkthroughPassed = true;
    }

    @Test
    @Order(2)
    void rotationInSecretAndPostgresSwitchesThePassword() throws Exception {
        Assumptions.assumeTrue(walkthroughPassed, "needs the walkthrough user (previous test failed)");
        client.secrets().inNamespace(NAMESPACE).withName("sync-secret").edit(s -> new SecretBuilder(s)
                .addToData("password", Base64.getEncoder().encodeToString("67890".getBytes(StandardCharsets.UTF_8)))
                .build());
        sqlAsAdmin("ALTER USER " + USER + " WITH PASSWORD '67890'");
        await("the new password works").atMost(SYNC_WITHIN).pollInterval(Duration.ofSeconds(2))
                .ignoreExceptions().until(() -> login(USER, "67890") == Login.OK);
        assertEquals(Login.AUTH_FAILED, login(USER, "12345"), "the old password is refused");
        rotationPassed = true;
    }

    @Test
    @Order(3)
    void deletingTheSecretRemovesTheUserFromPgpool() throws Exception {
        Assumptions.assumeTrue(rotationPassed, "needs the rotated user (previous test failed)");
        client.secrets().inNamespace(NAMESPACE).withName("sync-secret").delete();
        await("john is refused by pgpool once his Secret is gone").atMost(SYNC_WITHIN)
                .pollInterval(Duration.ofSeconds(2)).ignoreExceptions().until(() -> login(USER, "67890") == Login.AUTH_FAILED);
        assertEquals(Login.OK, login("postgres", adminPassword), "the unmanaged admin entry stays");
        // The role still exists in PostgreSQL: only pgpool's pool_passwd lost john.
        try (Connection c = connect("postgres", adminPassword);
             ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM pg_roles WHERE rolname = '" + USER + "'")) {
            rs.next();
            assertEquals(1, rs.getInt(1));
        }
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Skips the class where no Docker engine answers, with a reason that says how to run it; the same
     * check as {@code @Testcontainers(disabledWithoutDocker = true)}, which stays as the backstop.
     */
    static final class DockerRequired implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            if (DockerClientFactory.instance().isDockerAvailable()) {
                return ConditionEvaluationResult.enabled("Docker engine found: running k3s");
            }
            String reason = "No Docker engine: the k3s end-to-end suite (K3sEndToEndIT) needs one to run k3s"
                    + " and was NOT run. Run it on a machine with Docker: `mvn -Pimage verify` (docs/DEPLOY.md).";
            System.out.println("[K3sEndToEndIT] SKIPPED: " + reason);
            return ConditionEvaluationResult.disabled(reason);
        }
    }

    enum Login { OK, AUTH_FAILED }

    /** OK, or AUTH_FAILED for refused credentials; anything else (tunnel, pgpool down) is thrown. */
    static Login login(String user, String password) throws SQLException {
        try (Connection c = connect(user, password)) {
            return c.isValid(5) ? Login.OK : fail("connection not valid");
        } catch (SQLException e) {
            if (isAuthFailure(e)) {
                return Login.AUTH_FAILED;
            }
            throw e;
        }
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

    static void sqlAsAdmin(String sql) throws SQLException {
        try (Connection c = connect("postgres", adminPassword); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    static boolean isAuthFailure(SQLException e) {
        String state = e.getSQLState();
        if (state != null && state.startsWith("28")) {
            return true;
        }
        String message = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        return message.contains("authentication") || message.contains("password");
    }

    static String decode(Secret secret, String key) {
        String value = secret.getData() == null ? null : secret.getData().get(key);
        assertNotNull(value, "Secret " + secret.getMetadata().getName() + " has no key " + key);
        return new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
    }

    /** Runs a command in the k3s container; fails with its output when it exits non-zero. */
    static String exec(String... command) throws Exception {
        ExecResult result = k3s.execInContainer(command);
        if (result.getExitCode() != 0) {
            fail("`" + String.join(" ", command) + "` exited " + result.getExitCode() + "\n" + result.getStdout()
                    + result.getStderr() + "\n" + diagnostics());
        }
        return result.getStdout();
    }

    /** What to read when something went wrong: objects, events, and the logs of the pgpool pod. */
    static String diagnostics() {
        if (k3s == null || !k3s.isRunning()) {
            return "(k3s is not running: no diagnostics)";
        }
        List<String[]> commands = new ArrayList<>();
        commands.add(new String[] {"kubectl", "get", "all,secrets,configmaps", "--namespace", NAMESPACE, "-o", "wide"});
        commands.add(new String[] {"kubectl", "get", "events", "--namespace", NAMESPACE, "--sort-by=.lastTimestamp"});
        commands.add(new String[] {"kubectl", "describe", "pod", "--namespace", NAMESPACE, "pgpool-sync-0"});
        for (String container : List.of("pgpool-init", "pgpool", "pgpool-user-sync")) {
            commands.add(new String[] {"kubectl", "logs", "--namespace", NAMESPACE, "pgpool-sync-0", "-c", container,
                    "--tail=200"});
        }
        commands.add(new String[] {"kubectl", "logs", "--namespace", NAMESPACE, "ha-postgres-0", "--tail=50"});
        StringBuilder out = new StringBuilder("---- k3s diagnostics ----\n");
        for (String[] command : commands) {
            out.append("$ ").append(String.join(" ", command)).append('\n');
            try {
                ExecResult r = k3s.execInContainer(command);
                out.append(r.getStdout()).append(r.getStderr()).append('\n');
            } catch (Exception e) {
                out.append("(").append(e).append(")\n");
            }
        }
        return out.toString();
    }
}
