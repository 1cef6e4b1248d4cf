package io.pgpoolusersync.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The reference walkthrough, a password rotation and a deletion, written once and run on every tier:
 * {@link SyncEndToEndIT} (the app in the test JVM, the fabric8 mock API, a real PostgreSQL and pgpool) and
 * {@link K3sEndToEndIT} (the image and the demo overlay in a real k3s). A tier extends this class and
 * gives its {@link SyncTier}; it may add its own checks after each scenario. The scenarios build on each
 * other, in order (orders 1 to 3; a tier's own tests come after).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class UserLifecycleScenarios {

    /** The walkthrough's Secret: john / 12345, labeled for ha-postgres, in namespace demo. */
    static final Path EXAMPLE_SECRET = Path.of("examples/secrets/sync-secret.yaml");
    static final String USER = "john";
    static final String PASSWORD = "12345";
    static final String ROTATED = "Rotated-67890";
    static final Duration POLL = Duration.ofMillis(250);

    /** Scenarios passed, per tier class: a scenario whose predecessor failed is skipped, not failed again. */
    private static final Set<String> PASSED = ConcurrentHashMap.newKeySet();

    protected abstract SyncTier tier();

    /** Checks of this tier only, once john logs in with his Secret's password. */
    protected void afterWalkthrough() throws Exception {
    }

    /** Checks of this tier only, once only the rotated password works. */
    protected void afterRotation() throws Exception {
    }

    /** Checks of this tier only, once john is refused. */
    protected void afterDeletion() throws Exception {
    }

    @Test
    @Order(1)
    @DisplayName("1. reference walkthrough: CREATE USER john, then his labeled Secret: john logs in through pgpool")
    void referenceWalkthrough() throws Exception {
        SyncTier tier = tier();
        // postgres=# CREATE USER john WITH PASSWORD '12345';
        tier.sqlAsAdmin("CREATE USER " + USER + " WITH PASSWORD '" + PASSWORD + "'");
        assertEquals(Login.AUTH_FAILED, tier.login(USER, PASSWORD), "john is not in pool_passwd before his Secret exists");

        // kubectl apply -f examples/secrets/sync-secret.yaml
        tier.putSecret(exampleSecret(PASSWORD));
        await("john logs in through pgpool once his Secret is synced").atMost(tier.syncWithin()).pollInterval(POLL)
                .untilAsserted(() -> assertEquals(Login.OK, tier.login(USER, PASSWORD)));
        assertEquals(Login.AUTH_FAILED, tier.login(USER, "54321"), "a wrong password is refused");
        afterWalkthrough();
        PASSED.add(getClass().getName() + "/walkthrough");
    }

    @Test
    @Order(2)
    @DisplayName("2. password rotation: the new password (Secret and ALTER USER) works, the old one no longer")
    void passwordRotation() throws Exception {
        requirePassed("walkthrough");
        SyncTier tier = tier();
        tier.putSecret(exampleSecret(ROTATED));
        tier.sqlAsAdmin("ALTER USER " + USER + " WITH PASSWORD '" + ROTATED + "'");
        await("only the rotated password works").atMost(tier.syncWithin()).pollInterval(POLL).untilAsserted(() -> {
            assertEquals(Login.OK, tier.login(USER, ROTATED), "the new password");
            assertEquals(Login.AUTH_FAILED, tier.login(USER, PASSWORD), "the old password");
        });
        afterRotation();
        PASSED.add(getClass().getName() + "/rotation");
    }

    @Test
    @Order(3)
    @DisplayName("3. deletion: deleting the Secret locks john out of pgpool; the role and the admin stay")
    void deletion() throws Exception {
        requirePassed("rotation");
        SyncTier tier = tier();
        tier.deleteSecret(exampleSecret(ROTATED).getMetadata().getName());
        await("john is refused once his Secret is gone").atMost(tier.syncWithin()).pollInterval(POLL)
                .untilAsserted(() -> assertEquals(Login.AUTH_FAILED, tier.login(USER, ROTATED)));
        assertEquals(Login.OK, tier.loginAsAdmin(), "the admin entry, not the sync's, stays");
        // The role still exists with this password: only pool_passwd keeps him out.
        assertEquals("1", tier.sqlAsAdmin("SELECT count(*) FROM pg_roles WHERE rolname = '" + USER + "'"));
        afterDeletion();
    }

    private void requirePassed(String scenario) {
        Assumptions.assumeTrue(PASSED.contains(getClass().getName() + "/" + scenario),
                "needs the " + scenario + " scenario, which failed or did not run");
    }

    /** The Secret of examples/secrets/sync-secret.yaml (stringData), with this password. */
    static Secret exampleSecret(String password) throws IOException {
        Path project = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
        Secret secret;
        try (InputStream in = Files.newInputStream(project.resolve(EXAMPLE_SECRET))) {
            secret = Serialization.unmarshal(in, Secret.class);
        }
        assertEquals(USER, secret.getStringData().get("username"), EXAMPLE_SECRET + " declares john");
        secret.setStringData(new LinkedHashMap<>(secret.getStringData()));
        secret.getStringData().put("password", password);
        return secret;
    }
}
