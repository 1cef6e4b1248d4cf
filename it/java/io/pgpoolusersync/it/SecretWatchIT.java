package io.pgpoolusersync.it;

import static io.pgpoolusersync.it.MockKubernetesApi.secret;
import static io.pgpoolusersync.it.MockKubernetesApi.userLabels;
import static io.pgpoolusersync.it.MockKubernetesApi.utf8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgpoolusersync.Settings;
import io.pgpoolusersync.SyncApplication;
import io.pgpoolusersync.passwd.PoolPasswd;
import io.pgpoolusersync.passwd.PoolPasswdLine;
import io.pgpoolusersync.pgpool.Convergence;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The watch: with the default period of 10 s, a Secret change is live on every pgpool child long before
 * the next resync, and the watch survives a closed connection, 410 Gone and an API outage, while the
 * timer alone keeps pool_passwd right. The API is the fabric8 mock server in CRUD mode, which serves
 * watches (no real API server can run here); pgpool and PostgreSQL are real.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecretWatchIT {

    static final String NAMESPACE = "demo";
    static final String POSTGRES = "watched-postgres";
    static final Duration PERIOD = Duration.ofSeconds(10);
    /** Well inside one period: what "live at once" must mean here, with room for a busy CI machine. */
    static final Duration LIVE_WITHIN = Duration.ofSeconds(3);
    /** fabric8's informer retries a failed watch after 1, 2, 4 ... 32 s; a long outage can leave a 32 s gap. */
    static final Duration WATCH_BACK_WITHIN = Duration.ofSeconds(45);

    static PgpoolHarness harness;
    static MockKubernetesApi api;
    static SyncApplication app;
    static final List<Double> latencies = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        harness = PgpoolHarness.start();
        api = MockKubernetesApi.start();
        app = new SyncApplication(Settings.load(flags(), Map.of()), api.client());
        app.start();
        await("the first tick and an open watch").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertTrue(app.status().ticksOk() >= 1, "ticks: " + app.status().ticksOk());
            assertTrue(api.openWatches() >= 1, "open watches: " + api.openWatches());
        });
    }

    static Map<String, String> flags() {
        Map<String, String> flags = new LinkedHashMap<>();
        flags.put("namespace", NAMESPACE);
        flags.put("postgres-name", POSTGRES);
        flags.put("pool-passwd", harness.poolPasswd().toString());
        flags.put("key-file", harness.keyFile().toString());
        flags.put("period", PERIOD.toSeconds() + "s");
        flags.put("pcp-host", "127.0.0.1");
        flags.put("pcp-port", Integer.toString(harness.pcpPort()));
        flags.put("pcp-user", harness.pcpUser());
        flags.put("pcp-password-file", harness.pcpPasswordFile().toString());
        flags.put("management-port", "0");
        flags.put("routes-dir", Path.of("routes").toAbsolutePath().toString());
        return flags;
    }

    @AfterAll
    static void stop() throws Exception {
        if (!latencies.isEmpty()) {
            System.out.printf("watch: Secret change to every pgpool child converged, %d changes: %s s%n",
                    latencies.size(), latencies);
        }
        if (app != null) {
            app.close();
        }
        if (api != null) {
            api.close();
        }
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    @Order(1)
    @DisplayName("a user added and then rotated is live on every child within 3 s, the period being 10 s")
    void changesAreLiveLongBeforeTheNextResync() throws Exception {
        sql("CREATE USER wendy WITH PASSWORD 'Wendy-pass-1'");
        liveWithin("wendy", "Wendy-pass-1", null);
        sql("ALTER USER wendy WITH PASSWORD 'Wendy-pass-2'");
        liveWithin("wendy", "Wendy-pass-2", "Wendy-pass-1");
    }

    @Test
    @Order(2)
    @DisplayName("a watch closed by the server reconnects, and the next change is live at once")
    void closedWatchReconnects() throws Exception {
        int before = api.watchRequests();
        api.closeWatches();
        await("a new watch").atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertTrue(api.watchRequests() > before, "watch requests: " + api.watchRequests());
            assertEquals(1, api.openWatches(), "open watches");
        });
        sql("ALTER USER wendy WITH PASSWORD 'Wendy-pass-3'");
        liveWithin("wendy", "Wendy-pass-3", "Wendy-pass-2");
    }

    @Test
    @Order(3)
    @DisplayName("410 Gone: the watch lists again and goes on")
    void expiredWatchListsAgain() throws Exception {
        int before = api.watchRequests();
        api.expireWatches();
        await("a new watch after 410").atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertTrue(api.watchRequests() > before, "watch requests: " + api.watchRequests());
            assertEquals(1, api.openWatches(), "open watches");
        });
        sql("ALTER USER wendy WITH PASSWORD 'Wendy-pass-4'");
        liveWithin("wendy", "Wendy-pass-4", "Wendy-pass-3");
    }

    @Test
    @Order(4)
    @DisplayName("watch refused: the timer alone applies a change within one period, then the watch comes back")
    void timerAloneWhileTheWatchIsDown() throws Exception {
        api.watchesFailing(true);
        try {
            api.closeWatches();
            int before = api.watchRequests();
            await("reconnects refused").atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertTrue(api.watchRequests() >= before + 2, "watch requests: " + api.watchRequests()));
            long ticks = app.status().ticksOk();
            sql("CREATE USER tim WITH PASSWORD 'Tim-pass-1'");
            api.put(userSecret("tim", "Tim-pass-1"));
            String expected = harness.pgEnc("Tim-pass-1");
            await("the resync applies it").atMost(PERIOD.plusSeconds(5)).untilAsserted(() ->
                    assertEquals(expected, entry("tim")));
            // The file is written before the tick ends (a PCP round runs in between): wait for its end.
            await("a timer tick did it").atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertTrue(app.status().ticksOk() > ticks, "ticks: " + app.status().ticksOk()));
            awaitConverged();
            assertEquals(allTrue(), harness.loginOnEveryChild("tim", "Tim-pass-1"));
        } finally {
            api.watchesFailing(false);
        }
        await("the watch is back").atMost(WATCH_BACK_WITHIN).untilAsserted(() ->
                assertEquals(1, api.openWatches(), "open watches"));
        sql("ALTER USER tim WITH PASSWORD 'Tim-pass-2'");
        liveWithin("tim", "Tim-pass-2", "Tim-pass-1");
    }

    @Test
    @Order(5)
    @DisplayName("API outage (lists and watches fail): pool_passwd untouched, then both recover")
    void apiOutage() throws Exception {
        byte[] before = Files.readAllBytes(harness.poolPasswd());
        api.outage(true);
        try {
            api.closeWatches();
            api.delete(NAMESPACE, "tim-auth"); // must not be acted on blindly
            long failed = app.status().ticksFailed();
            await("a failed resync").atMost(PERIOD.plusSeconds(5)).untilAsserted(() ->
                    assertTrue(app.status().ticksFailed() > failed, "failed ticks: " + app.status().ticksFailed()));
            assertEquals(new String(before), new String(Files.readAllBytes(harness.poolPasswd())),
                    "pool_passwd untouched during the outage");
        } finally {
            api.outage(false);
        }
        await("tim removed once the API is back").atMost(PERIOD.plusSeconds(5)).untilAsserted(() ->
                assertEquals(null, entry("tim")));
        awaitConverged();
        assertEquals(Collections.nCopies(harness.children(), false), harness.loginOnEveryChild("tim", "Tim-pass-2"));
        await("the watch is back").atMost(WATCH_BACK_WITHIN).untilAsserted(() ->
                assertEquals(1, api.openWatches(), "open watches"));
        sql("ALTER USER wendy WITH PASSWORD 'Wendy-pass-5'");
        liveWithin("wendy", "Wendy-pass-5", "Wendy-pass-4");
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /** Puts the Secret, then: written, converged and both logins right on every child within LIVE_WITHIN. */
    static void liveWithin(String user, String password, String oldPassword) throws Exception {
        // The logins before have ended: pgpool's children are idle, as they are when a Secret changes at rest.
        harness.awaitChildrenWaiting(harness.children());
        long ticks = app.status().ticksEnded();
        Instant put = Instant.now();
        api.put(userSecret(user, password));
        String expected = harness.pgEnc(password);
        await(user + " written and converged").atMost(LIVE_WITHIN).pollInterval(Duration.ofMillis(10))
                .untilAsserted(() -> {
                    assertEquals(expected, entry(user));
                    Convergence.Status s = app.convergence().status();
                    assertEquals(Convergence.State.CONVERGED, s.state(), String.valueOf(s));
                    assertTrue(!s.writtenAt().isBefore(put), "converged on a write after the change");
                });
        latencies.add(Duration.between(put, Instant.now()).toMillis() / 1000.0);
        assertEquals(allTrue(), harness.loginOnEveryChild(user, password), "the new password, on every child");
        if (oldPassword != null) {
            assertEquals(Collections.nCopies(harness.children(), false), harness.loginOnEveryChild(user, oldPassword),
                    "the old password, nowhere");
        }
        assertTrue(app.status().ticksEnded() - ticks <= 3,
                "the watch's tick, not a burst of them");
    }

    static void awaitConverged() {
        await("converged").atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertEquals(Convergence.State.CONVERGED, app.convergence().status().state()));
    }

    static io.fabric8.kubernetes.api.model.Secret userSecret(String user, String password) {
        return secret(NAMESPACE, user + "-auth", userLabels(POSTGRES),
                Map.of("username", utf8(user), "password", utf8(password)));
    }

    static String entry(String user) throws java.io.IOException {
        return PoolPasswd.parse(Files.readAllBytes(harness.poolPasswd())).entryOf(user).map(PoolPasswdLine::secret)
                .orElse(null);
    }

    static void sql(String statement) throws SQLException {
        try (Connection c = harness.connectDirect(harness.adminUser(), harness.adminPassword());
                Statement st = c.createStatement()) {
            st.execute(statement);
        }
    }

    static List<Boolean> allTrue() {
        return Collections.nCopies(harness.children(), true);
    }
}
