package io.pgpoolusersync.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgpoolusersync.pcp.PcpClient;
import io.pgpoolusersync.pcp.PcpSession;
import io.pgpoolusersync.pcp.PgpoolChild;
import io.pgpoolusersync.pgpool.Convergence;
import io.pgpoolusersync.store.AtomicFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A client that is still authenticating when the sync writes and reloads (pgpool 4.3): a real PostgreSQL
 * and a real pgpool, the sync's {@link Convergence} against pgpool's PCP port, and a client whose
 * answer to pgpool's password request is held back by a relay, as a slow client or one stalling on purpose
 * would. Measures what the child does and what the sync can see of it.
 */
class SlowAuthenticationIT {

    static final Duration INTERVAL = Duration.ofMillis(250);
    static final Duration PATIENCE = Duration.ofSeconds(30);

    static PgpoolHarness harness;
    static Convergence convergence;
    static String adminOnly;

    @BeforeAll
    static void start() throws Exception {
        harness = PgpoolHarness.start();
        // pgpool's authentication_timeout (read at start only) bounds the startup packet alone
        // (child.c, read_startup_packet): 1 s here, and the stall below outlasts it.
        Files.writeString(harness.pgpoolConf(), "authentication_timeout = 1\n", UTF_8, StandardOpenOption.APPEND);
        harness.stopPgpool();
        harness.startPgpool();
        adminOnly = Files.readString(harness.poolPasswd(), UTF_8);
        PcpClient pcp = new PcpClient("127.0.0.1", harness.pcpPort(), harness.pcpUser(), harness::pcpPassword,
                Duration.ofSeconds(5));
        convergence = new Convergence(pcp, INTERVAL, PATIENCE, Duration.ofSeconds(1));
        convergence.start();
        awaitConverged();
    }

    @AfterAll
    static void stop() {
        if (convergence != null) {
            convergence.close();
        }
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void aClientAuthenticatingAcrossTheWriteLogsInWithTheOldFileAndLeavesItsChildOnIt() throws Exception {
        assertEquals("1", settings().get("authentication_timeout"));
        harness.sqlAsAdmin("CREATE USER amy WITH PASSWORD 'Amy-pass-0'");
        write(adminOnly + "amy:" + harness.pgEnc("Amy-pass-0") + "\n");
        assertEquals(Collections.nCopies(harness.children(), true), harness.loginOnEveryChild("amy", "Amy-pass-0"));

        try (StallingRelay relay = new StallingRelay(harness.pgpoolPort())) {
            CompletableFuture<Login> stalled = CompletableFuture.supplyAsync(() -> login(relay.port(), "amy", "Amy-pass-0"));
            assertEquals(10, relay.awaitPasswordRequest(10), "pgpool asks for SCRAM (AuthenticationSASL)");
            long held = System.nanoTime();
            int pid = authenticatingChild();
            PgpoolChild before = child(pid);
            List<String> rowsBefore = printRows("before the write", pid);

            // amy's Secret is deleted: the sync writes pool_passwd without her, and converges.
            long rounds = convergence.roundsTotal();
            long reloads = convergence.reloadsTotal();
            long start = System.nanoTime();
            write(adminOnly);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("converged %.2f s after the write, %d rounds, %d reloads, while child %d was"
                    + " authenticating amy%n", seconds, convergence.roundsTotal() - rounds,
                    convergence.reloadsTotal() - reloads, pid);
            assertEquals(rowsBefore, printRows("converged", pid), "pcp_proc_info: not one field moved");
            PgpoolChild during = child(pid);
            assertTrue(during.waiting() && during.sessions() == before.sessions() && during.started().equals(before.started()),
                    "through PCP the authenticating child looks like one waiting for a client: " + during);
            // Two reload-separated observations would not help: a second write, reload and convergence
            // while she is still held judges that child current again.
            long secondReloads = convergence.reloadsTotal();
            write(adminOnly);
            assertTrue(convergence.reloadsTotal() > secondReloads, "a second reload was sent");
            assertEquals(rowsBefore, printRows("converged again", pid), "and not one field moved");
            await("the stall outlasts authentication_timeout").during(Duration.ofSeconds(2)).atMost(PATIENCE)
                    .until(() -> !stalled.isDone() && !relay.pgpoolClosed());
            assertEquals(rowsBefore, printRows("2 s later, nothing else connecting", pid),
                    "its countdown stays at child_life_time: it is not in select()");

            System.out.printf("the client held its answer %.1f s, past authentication_timeout = 1%n",
                    (System.nanoTime() - held) / 1e9);
            relay.release();
            assertEquals(Login.OK, stalled.get(30, TimeUnit.SECONDS),
                    "amy, removed before she answered, logs in with the old file's entry");
        }
        assertEquals(Convergence.State.CONVERGED, convergence.status().state());

        List<Boolean> later = harness.loginOnEveryChild("amy", "Amy-pass-0");
        assertEquals(1, Collections.frequency(later, true),
                "the child that authenticated her took the reload mid-session and kept the old file: " + later);
        long rounds = convergence.roundsTotal();
        await("the sync sees nothing to do").during(Duration.ofSeconds(2)).atMost(PATIENCE)
                .until(() -> convergence.roundsTotal() == rounds);
        assertEquals(1, Collections.frequency(harness.loginOnEveryChild("amy", "Amy-pass-0"), true),
                "and still, with no round pending");

        // The next write's reload finds that child waiting: it reopens the file.
        write(adminOnly);
        assertEquals(Collections.nCopies(harness.children(), false), harness.loginOnEveryChild("amy", "Amy-pass-0"));
    }

    @Test
    void aPgpoolBefore44IsReportedAsUnableToShowAnAuthenticatingChild() {
        Map<String, String> warnings = convergence.warnings();
        assertTrue(warnings.containsKey("authenticating_children"), "warnings: " + warnings);
        assertTrue(warnings.get("authenticating_children").contains("4.4"), warnings.toString());
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /** Replaces pool_passwd as the sync does, tells the sync, and waits until it has converged. */
    static void write(String content) throws Exception {
        AtomicFile.write(harness.poolPasswd(), content.getBytes(UTF_8));
        convergence.written();
        awaitConverged();
    }

    static void awaitConverged() {
        await("converged").atMost(PATIENCE).pollInterval(Duration.ofMillis(10))
                .until(() -> convergence.status().state() == Convergence.State.CONVERGED);
    }

    /**
     * pcp_proc_info's rows (one per pool slot; pid 14th of 16 fields, then backend id and status) for the
     * authenticating child and for one waiting child; returns the authenticating child's.
     */
    static List<String> printRows(String when, int pid) {
        List<String> rows = harness.pcpTool("pcp_proc_info", "-a").lines().toList();
        String mine = " " + pid + " ";
        String other = rows.stream().filter(r -> !r.contains(mine) && r.endsWith("Wait for connection"))
                .map(r -> r.replaceAll(".* (\\d+) \\d+ Wait for connection$", " $1 ")).findFirst().orElse("(none)");
        System.out.println("pcp_proc_info " + when + ":\n  authenticating child:\n    "
                + String.join("\n    ", rows.stream().filter(r -> r.contains(mine)).toList())
                + "\n  waiting child:\n    " + String.join("\n    ", rows.stream().filter(r -> r.contains(other)).toList()));
        return rows.stream().filter(r -> r.contains(mine)).toList();
    }

    static Map<String, String> settings() throws Exception {
        try (PcpSession session = new PcpClient("127.0.0.1", harness.pcpPort(), harness.pcpUser(),
                harness::pcpPassword, Duration.ofSeconds(5)).open()) {
            return session.settings();
        }
    }

    static PgpoolChild child(int pid) throws Exception {
        try (PcpSession session = new PcpClient("127.0.0.1", harness.pcpPort(), harness.pcpUser(),
                harness::pcpPassword, Duration.ofSeconds(5)).open()) {
            return session.children().stream().filter(c -> c.pid() == pid).findFirst()
                    .orElseThrow(() -> new AssertionError("no child " + pid));
        }
    }

    /**
     * The child serving the stalled client, from its process title (pgpool sets "accept connection" after
     * accept() and the user's "idle" once authenticated): the test can look, the sync over PCP cannot.
     */
    static int authenticatingChild() throws Exception {
        List<Integer> pids;
        try (PcpSession session = new PcpClient("127.0.0.1", harness.pcpPort(), harness.pcpUser(),
                harness::pcpPassword, Duration.ofSeconds(5)).open()) {
            pids = session.children().stream().map(PgpoolChild::pid).toList();
        }
        List<Integer> accepting = pids.stream().filter(p -> title(p).contains("accept connection")).toList();
        assertEquals(1, accepting.size(), "one child mid-authentication among " + pids);
        return accepting.get(0);
    }

    static String title(int pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Integer.toString(pid), "cmdline")), UTF_8);
        } catch (Exception e) {
            return "";
        }
    }

    static Login login(int port, String user, String password) {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        String url = "jdbc:postgresql://127.0.0.1:" + port
                + "/postgres?sslmode=disable&gssEncMode=disable&connectTimeout=5&loginTimeout=60&socketTimeout=60";
        try {
            return Login.attempt(() -> {
                Connection c = DriverManager.getConnection(url, props);
                try (Statement st = c.createStatement()) {
                    st.execute("SELECT 1");
                }
                return c;
            });
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
