package io.pgpoolusersync.it;

import static io.pgpoolusersync.it.MockKubernetesApi.secret;
import static io.pgpoolusersync.it.MockKubernetesApi.userLabels;
import static io.pgpoolusersync.it.MockKubernetesApi.utf8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Secret;
import io.pgpoolusersync.Settings;
import io.pgpoolusersync.SyncApplication;
import io.pgpoolusersync.passwd.KeyFile;
import io.pgpoolusersync.pgpool.Convergence;
import io.pgpoolusersync.passwd.PoolPasswd;
import io.pgpoolusersync.passwd.PoolPasswdLine;
import io.pgpoolusersync.secrets.RejectReason;
import io.pgpoolusersync.store.ManagedUsers;
import io.pgpoolusersync.tick.SyncStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The sync end to end: the app in this JVM with the real YAML routes from routes/, a 1 s period, the
 * fabric8 Kubernetes mock (CRUD mode) as the API, and a real PostgreSQL behind a real pgpool, which it
 * reloads over PCP through a relay that counts the reloads. Logins go through pgpool with the JDBC driver
 * (scram-sha-256), as a user's application connects. The scenarios build on each other, in order: the
 * walkthrough, rotation and deletion shared with the k3s tier ({@link UserLifecycleScenarios}), then this
 * tier's own.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SyncEndToEndIT extends UserLifecycleScenarios {

    static final String NAMESPACE = "demo";
    /** The walkthrough's PostgreSQL, as labeled in examples/secrets/sync-secret.yaml. */
    static final String POSTGRES = "ha-postgres";
    static final Duration PERIOD = Duration.ofSeconds(1);
    /** Room for a tick's own work and a busy CI machine, on top of the period. */
    static final Duration SLACK = Duration.ofSeconds(2);
    static final Duration PATIENCE = Duration.ofSeconds(20);

    static LogCapture logs;
    static PgpoolHarness harness;
    static PcpCountingProxy pcp;
    static MockKubernetesApi api;
    static SyncApplication app;
    static SyncStatus status;
    /** pool_passwd's admin line as the pgpool image wrote it, before the sync started. */
    static byte[] adminLine;
    /** Every password the suite handed to the sync: none may appear in its logs (scenario 9). */
    static final Set<String> passwords = Collections.synchronizedSet(new LinkedHashSet<>());

    @BeforeAll
    static void start() throws Exception {
        logs = LogCapture.install(); // before the app's first log line
        harness = PgpoolHarness.start();
        passwords.add(harness.adminPassword());
        passwords.add(harness.pcpPassword());
        adminLine = PoolPasswd.parse(Files.readAllBytes(harness.poolPasswd())).lines().get(0).raw();
        pcp = new PcpCountingProxy(harness.pcpPort());
        api = MockKubernetesApi.start();
        Map<String, String> flags = new LinkedHashMap<>();
        flags.put("namespace", NAMESPACE);
        flags.put("postgres-name", POSTGRES);
        flags.put("pool-passwd", harness.poolPasswd().toString());
        flags.put("key-file", harness.keyFile().toString());
        flags.put("period", PERIOD.toMillis() + "ms");
        flags.put("pcp-host", "127.0.0.1");
        flags.put("pcp-port", Integer.toString(pcp.port()));
        flags.put("pcp-user", harness.pcpUser());
        flags.put("pcp-password-file", harness.pcpPasswordFile().toString());
        flags.put("management-port", "0"); // other builds on this machine may hold the default port
        flags.put("routes-dir", Path.of("routes").toAbsolutePath().toString());
        app = new SyncApplication(Settings.load(flags, Map.of()), api.client());
        status = app.status();
        app.start();
        // Scenario 1 times a change against the period: start timing once the app ticks.
        await("the first tick").atMost(PATIENCE).until(() -> status.ticksOk() >= 1);
    }

    @AfterAll
    static void stop() throws Exception {
        if (app != null) {
            app.close();
        }
        if (api != null) {
            api.close();
        }
        if (pcp != null) {
            pcp.close();
        }
        if (harness != null) {
            harness.close();
        }
        if (logs != null) {
            logs.close();
        }
    }

    // ---- the walkthrough, rotation and deletion (UserLifecycleScenarios, orders 1-3) on this tier ----

    /** When the last Secret was put: the walkthrough times john's arrival in pool_passwd against it. */
    static volatile Instant secretPutAt;
    /** Ticks ended when a Secret last changed: a login waits for a tick that began after the change. */
    static volatile long ticksAtChange;

    /**
     * The mock API, PostgreSQL directly (a pgpool child that is busy when a reload arrives keeps the old
     * pool_passwd, so SQL stays off pgpool), and a login that counts only when every pgpool child agrees,
     * tried once the sync is idle and pgpool has handled its reloads.
     */
    static final SyncTier LOCAL = new SyncTier() {
        @Override
        public void putSecret(Secret secret) {
            secretPutAt = Instant.now();
            ticksAtChange = status.ticksEnded();
            api.put(asStoredByApiServer(secret));
        }

        @Override
        public void deleteSecret(String name) {
            ticksAtChange = status.ticksEnded();
            api.delete(NAMESPACE, name);
        }

        @Override
        public String sqlAsAdmin(String sql) throws SQLException {
            try (Connection c = harness.connectDirect(harness.adminUser(), harness.adminPassword());
                    Statement st = c.createStatement()) {
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
            // Logins while the sync writes could meet pgpool 4.3's blind spot (a child authenticating a client
            // across a reload looks idle and keeps the old file; SlowAuthenticationIT): log in once a tick that
            // began after the change (the second to end after it) has ended and pgpool converged.
            long changed = ticksAtChange;
            await("a tick that began after the last change").atMost(PATIENCE).untilAsserted(() ->
                    assertTrue(status.ticksEnded() >= changed + 2, "ticks ended: " + status.ticksEnded() + ", at the change: " + changed));
            awaitSynced();
            List<Boolean> perChild = harness.loginOnEveryChild(user, password);
            if (perChild.equals(allTrue())) {
                return Login.OK;
            }
            if (perChild.equals(allFalse())) {
                return Login.AUTH_FAILED;
            }
            throw new AssertionError(user + " logs in on some pgpool children only: " + perChild);
        }

        @Override
        public Login loginAsAdmin() throws SQLException {
            return login(harness.adminUser(), harness.adminPassword());
        }

        @Override
        public Duration syncWithin() {
            return PATIENCE;
        }
    };

    @Override
    protected SyncTier tier() {
        return LOCAL;
    }

    @Override
    protected void afterWalkthrough() throws Exception {
        // The entry the real pg_enc writes for this key, byte for byte, written within one period.
        assertEquals(harness.pgEnc(PASSWORD), entryOf(USER));
        Duration took = Duration.between(secretPutAt, Files.getLastModifiedTime(harness.poolPasswd()).toInstant());
        System.out.printf("john reached pool_passwd %d ms after the Secret was created%n", took.toMillis());
        assertTrue(took.compareTo(PERIOD.plus(SLACK)) <= 0, "john written within one period (+ slack): " + took);
        assertEquals(USER + "\tdemo/sync-secret", managedRecord().lines().filter(l -> l.startsWith(USER)).findFirst()
                .orElse(""), "the ownership record names john's Secret");
    }

    @Override
    protected void afterRotation() throws Exception {
        assertEquals(harness.pgEnc(ROTATED), entryOf(USER));
    }

    @Override
    protected void afterDeletion() throws Exception {
        assertNull(entryOf(USER), "john's entry is gone");
        assertFalse(managedRecord().contains(USER), "john left the ownership record");
    }

    /** What the API server stores for a Secret written with stringData: base64 data (the mock keeps both). */
    static Secret asStoredByApiServer(Secret secret) {
        Map<String, byte[]> data = new LinkedHashMap<>();
        if (secret.getData() != null) {
            secret.getData().forEach((k, v) -> data.put(k, Base64.getDecoder().decode(v)));
        }
        if (secret.getStringData() != null) {
            secret.getStringData().forEach((k, v) -> data.put(k, utf8(v)));
        }
        if (data.containsKey("password")) {
            passwords.add(new String(data.get("password"), StandardCharsets.UTF_8));
        }
        return secret(secret.getMetadata().getNamespace(), secret.getMetadata().getName(),
                secret.getMetadata().getLabels(), data);
    }

    // ---- this tier's own scenarios ---------------------------------------------------------------

    @Test
    @Order(4)
    @DisplayName("5. ignored: Secrets with wrong labels or in another namespace never reach pool_passwd")
    void ignoredSecrets() throws Exception {
        Map<String, String> wrongInstance = Map.of("app.kubernetes.io/instance", "other-postgres",
                "app.kubernetes.io/name", "postgreses.kubedb.com");
        Map<String, String> wrongKind = Map.of("app.kubernetes.io/instance", POSTGRES,
                "app.kubernetes.io/name", "mysqls.kubedb.com");
        Map<String, String> instanceOnly = Map.of("app.kubernetes.io/instance", POSTGRES);
        List<Secret> ignored = List.of(
                userSecret(NAMESPACE, "wrong-instance", wrongInstance, "ign_instance", "Ignored-inst-1"),
                userSecret(NAMESPACE, "wrong-kind", wrongKind, "ign_kind", "Ignored-kind-2"),
                userSecret(NAMESPACE, "missing-name-label", instanceOnly, "ign_nolabel", "Ignored-nolabel-3"),
                userSecret(NAMESPACE, "no-labels", Map.of(), "ign_unlabeled", "Ignored-unlabeled-4"),
                userSecret("other", "other-namespace", userLabels(POSTGRES), "ign_otherns", "Ignored-otherns-5"));
        ignored.forEach(api::put);
        // Created after the ignored ones: once the sync has it, it has listed them too.
        api.put(userSecret("marker-auth", "marker", "Marker-pass-6"));
        sql("CREATE USER marker WITH PASSWORD 'Marker-pass-6'");
        for (Secret s : ignored) { // the roles exist: only pool_passwd can keep them out
            sql("CREATE USER " + decoded(s, "username") + " WITH PASSWORD '" + decoded(s, "password") + "'");
        }
        awaitSynced(content -> entryIn(content, "marker") != null);

        assertEquals(List.of("postgres", "marker"), users(poolPasswd()), "only the admin and the marker");
        assertEquals(Map.of(), rejectedByReason(), "ignored, not rejected");
        assertEquals(List.of(), events(NAMESPACE), "no Event on an ignored Secret");
        assertEquals(List.of(), events("other"), "no Event in another namespace");
        assertTrue(harness.canLogin("marker", "Marker-pass-6"));
        for (Secret s : ignored) {
            assertFalse(harness.canLogin(decoded(s, "username"), decoded(s, "password")),
                    decoded(s, "username") + " must not log in through pgpool");
            assertFalse(logs.text().contains(s.getMetadata().getName()), "ignored Secrets are not even named");
        }
    }

    @Test
    @Order(5)
    @DisplayName("6. bad Secrets are rejected with their reason while good ones in the same tick are synced")
    void badSecretsRejected() throws Exception {
        Map<String, RejectReason> expected = new TreeMap<>();
        List<Secret> bad = new ArrayList<>();
        bad.add(data("no-username", Map.of("password", utf8("Bad-pass-a1"))));
        expected.put("no-username", RejectReason.MISSING_USERNAME);
        bad.add(data("empty-username", Map.of("username", utf8(""), "password", utf8("Bad-pass-a2"))));
        expected.put("empty-username", RejectReason.MISSING_USERNAME);
        bad.add(data("ambiguous", Map.of("username", utf8("amb_one"), "user", utf8("amb_two"),
                "password", utf8("Bad-pass-b1"))));
        expected.put("ambiguous", RejectReason.AMBIGUOUS_USERNAME);
        bad.add(data("no-password", Map.of("username", utf8("nopass"))));
        expected.put("no-password", RejectReason.MISSING_PASSWORD);
        bad.add(data("empty-password", Map.of("username", utf8("emptypass"), "password", utf8(""))));
        expected.put("empty-password", RejectReason.MISSING_PASSWORD);
        // The real API server only stores base64; the mock stores what it is sent.
        Secret notBase64 = data("not-base64", Map.of("username", utf8("nob64")));
        notBase64.getData().put("password", "%%% not base64 %%%");
        bad.add(notBase64);
        expected.put("not-base64", RejectReason.NOT_BASE64);
        bad.add(data("not-utf8", Map.of("username", utf8("notutf8"),
                "password", new byte[] {'B', 'a', 'd', (byte) 0xC3, 0x28, '9'})));
        expected.put("not-utf8", RejectReason.NOT_UTF8);
        bad.add(data("newline-in-username", Map.of("username", utf8("evil\npostgres"),
                "password", utf8("Bad-pass-c1"))));
        expected.put("newline-in-username", RejectReason.CONTROL_CHARACTER);
        bad.add(data("tab-in-password", Map.of("username", utf8("tabpass"), "password", utf8("Bad\tpass-c2"))));
        expected.put("tab-in-password", RejectReason.CONTROL_CHARACTER);
        bad.add(data("nul-in-password", Map.of("username", utf8("nulpass"), "password", utf8("Bad\0pass-c3"))));
        expected.put("nul-in-password", RejectReason.CONTROL_CHARACTER);
        bad.add(data("cr-in-password", Map.of("username", utf8("crpass"), "password", utf8("Bad-pass-c4\r"))));
        expected.put("cr-in-password", RejectReason.CONTROL_CHARACTER);
        bad.add(data("long-username", Map.of("username", utf8("u".repeat(64)), "password", utf8("Bad-pass-d1"))));
        expected.put("long-username", RejectReason.USERNAME_TOO_LONG);
        String longPassword = "Long-password-" + "x".repeat(66); // 80 bytes: pgpool cuts the AES entry
        bad.add(data("long-password", Map.of("username", utf8("longpass"), "password", utf8(longPassword))));
        expected.put("long-password", RejectReason.PASSWORD_TOO_LONG);
        // Two Secrets, one user name, no owner yet: the older gets it.
        bad.add(data("dup-1-older", Map.of("username", utf8("dupuser"), "password", utf8("Dup-older-e1"))));
        bad.add(data("dup-2-newer", Map.of("username", utf8("dupuser"), "password", utf8("Dup-newer-e2"))));
        expected.put("dup-2-newer", RejectReason.DUPLICATE_USERNAME);
        // The admin entry was not written by us: no Secret may take it over.
        bad.add(data("hijack-admin", Map.of("username", utf8("postgres"), "password", utf8("Hijack-f1"))));
        expected.put("hijack-admin", RejectReason.UNMANAGED_USERNAME);
        // NOT_STRING and INVALID_NAME come from manifests only (the API server refuses such Secrets):
        // ManifestFolderTest and OwnershipRecordTest cover them.
        Set<RejectReason> fromCluster = new java.util.HashSet<>(RejectReason.values());
        fromCluster.removeAll(Set.of(RejectReason.NOT_STRING, RejectReason.INVALID_NAME));
        assertEquals(fromCluster, Set.copyOf(expected.values()), "the table covers every reason the cluster can give");

        for (Secret s : bad) {
            api.put(s);
        }
        // Good Secrets in the same list: one with the username key, one with its alias user.
        api.put(userSecret("good-auth", "gooduser", "Good-pass-g1"));
        api.put(data("alias-auth", Map.of("user", utf8("aliasuser"), "password", utf8("Alias-pass-g2"))));
        sql("CREATE USER gooduser WITH PASSWORD 'Good-pass-g1'");
        sql("CREATE USER aliasuser WITH PASSWORD 'Alias-pass-g2'");
        sql("CREATE USER dupuser WITH PASSWORD 'Dup-older-e1'");

        awaitSynced(content -> entryIn(content, "gooduser") != null && entryIn(content, "aliasuser") != null
                && rejectedByReason().equals(countByReason(expected.values())));
        // The tick that synced the good Secrets rejected each bad one, with its reason:
        assertEquals(countByReason(expected.values()), rejectedByReason(), "rejections of the last tick, by reason");
        await("one Event per bad Secret").atMost(PATIENCE).until(() -> events(NAMESPACE).size() >= expected.size());
        Map<String, String> events = new TreeMap<>();
        events(NAMESPACE).forEach(e -> events.put(e.getInvolvedObject().getName(), e.getReason()));
        Map<String, String> expectedEvents = new TreeMap<>();
        expected.forEach((name, reason) -> expectedEvents.put(name, reason.name()));
        assertEquals(expectedEvents, events, "a Warning Event on each bad Secret, naming the reason");
        for (String name : expected.keySet()) {
            assertTrue(logs.text().contains("Secret demo/" + name + " rejected (" + expected.get(name) + ")"),
                    "the log names " + name + " and its reason");
        }
        assertEquals(harness.pgEnc("Good-pass-g1"), entryOf("gooduser"));
        assertEquals(harness.pgEnc("Alias-pass-g2"), entryOf("aliasuser"));
        assertEquals(harness.pgEnc("Dup-older-e1"), entryOf("dupuser"), "the older Secret keeps dupuser");
        assertEquals(List.of("postgres", "aliasuser", "dupuser", "gooduser", "marker"), users(poolPasswd()),
                "no bad Secret wrote a line; the admin line stays first");
        assertArrayEquals(adminLine, firstLine(), "the admin entry is untouched");

        assertTrue(harness.canLogin("gooduser", "Good-pass-g1"));
        assertTrue(harness.canLogin("aliasuser", "Alias-pass-g2"));
        assertTrue(harness.canLogin("dupuser", "Dup-older-e1"));
        assertFalse(harness.canLogin("postgres", "Hijack-f1"), "the hijack password does not open the admin");
        assertTrue(harness.canLogin("postgres", harness.adminPassword()));
    }

    @Test
    @Order(6)
    @DisplayName("7. an idle tick writes nothing, reloads nothing and does not repeat rejection warnings")
    void idleTick() throws Exception {
        awaitSynced();
        Snapshot before = Snapshot.of(harness.poolPasswd());
        Snapshot recordBefore = Snapshot.of(record());
        int reloads = pcp.connections();
        long reloadsOk = app.convergence().reloadsTotal();
        int eventCount = events(NAMESPACE).size();
        long warnings = count(logs.text(), " rejected (");
        long ticks = status.ticksOk();

        await("three more ticks").atMost(PERIOD.multipliedBy(3).plus(SLACK).plus(SLACK))
                .until(() -> status.ticksOk() >= ticks + 3);

        assertEquals(before, Snapshot.of(harness.poolPasswd()), "pool_passwd: same inode, mtime and bytes");
        assertEquals(recordBefore, Snapshot.of(record()), "ownership record untouched");
        assertEquals(reloads, pcp.connections(), "no PCP connection");
        assertEquals(reloadsOk, app.convergence().reloadsTotal(), "no reload reported");
        assertEquals(eventCount, events(NAMESPACE).size(), "no new Event for rejections already reported");
        assertEquals(warnings, count(logs.text(), " rejected ("), "rejections already reported are not re-warned");
        assertEquals(List.of(), tempFiles(), "no temp file left behind");
    }

    @Test
    @Order(7)
    @DisplayName("8a. API errors: pool_passwd unchanged and logins keep working, then sync resumes")
    void apiOutage() throws Exception {
        awaitSynced();
        Snapshot before = Snapshot.of(harness.poolPasswd());
        long failedTicks = status.ticksFailed();
        api.outage(true);
        try {
            // A change the sync cannot see yet, and a deletion it must not act on blindly.
            api.put(userSecret("outage-auth", "outageuser", "Outage-pass-h1"));
            api.delete(NAMESPACE, "good-auth");
            sql("CREATE USER outageuser WITH PASSWORD 'Outage-pass-h1'");
            await("two failed ticks").atMost(PERIOD.multipliedBy(2).plus(SLACK).plus(SLACK))
                    .until(() -> status.ticksFailed() >= failedTicks + 2);
            assertTrue(api.failedLists() >= 2);
            assertNotNull(status.lastError(), "the failure is reported");
            assertEquals(before, Snapshot.of(harness.poolPasswd()), "pool_passwd untouched during the outage");
            assertTrue(harness.canLogin("gooduser", "Good-pass-g1"), "a synced user still logs in");
            assertTrue(harness.canLogin("postgres", harness.adminPassword()), "the admin still logs in");
            assertFalse(harness.canLogin("outageuser", "Outage-pass-h1"));
        } finally {
            api.outage(false);
        }
        String expected = harness.pgEnc("Outage-pass-h1");
        awaitSynced(content -> expected.equals(entryIn(content, "outageuser")) && entryIn(content, "gooduser") == null);
        assertTrue(harness.canLogin("outageuser", "Outage-pass-h1"));
        assertEquals(allFalse(), harness.loginOnEveryChild("gooduser", "Good-pass-g1"), "deleted during the outage");
        assertTrue(logs.text().contains("tick failed, pool_passwd left as it was"), "the outage is in the log");
    }

    @Test
    @Order(8)
    @DisplayName("8b. pgpool stopped: nothing is written while it may be starting (its start-up rewrites pool_passwd); the user logs in once pgpool is back")
    void pgpoolStopped() throws Exception {
        awaitSynced();
        harness.stopPgpool();
        try {
            Snapshot before = Snapshot.of(harness.poolPasswd());
            long failed = status.ticksFailed();
            api.put(userSecret("while-down-auth", "downuser", "Down-pass-i1"));
            await("ticks kept from writing while pgpool is down").atMost(PERIOD.multipliedBy(3).plus(SLACK))
                    .untilAsserted(() -> assertTrue(status.ticksFailed() >= failed + 2, "failed: " + status.ticksFailed()));
            assertEquals(before, Snapshot.of(harness.poolPasswd()), "nothing written while pgpool does not answer");
            assertNotNull(status.lastError());
            assertTrue(status.lastError().startsWith("pgpool does not answer on PCP"), status.lastError());
        } finally {
            harness.startPgpool();
        }
        String expected = harness.pgEnc("Down-pass-i1");
        await("downuser written once pgpool answers").atMost(PERIOD.plus(SLACK))
                .until(() -> expected.equals(entryOf("downuser")));
        awaitSynced(content -> true);
        sql("CREATE USER downuser WITH PASSWORD 'Down-pass-i1'");
        assertEquals(allTrue(), harness.loginOnEveryChild("downuser", "Down-pass-i1"));
        long ticks = status.ticksOk();
        int connections = pcp.connections();
        long reloadsDone = app.convergence().reloadsTotal();
        await("two more ticks").atMost(PERIOD.multipliedBy(2).plus(SLACK)).until(() -> status.ticksOk() >= ticks + 2);
        assertEquals(connections, pcp.connections(), "converged: no more PCP connections");
        assertEquals(reloadsDone, app.convergence().reloadsTotal());
    }

    @Test
    @Order(10)
    @DisplayName("8c. SIGKILL during writes, again and again: pool_passwd is always complete, never partial")
    void killedDuringWrites() throws Exception {
        Path dir = Files.createDirectory(harness.dir().resolve("crash"));
        Path manifests = Files.createDirectory(dir.resolve("manifests"));
        Path file = dir.resolve("pool_passwd");
        Files.write(file, (new String(adminLine, StandardCharsets.UTF_8) + "\n").getBytes(StandardCharsets.UTF_8));
        long seed = new Random().nextLong();
        System.out.println("killedDuringWrites: random seed " + seed);
        Random random = new Random(seed);
        AlternatingSecrets secrets = new AlternatingSecrets(manifests, NAMESPACE, POSTGRES, adminLine,
                KeyFile.read(harness.keyFile()), random);
        passwords.addAll(secrets.passwords());
        secrets.swap();
        List<String> args = List.of("--manifests", manifests.toString(), "--namespace", NAMESPACE,
                "--postgres-name", POSTGRES, "--pool-passwd", file.toString(),
                "--key-file", harness.keyFile().toString(), "--period", "50ms", "--management-port", "0",
                "--routes-dir", Path.of("routes").toAbsolutePath().toString());
        // Every tick line swaps the Secrets, so that the next tick rewrites the file.
        Runnable swap = () -> {
            try {
                secrets.swap();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };

        int kills = Integer.getInteger("crash.kills", 20);
        int killedMidWrite = 0;
        Set<AlternatingSecrets.State> seen = EnumSet.noneOf(AlternatingSecrets.State.class);
        for (int i = 0; i < kills; i++) {
            Set<String> strays = Set.copyOf(tempFiles(dir));
            try (SyncProcess sync = SyncProcess.start(args, logs, "[sync#" + i + "] ", swap)) {
                await("sync #" + i + " ticking").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(10))
                        .until(() -> sync.ticks() >= 1 || !sync.isAlive());
                assertTrue(sync.isAlive(), "the sync process died by itself");
                // Odd rounds: kill just after a tick. Even rounds: kill while a temp file exists, i.e. in
                // the middle of a write, or after 40 ticks if no write was caught.
                int stopAt = sync.ticks() + (i % 2 == 1 ? 1 + random.nextInt(4) : 40);
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                boolean midWrite = false;
                while (sync.ticks() < stopAt && sync.isAlive()) {
                    assertTrue(System.nanoTime() < deadline, "sync #" + i + " stopped ticking");
                    // Whoever reads pool_passwd meanwhile (pgpool) sees a complete file.
                    seen.add(secrets.classify(Files.readAllBytes(file)));
                    if (i % 2 == 0 && !Set.copyOf(tempFiles(dir)).equals(strays)) {
                        midWrite = true;
                        break;
                    }
                    LockSupport.parkNanos(200_000); // polling interval, not a wait for an outcome
                }
                sync.kill();
                killedMidWrite += midWrite ? 1 : 0;
            }
            seen.add(secrets.classify(Files.readAllBytes(file)));
            assertOwnershipRecordCovers(file);
        }
        System.out.printf("killedDuringWrites: %d kills, %d of them with a temp file open; states seen %s;"
                + " stray temp files left: %s%n", kills, killedMidWrite, seen, tempFiles(dir));
        assertTrue(seen.contains(AlternatingSecrets.State.A) && seen.contains(AlternatingSecrets.State.B),
                "the children wrote both sets: " + seen);
        assertTrue(tempFiles(dir).size() <= kills, "at most one stray temp file per kill");

        // After the last kill, one clean run converges on what the folder declares, rejecting nothing.
        AlternatingSecrets.State declared = secrets.showing();
        List<String> once = new ArrayList<>(args);
        once.add("--once");
        try (SyncProcess sync = SyncProcess.start(once, logs, "[sync once] ", () -> { })) {
            assertEquals(0, sync.waitFor(120), "the one-shot run after the kills succeeded");
        }
        assertEquals(declared, secrets.classify(Files.readAllBytes(file)));
        assertOwnershipRecordCovers(file);
        assertTrue(logs.text().contains("[sync once] ") && logs.text().lines()
                .filter(l -> l.contains("[sync once]") && l.contains("tick: ")).allMatch(l -> l.contains(" rejected=0 ")),
                "no user turned unmanaged: nothing rejected");
    }

    /** Every user of ours in pool_passwd is in the ownership record, so no kill can orphan one. */
    static void assertOwnershipRecordCovers(Path file) throws IOException {
        ManagedUsers record = ManagedUsers.read(file.resolveSibling(file.getFileName() + ".managed"));
        List<String> orphans = users(Files.readAllBytes(file)).stream().skip(1)
                .filter(user -> !record.manages(user)).toList();
        assertEquals(List.of(), orphans, "users in pool_passwd that the ownership record does not claim");
    }

    static List<String> tempFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith(".pool_passwd") && n.endsWith(".tmp")).sorted().toList();
        }
    }

    @Test
    @Order(20)
    @DisplayName("4. the admin entry written before the sync started is byte for byte there and works after many ticks")
    void adminEntrySurvives() throws Exception {
        awaitSynced();
        assertTrue(status.ticksOk() >= 10, "many ticks ran: " + status.ticksOk());
        assertArrayEquals(adminLine, firstLine());
        assertEquals(1, users(poolPasswd()).stream().filter("postgres"::equals).count(), "one admin line");
        assertFalse(ManagedUsers.read(record()).manages("postgres"), "the admin is not ours");
        assertEquals(allTrue(), harness.loginOnEveryChild("postgres", harness.adminPassword()));
    }

    @Test
    @Order(30)
    @DisplayName("9. our logs hold no password, no password base64 and no AES entry")
    void logsHoldNoSecret() throws Exception {
        String text = logs.text();
        assertTrue(text.contains("TickReport - tick: added=1"), "the capture holds the app's tick lines");
        assertTrue(text.contains("rejected (CONTROL_CHARACTER)"), "and its rejection warnings");
        assertTrue(text.contains("[sync#0] ") && text.contains("[sync once] "), "and the child JVMs' output");
        byte[] key = KeyFile.read(harness.keyFile());
        // The scanner itself finds what it looks for.
        assertEquals(3, LogCapture.leaks("x 12345 y " + harness.pgEnc("12345"), List.of("12345"), key).size(),
                "self-test: the password, its entry, and the AES shape");
        List<String> found;
        synchronized (passwords) {
            found = LogCapture.leaks(text, List.copyOf(passwords), key);
        }
        assertEquals(List.of(), found, "secrets in our logs");
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /** Waits until a tick has finished with the current file (reload done or not owed). */
    static void awaitSynced() {
        awaitSynced(content -> true);
    }

    /**
     * Waits until pool_passwd satisfies {@code condition}, a tick has succeeded since it was written, and
     * the sync says every pgpool child uses it (converged). No further wait: logins right after must see
     * the file on every child, which is what "converged" claims.
     */
    static void awaitSynced(Predicate<byte[]> condition) {
        await("pool_passwd synced").atMost(PATIENCE).pollInterval(Duration.ofMillis(20)).until(() -> {
            Instant written = Files.getLastModifiedTime(harness.poolPasswd()).toInstant();
            byte[] content = poolPasswd();
            Instant success = status.lastSuccess();
            Convergence.Status pgpool = app.convergence().status();
            return condition.test(content) && success != null && success.isAfter(written)
                    && status.lastError() == null && pgpool.state() == Convergence.State.CONVERGED
                    && !pgpool.writtenAt().isBefore(written.minusMillis(5));
        });
    }

    /**
     * SQL as the superuser straight to PostgreSQL, not through pgpool: a pgpool child that is busy when a
     * reload arrives keeps the old pool_passwd (pgpool 4.3.5), so the test keeps pgpool idle while the
     * sync may reload it.
     */
    static void sql(String statement) throws SQLException {
        try (Connection c = harness.connectDirect(harness.adminUser(), harness.adminPassword());
                Statement st = c.createStatement()) {
            st.execute(statement);
        }
    }

    /** The last tick's rejections, counted by reason; reasons with none left out. */
    static Map<RejectReason, Integer> rejectedByReason() {
        Map<RejectReason, Integer> counts = new TreeMap<>();
        for (RejectReason reason : RejectReason.values()) {
            if (status.rejected(reason) > 0) {
                counts.put(reason, status.rejected(reason));
            }
        }
        return counts;
    }

    static Map<RejectReason, Integer> countByReason(Collection<RejectReason> reasons) {
        Map<RejectReason, Integer> counts = new TreeMap<>();
        reasons.forEach(r -> counts.merge(r, 1, Integer::sum));
        return counts;
    }

    /** The Events our sync recorded in a namespace. */
    static List<Event> events(String namespace) {
        return api.client().v1().events().inNamespace(namespace).list().getItems();
    }

    /** A labeled Secret in the namespace, as a user writes it. */
    static Secret userSecret(String name, String user, String password) {
        return userSecret(NAMESPACE, name, userLabels(POSTGRES), user, password);
    }

    static Secret userSecret(String namespace, String name, Map<String, String> labels, String user,
            String password) {
        passwords.add(password);
        return secret(namespace, name, labels, Map.of("username", utf8(user), "password", utf8(password)));
    }

    static Secret data(String name, Map<String, byte[]> data) {
        byte[] password = data.get("password");
        if (password != null && password.length > 0) {
            passwords.add(new String(password, StandardCharsets.UTF_8));
        }
        Secret s = secret(NAMESPACE, name, userLabels(POSTGRES), data);
        s.setData(new LinkedHashMap<>(s.getData())); // mutable, for the not-base64 row
        return s;
    }

    static String decoded(Secret secret, String key) {
        return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
    }

    static byte[] poolPasswd() throws IOException {
        return Files.readAllBytes(harness.poolPasswd());
    }

    static Path record() {
        return harness.poolPasswd().resolveSibling(harness.poolPasswd().getFileName() + ".managed");
    }

    static String managedRecord() throws IOException {
        return Files.exists(record()) ? Files.readString(record()) : "";
    }

    static String entryOf(String user) throws IOException {
        return entryIn(poolPasswd(), user);
    }

    static String entryIn(byte[] content, String user) {
        return PoolPasswd.parse(content).entryOf(user).map(PoolPasswdLine::secret).orElse(null);
    }

    static List<String> users(byte[] content) {
        return PoolPasswd.parse(content).lines().stream().map(PoolPasswdLine::user).toList();
    }

    static byte[] firstLine() throws IOException {
        return PoolPasswd.parse(poolPasswd()).lines().get(0).raw();
    }

    static List<String> tempFiles() throws IOException {
        return tempFiles(harness.poolPasswd().getParent());
    }

    static List<Boolean> allTrue() {
        return Collections.nCopies(harness.children(), true);
    }

    static List<Boolean> allFalse() {
        return Collections.nCopies(harness.children(), false);
    }

    static long count(String text, String needle) {
        long n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    /** What says a file was not rewritten: a rename gives a new inode. */
    record Snapshot(Object inode, FileTime modified, String sha256) {
        static Snapshot of(Path file) throws IOException {
            try {
                byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
                return new Snapshot(Files.getAttribute(file, "unix:ino"), Files.getLastModifiedTime(file),
                        HexFormat.of().formatHex(digest)); // a digest: failure messages show no entry
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
