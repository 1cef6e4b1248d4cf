package io.pgpoolusersync.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgpoolusersync.Settings;
import io.pgpoolusersync.SyncApplication;
import io.pgpoolusersync.passwd.PoolPasswd;
import io.pgpoolusersync.passwd.PoolPasswdLine;
import io.pgpoolusersync.pgpool.Convergence;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The sync never races pgpool's own start-up. A real PostgreSQL and a real pgpool; the sync in this JVM
 * ticks every 50 ms on a manifest folder, and a Secret of ours changes all the time, so that nearly every
 * tick writes. pgpool is stopped and started again the way the images do it: a start-up script writes
 * the key file and runs {@code pg_enc -m} for the admin and ten users of the image's own (each run reads
 * pool_passwd, then rewrites it in place), then pgpool starts. Nothing of the sync may land while pgpool
 * is down (a write of ours is a rename: a new inode), and afterwards no line is lost: theirs as their
 * script wrote them, ours as the Secrets say, all with the key pgpool holds.
 */
class PgpoolStartupIT {

    static final String NAMESPACE = "demo";
    static final String POSTGRES = "quick-postgres";
    static final Duration PERIOD = Duration.ofMillis(50);
    static final Duration PATIENCE = Duration.ofSeconds(60);
    static final int RESTARTS = 3;

    static PgpoolHarness harness;
    static Path manifests;
    static SyncApplication app;
    static final Map<String, String> theirs = new LinkedHashMap<>();
    static final Map<String, String> ours = new LinkedHashMap<>();
    static final AtomicBoolean churning = new AtomicBoolean(true);
    static final AtomicInteger churns = new AtomicInteger();
    static volatile String churnPassword = "Churn-pass-0";
    static Thread churn;

    @BeforeAll
    static void start() throws Exception {
        harness = PgpoolHarness.start();
        manifests = Files.createDirectory(harness.dir().resolve("manifests"));
        Path pcpPassword = harness.dir().resolve("sync-pcp-password");
        Files.copy(harness.pcpPasswordFile(), pcpPassword);
        for (int i = 1; i <= 10; i++) {
            theirs.put("image" + i, "Image-pass-" + i); // PGPOOL_POSTGRES_CUSTOM_USERS of Bitnami's image
        }
        for (int i = 1; i <= 5; i++) {
            ours.put("sync" + i, "Sync-pass-" + i);
            putSecret("sync" + i, "Sync-pass-" + i);
        }
        putSecret("churn", churnPassword);
        // pgpool as the image first started it: its start-up script wrote the admin and its users.
        harness.stopPgpool();
        harness.runStartupScript(theirs, false);
        harness.startPgpool();
        Map<String, String> flags = new LinkedHashMap<>();
        flags.put("manifests", manifests.toString());
        flags.put("namespace", NAMESPACE);
        flags.put("postgres-name", POSTGRES);
        flags.put("pool-passwd", harness.poolPasswd().toString());
        flags.put("key-file", harness.keyFile().toString());
        flags.put("period", PERIOD.toMillis() + "ms");
        flags.put("pcp-host", "127.0.0.1");
        flags.put("pcp-port", Integer.toString(harness.pcpPort()));
        flags.put("pcp-user", harness.pcpUser());
        flags.put("pcp-password-file", pcpPassword.toString());
        flags.put("pcp-timeout", "1s");
        flags.put("management-port", "0");
        flags.put("routes-dir", Path.of("routes").toAbsolutePath().toString());
        app = new SyncApplication(Settings.load(flags, Map.of()), null);
        app.start();
        // Our Secret "churn" changes every 20 ms: nearly every tick has something to write.
        churn = new Thread(() -> {
            while (churning.get()) {
                try {
                    String next = "Churn-pass-" + churns.incrementAndGet();
                    putSecret("churn", next);
                    churnPassword = next;
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
                LockSupport.parkNanos(Duration.ofMillis(20).toNanos()); // the pace of the changes, not a wait for an outcome
            }
        }, "churn-secret");
        churn.setDaemon(true);
        churn.start();
    }

    @AfterAll
    static void stop() throws Exception {
        churning.set(false);
        if (churn != null) {
            churn.join(5_000);
        }
        if (app != null) {
            app.close();
        }
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    @DisplayName("pgpool restarted by a start-up script that runs pg_enc -m, while the sync writes every tick: nothing written while pgpool is down, no line lost")
    void startUpScriptWhileTheSyncWrites() throws Exception {
        expected.put(harness.adminUser(), harness.pgEnc(harness.adminPassword()));
        theirs.forEach((user, password) -> expected.put(user, harness.pgEnc(password)));
        ours.forEach((user, password) -> expected.put(user, harness.pgEnc(password)));
        awaitComplete("before the restarts");
        List<Integer> refusedTicks = new ArrayList<>();
        List<Integer> replacedWhileDown = new ArrayList<>();
        for (int round = 1; round <= RESTARTS; round++) {
            long failedBefore = app.status().ticksFailed();
            harness.stopPgpool();
            Object inode = inode();
            // The image's start-up: same key written again (Bitnami with PGPOOL_AES_KEY), pg_enc -m x 11.
            harness.runStartupScript(theirs, false);
            if (!inode.equals(inode())) {
                replacedWhileDown.add(round);
            }
            int refused = (int) (app.status().ticksFailed() - failedBefore);
            refusedTicks.add(refused);
            harness.startPgpool();
            awaitComplete("round " + round);
        }
        assertEquals(List.of(), replacedWhileDown, "restarts during which the sync replaced pool_passwd while pgpool"
                + " was down (its start-up script rewriting the file)");
        assertTrue(refusedTicks.stream().allMatch(n -> n > 0), "the sync tried to write while pgpool was down,"
                + " and was kept out: " + refusedTicks);
        System.out.printf("start-up race: %d restarts, each with pg_enc -m for 11 users while the sync ticked every"
                + " %d ms; ticks kept out while pgpool was down, per restart: %s; Secret changes: %d%n",
                RESTARTS, PERIOD.toMillis(), refusedTicks, churns.get());
        assertTrue(harness.canLogin(harness.adminUser(), harness.adminPassword()), "the admin logs in");
        sql("CREATE USER sync2 WITH PASSWORD 'Sync-pass-2'");
        sql("CREATE USER image7 WITH PASSWORD 'Image-pass-7'");
        assertEquals(List.of(true, true, true, true), harness.loginOnEveryChild("sync2", "Sync-pass-2"), "ours logs in");
        assertEquals(List.of(true, true, true, true), harness.loginOnEveryChild("image7", "Image-pass-7"), "theirs too");
    }

    /** The entries pg_enc gives the admin, the image's users and ours (the key does not change here). */
    static final Map<String, String> expected = new LinkedHashMap<>();

    /** Every line is there with the key pgpool holds: the admin, theirs, ours; pgpool uses the file. */
    static void awaitComplete(String what) {
        await(what + ": no line lost").atMost(PATIENCE).pollInterval(Duration.ofMillis(20)).untilAsserted(() -> {
            byte[] content = Files.readAllBytes(harness.poolPasswd());
            Map<String, String> found = new LinkedHashMap<>();
            expected.keySet().forEach(user -> found.put(user, entry(content, user)));
            assertEquals(expected, found, "entries in pool_passwd");
            assertTrue(entry(content, "churn") != null, "our churn user");
            assertTrue(app.convergence().status().state() != Convergence.State.FAILED, "pgpool answers");
        });
    }

    /** Straight to PostgreSQL. */
    static void sql(String statement) throws SQLException {
        try (Connection c = harness.connectDirect(harness.adminUser(), harness.adminPassword());
                Statement st = c.createStatement()) {
            st.execute(statement);
        }
    }

    static Object inode() throws IOException {
        return Files.getAttribute(harness.poolPasswd(), "unix:ino");
    }

    static String entry(byte[] content, String user) {
        return PoolPasswd.parse(content).entryOf(user).map(PoolPasswdLine::secret).orElse(null);
    }

    static void putSecret(String user, String password) throws IOException {
        SecretManifests.put(manifests, NAMESPACE, POSTGRES, user, password);
    }
}
