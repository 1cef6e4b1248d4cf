package io.pgpoolusersync.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgpoolusersync.Settings;
import io.pgpoolusersync.SyncApplication;
import io.pgpoolusersync.passwd.PoolPasswd;
import io.pgpoolusersync.passwd.PoolPasswdLine;
import io.pgpoolusersync.pgpool.Convergence;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * pgpool really uses what the sync writes: every child, under traffic, with the key pgpool holds. A real
 * PostgreSQL and a real pgpool (4 children), the sync in this JVM on a manifest folder (period 1 s), its
 * PCP through a relay that counts connections. An application's traffic holds most children busy through
 * the write and several convergence rounds, while short connections come and go.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PgpoolConvergenceIT {

    static final String NAMESPACE = "demo";
    static final String POSTGRES = "quick-postgres";
    static final Duration PERIOD = Duration.ofSeconds(1);
    static final Duration PATIENCE = Duration.ofSeconds(30);
    /** Logins must be right this soon after the busy sessions end. */
    static final Duration AFTER_SESSIONS = Duration.ofSeconds(2);

    static PgpoolHarness harness;
    static PcpCountingProxy pcp;
    static Path manifests;
    static Path pcpPassword;
    static SyncApplication app;

    @BeforeAll
    static void start() throws Exception {
        harness = PgpoolHarness.start();
        pcp = new PcpCountingProxy(harness.pcpPort());
        manifests = Files.createDirectory(harness.dir().resolve("manifests"));
        pcpPassword = harness.dir().resolve("sync-pcp-password");
        Files.copy(harness.pcpPasswordFile(), pcpPassword);
        Map<String, String> flags = new LinkedHashMap<>();
        flags.put("manifests", manifests.toString());
        flags.put("namespace", NAMESPACE);
        flags.put("postgres-name", POSTGRES);
        flags.put("pool-passwd", harness.poolPasswd().toString());
        flags.put("key-file", harness.keyFile().toString());
        flags.put("period", PERIOD.toMillis() + "ms");
        flags.put("pcp-host", "127.0.0.1");
        flags.put("pcp-port", Integer.toString(pcp.port()));
        flags.put("pcp-user", harness.pcpUser());
        flags.put("pcp-password-file", pcpPassword.toString());
        flags.put("management-port", "0");
        flags.put("routes-dir", Path.of("routes").toAbsolutePath().toString());
        app = new SyncApplication(Settings.load(flags, Map.of()), null);
        app.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (app != null) {
            app.close();
        }
        if (pcp != null) {
            pcp.close();
        }
        if (harness != null) {
            harness.close();
        }
    }

    /** One change made while the application's traffic runs, and what must hold after its sessions end. */
    record Change(String description, String user, String password, String oldPassword) {
    }

    @Test
    @Order(1)
    @DisplayName("under traffic: rotations, removals and additions are enforced on every child within 2 s of the busy sessions' end")
    void changesUnderTraffic() throws Exception {
        sql("CREATE USER john WITH PASSWORD 'John-pass-0'");
        sql("CREATE USER amy WITH PASSWORD 'Amy-pass-0'");
        putSecret("john", "John-pass-0");
        putSecret("amy", "Amy-pass-0");
        awaitConverged(content -> entry(content, "john") != null && entry(content, "amy") != null);

        List<Double> fromWrite = new ArrayList<>();
        List<Double> fromEnd = new ArrayList<>();
        List<Integer> reloadsPerChange = new ArrayList<>();
        String johnPassword = "John-pass-0";
        String amyPassword = "Amy-pass-0";
        for (int i = 1; i <= 12; i++) {
            Change change;
            switch (i % 3) {
                case 1 -> {
                    String next = "John-pass-" + i;
                    change = new Change("rotate john", "john", next, johnPassword);
                    johnPassword = next;
                }
                case 2 -> change = new Change("remove amy", "amy", null, amyPassword);
                default -> {
                    String next = "Amy-pass-" + i;
                    change = new Change("add amy back", "amy", next, amyPassword);
                    amyPassword = next;
                }
            }
            Measured m = underTraffic(change);
            fromWrite.add(m.fromWrite);
            fromEnd.add(m.fromEnd);
            reloadsPerChange.add(m.reloads);
        }
        System.out.printf("convergence under traffic, %d changes: from the write median %.2f s max %.2f s;"
                + " from the end of the busy sessions median %.2f s max %.2f s; reloads per change %s%n",
                fromWrite.size(), median(fromWrite), Collections.max(fromWrite), median(fromEnd),
                Collections.max(fromEnd), reloadsPerChange);
    }

    record Measured(double fromWrite, double fromEnd, int reloads) {
    }

    private Measured underTraffic(Change change) throws Exception {
        long reloadsBefore = app.convergence().reloadsTotal();
        Instant ended;
        int shortConnections;
        try (AppTraffic traffic = AppTraffic.start(harness, harness.children() - 1, 30)) {
            // The role changes first (straight to PostgreSQL), then the Secret: what an operator does.
            if (change.password() != null) {
                sql("ALTER USER " + change.user() + " WITH PASSWORD '" + change.password() + "'");
                putSecret(change.user(), change.password());
            } else {
                Files.delete(manifests.resolve(change.user() + ".yaml"));
            }
            String expected = change.password() == null ? null : harness.pgEnc(change.password());
            await(change.description() + " written").atMost(PATIENCE).pollInterval(Duration.ofMillis(10))
                    .untilAsserted(() -> assertEquals(expected, entry(Files.readAllBytes(harness.poolPasswd()),
                            change.user())));
            long rounds = app.convergence().roundsTotal();
            await("the busy sessions outlast three convergence rounds").atMost(PATIENCE)
                    .untilAsserted(() -> assertTrue(app.convergence().roundsTotal() >= rounds + 3,
                            "rounds: " + app.convergence().roundsTotal()));
            assertTrue(app.convergence().status().pending(), "children were busy: not converged yet");
            shortConnections = traffic.shortConnections();
            traffic.close();
            ended = Instant.now();
            assertEquals(0, traffic.errors(), "the application's traffic saw no error");
        }
        assertTrue(shortConnections > 0, "short connections came and went");

        // 2 s after the end (nothing else connects meanwhile): 16 logins (4 on each child) of each kind.
        LockSupport.parkNanos(Duration.between(Instant.now(), ended.plus(AFTER_SESSIONS)).toNanos()); // the spec's instant
        Map<String, List<Boolean>> logins = new LinkedHashMap<>();
        Map<String, List<Boolean>> expected = new LinkedHashMap<>();
        if (change.password() != null) {
            logins.put("new password", loginsOnEveryChild(change.user(), change.password(), 4));
            expected.put("new password", Collections.nCopies(16, true));
        }
        String refused = change.password() == null ? "removed user" : "old password";
        logins.put(refused, loginsOnEveryChild(change.user(), change.oldPassword(), 4));
        expected.put(refused, Collections.nCopies(16, false));
        assertEquals(expected, logins, change.description() + ", 2 s after the busy sessions ended");

        await(change.description() + ": converged").atMost(PATIENCE).untilAsserted(() ->
                assertEquals(Convergence.State.CONVERGED, app.convergence().status().state()));
        Convergence.Status done = app.convergence().status();
        double fromWrite = app.convergence().lastConvergenceSeconds();
        Instant convergedAt = done.writtenAt().plusNanos((long) (fromWrite * 1e9));
        double fromEnd = Math.max(0, Duration.between(ended, convergedAt).toMillis() / 1000.0);

        // Converged: nothing more is sent, tick after tick.
        int connections = pcp.connections();
        long reloads = app.convergence().reloadsTotal();
        long ticks = app.status().ticksOk();
        await("two idle ticks").atMost(PATIENCE).untilAsserted(() ->
                assertTrue(app.status().ticksOk() >= ticks + 2, "ticks: " + app.status().ticksOk()));
        assertEquals(connections, pcp.connections(), "no PCP connection once converged");
        assertEquals(reloads, app.convergence().reloadsTotal(), "no reload once converged");
        return new Measured(fromWrite, fromEnd, (int) (reloads - reloadsBefore));
    }

    @Test
    @Order(2)
    @DisplayName("key file changed under a running pgpool: nobody is locked out; after pgpool restarts with it, the new key is used")
    void keyChangedUnderRunningPgpool() throws Exception {
        sql("CREATE USER kate WITH PASSWORD 'Kate-pass-1'");
        putSecret("kate", "Kate-pass-1");
        awaitConverged(content -> harness.pgEnc("Kate-pass-1").equals(entry(content, "kate")));
        Path oldKey = harness.dir().resolve("old-key");
        Files.copy(harness.keyFile(), oldKey, StandardCopyOption.COPY_ATTRIBUTES);

        // What editing the key Secret does to the mounted file; pgpool goes on with the key it read.
        writeKey("a-new-pgpool-key-" + System.nanoTime());
        await("the restart warning").atMost(PATIENCE).untilAsserted(() ->
                assertNotNull(app.pgpoolKey().restartPending()));
        // A rotation after the key change: written with the key pgpool holds, not the file's.
        sql("ALTER USER kate WITH PASSWORD 'Kate-pass-2'");
        putSecret("kate", "Kate-pass-2");
        String withOldKey = harness.pgEnc("Kate-pass-2", oldKey);
        awaitConverged(content -> withOldKey.equals(entry(content, "kate")));
        assertEquals(allTrue(), harness.loginOnEveryChild("kate", "Kate-pass-2"), "kate is not locked out");
        assertEquals(allTrue(), harness.loginOnEveryChild("john", currentPassword("john")), "nor john");
        assertNotNull(app.pgpoolKey().restartPending(), "still waiting for a pgpool restart");

        // pgpool restarts as the images' start-up scripts do (pg_enc -m, then pgpool with the new key).
        harness.stopPgpool();
        harness.startPgpoolAsImagesDo();
        String withNewKey = harness.pgEnc("Kate-pass-2");
        awaitConverged(content -> withNewKey.equals(entry(content, "kate")));
        assertNull(app.pgpoolKey().restartPending(), "the new key is pgpool's now");
        assertEquals(allTrue(), harness.loginOnEveryChild("kate", "Kate-pass-2"), "kate, with the new key");
        assertEquals(allTrue(), harness.loginOnEveryChild("john", currentPassword("john")), "john, with the new key");
        assertEquals(allTrue(), harness.loginOnEveryChild(harness.adminUser(), harness.adminPassword()), "the admin");
    }

    @Test
    @Order(3)
    @DisplayName("PCP password fixed in its file: picked up without a restart")
    void pcpPasswordFixedInItsFile() throws Exception {
        String good = Files.readString(pcpPassword);
        Files.writeString(pcpPassword, "wrong-" + good);
        sql("CREATE USER pat WITH PASSWORD 'Pat-pass-1'");
        putSecret("pat", "Pat-pass-1");
        await("rounds refused").atMost(PATIENCE).untilAsserted(() -> {
            Convergence.Status s = app.convergence().status();
            assertEquals(Convergence.State.FAILED, s.state(), String.valueOf(s));
            assertTrue(s.error().contains("refused PCP user"), s.error());
        });
        assertFalse(app.convergence().status().error().contains(good.strip()), "no password in the error");

        Files.writeString(pcpPassword, good);
        awaitConverged(content -> entry(content, "pat") != null);
        assertEquals(allTrue(), harness.loginOnEveryChild("pat", "Pat-pass-1"));
    }

    @Test
    @Order(4)
    @DisplayName("a new random key at every pgpool start (the official image): users log in again within one period of pgpool's return; no entry is ever written under a key pgpool does not hold")
    void newRandomKeyAtEveryStart() throws Exception {
        sql("CREATE USER kim WITH PASSWORD 'Kim-pass-1'"); // one user of its own: the test also runs alone
        putSecret("kim", "Kim-pass-1");
        awaitConverged(content -> passwords.keySet().stream().allMatch(user -> entry(content, user) != null));
        Path oldKey = harness.dir().resolve("key-before-restart");
        Files.copy(harness.keyFile(), oldKey, StandardCopyOption.REPLACE_EXISTING);
        try (PoolPasswdVersions versions = PoolPasswdVersions.watch(harness.poolPasswd())) {
            harness.stopPgpool();
            Instant down = Instant.now();
            // pgpool2_on_k8s's entrypoint.sh: a new random key, pg_enc -m for the admin; then pgpool.
            harness.runStartupScript(Map.of(), true);
            long ticks = app.status().ticksEnded();
            await("two ticks while pgpool is down, the new key on file").atMost(PATIENCE).until(() ->
                    app.status().ticksEnded() >= ticks + 2);
            Instant starting = Instant.now();
            harness.startPgpool(); // returns once pgpool answers (the admin logs in)
            Instant up = Instant.now();
            await("every user logs in again").atMost(PERIOD.plus(AFTER_SESSIONS)).pollInterval(Duration.ofMillis(20))
                    .until(() -> {
                        for (Map.Entry<String, String> user : passwords.entrySet()) {
                            if (!harness.canLogin(user.getKey(), user.getValue())) {
                                return false;
                            }
                        }
                        return true;
                    });
            double seconds = Duration.between(up, Instant.now()).toMillis() / 1000.0;
            for (Map.Entry<String, String> user : passwords.entrySet()) {
                assertEquals(allTrue(), harness.loginOnEveryChild(user.getKey(), user.getValue()), user.getKey());
            }
            // Every version of pool_passwd the sync wrote (a rename: a new inode; pg_enc -m writes in place)
            // came after pgpool was started again, and holds our entries under the key it started with.
            List<PoolPasswdVersions.Version> ours = versions.stop().stream()
                    .filter(v -> v.seen().isAfter(down) && !v.inode().equals(versions.first().inode())).toList();
            assertTrue(!ours.isEmpty(), "the sync re-encrypted its entries");
            for (PoolPasswdVersions.Version v : ours) {
                assertTrue(v.seen().isAfter(starting), "written at " + v.seen() + ", while pgpool was down ("
                        + down + " to " + starting + ")");
                for (Map.Entry<String, String> user : passwords.entrySet()) {
                    assertEquals(harness.pgEnc(user.getValue()), entry(v.content(), user.getKey()),
                            user.getKey() + " in a version written at " + v.seen() + ": the new key only");
                }
            }
            System.out.printf("new key at pgpool start: %d users log in again %.2f s after pgpool answers (period %d ms);"
                    + " %d versions written by the sync after the restart, none before%n", passwords.size(), seconds,
                    PERIOD.toMillis(), ours.size());
        }
        assertTrue(!Files.readString(oldKey).equals(Files.readString(harness.keyFile())), "the key changed");
    }

    // ---- helpers ---------------------------------------------------------------------------------

    interface Content {
        boolean test(byte[] content) throws Exception;
    }

    /** pool_passwd satisfies the condition, and every pgpool child uses that file. */
    static void awaitConverged(Content condition) {
        await("pool_passwd written and converged").atMost(PATIENCE).pollInterval(Duration.ofMillis(20)).until(() -> {
            Instant written = Files.getLastModifiedTime(harness.poolPasswd()).toInstant();
            Convergence.Status s = app.convergence().status();
            return condition.test(Files.readAllBytes(harness.poolPasswd()))
                    && s.state() == Convergence.State.CONVERGED && !s.writtenAt().isBefore(written);
        });
    }

    static List<Boolean> loginsOnEveryChild(String user, String password, int rounds) throws SQLException {
        List<Boolean> all = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            all.addAll(harness.loginOnEveryChild(user, password));
        }
        return all;
    }

    static final Map<String, String> passwords = new LinkedHashMap<>();

    static String currentPassword(String user) {
        return passwords.get(user);
    }

    static void putSecret(String user, String password) throws IOException {
        passwords.put(user, password);
        SecretManifests.put(manifests, NAMESPACE, POSTGRES, user, password);
    }

    static void writeKey(String key) throws IOException {
        Path temp = harness.dir().resolve(".key.tmp");
        Files.writeString(temp, key + "\n", StandardCharsets.UTF_8);
        Files.move(temp, harness.keyFile(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static String entry(byte[] content, String user) {
        return PoolPasswd.parse(content).entryOf(user).map(PoolPasswdLine::secret).orElse(null);
    }

    /** Straight to PostgreSQL: the test's own SQL never occupies a pgpool child. */
    static void sql(String statement) throws SQLException {
        try (Connection c = harness.connectDirect(harness.adminUser(), harness.adminPassword());
                Statement st = c.createStatement()) {
            st.execute(statement);
        }
    }

    static List<Boolean> allTrue() {
        return Collections.nCopies(harness.children(), true);
    }

    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
