package io.pgpoolusersync.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Smoke test of the harness itself: real PostgreSQL 15 behind a real Pgpool-II. */
class PgpoolHarnessIT {

    private static PgpoolHarness harness;

    @BeforeAll
    static void startHarness() {
        long t0 = System.nanoTime();
        harness = PgpoolHarness.start();
        System.out.printf("PgpoolHarness.start() took %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    }

    @AfterAll
    static void closeHarness() {
        if (harness != null) {
            Path dir = harness.dir();
            harness.close();
            assertClosed(dir);
        }
    }

    @Test
    void adminLogsInThroughPgpoolAndDirectly() throws SQLException {
        assertTrue(harness.canLogin(harness.adminUser(), harness.adminPassword()));
        try (Connection c = harness.connectThroughPgpool(harness.adminUser(), harness.adminPassword());
             ResultSet rs = c.createStatement().executeQuery("select current_user, inet_server_port()")) {
            rs.next();
            assertEquals("postgres", rs.getString(1));
            assertEquals(harness.postgresPort(), rs.getInt(2)); // pgpool relayed to our backend
        }
        try (Connection c = harness.connectDirect(harness.adminUser(), harness.adminPassword())) {
            assertTrue(c.isValid(5));
        }
    }

    @Test
    void wrongAdminPasswordIsRefused() throws SQLException {
        assertFalse(harness.canLogin(harness.adminUser(), "wrong-" + harness.adminPassword()));
    }

    @Test
    void secretFilesAreOwnerOnly() throws IOException {
        for (Path p : List.of(harness.poolPasswd(), harness.keyFile(), harness.pcpPasswordFile())) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)), p.toString());
        }
        assertEquals(harness.pcpPassword(), Files.readAllLines(harness.pcpPasswordFile()).get(0));
        assertTrue(Files.readString(harness.poolPasswd()).startsWith("postgres:AES"));
    }

    @Test
    void newRoleLogsInOnlyOncePoolPasswdHasItsEntry() throws Exception {
        harness.sqlAsAdmin("CREATE USER alice WITH PASSWORD 'x'");
        try (Connection c = harness.connectDirect("alice", "x")) {
            assertTrue(c.isValid(5)); // PostgreSQL knows alice ...
        }
        assertFalse(harness.canLogin("alice", "x")); // ... pgpool does not yet

        Files.writeString(harness.poolPasswd(), "alice:" + harness.pgEnc("x") + "\n", UTF_8, StandardOpenOption.APPEND);
        harness.reloadPgpool();

        await().atMost(Duration.ofSeconds(10)).until(() -> harness.canLogin("alice", "x"));
        assertFalse(harness.canLogin("alice", "y"));
    }

    @Test
    void pgpoolCanBeStoppedAndStartedAgain() throws SQLException {
        harness.stopPgpool();
        // pgpool runs with the folder as cwd (PostgreSQL in pg/data): none of its processes may survive.
        assertEquals(List.of(), processesUnder(harness.dir()).stream()
                .filter(p -> p.endsWith("(cwd " + harness.dir() + ")")).toList());
        // Not an auth failure: nothing listens, so the connection itself fails.
        assertThrows(SQLException.class,
                () -> harness.connectThroughPgpool(harness.adminUser(), harness.adminPassword()).close());
        harness.startPgpool();
        assertTrue(harness.canLogin(harness.adminUser(), harness.adminPassword()));
    }

    @Test
    void closeRemovesFolderAndProcesses() throws SQLException {
        Path dir;
        try (PgpoolHarness other = PgpoolHarness.start()) {
            dir = other.dir();
            assertFalse(processesUnder(dir).isEmpty(), "expected running processes under " + dir);
            // Keep a session open through pgpool while closing: close() must not wait on clients.
            Connection open = other.connectThroughPgpool(other.adminUser(), other.adminPassword());
            assertTrue(open.isValid(5));
        }
        assertClosed(dir);
    }

    private static void assertClosed(Path dir) {
        assertFalse(Files.exists(dir), dir + " still exists");
        assertEquals(List.of(), processesUnder(dir), "processes left behind");
    }

    /** Processes whose command line or working directory names the folder (PostgreSQL and pgpool children chdir/argv). */
    private static List<String> processesUnder(Path dir) {
        String d = dir.toString();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().matches("\\d+"))
                    .filter(p -> !p.getFileName().toString().equals(Long.toString(ProcessHandle.current().pid())))
                    .map(p -> {
                        String cmd = read(p.resolve("cmdline")).replace('\0', ' ');
                        String cwd;
                        try {
                            cwd = Files.readSymbolicLink(p.resolve("cwd")).toString();
                        } catch (IOException e) {
                            cwd = "";
                        }
                        return cmd.contains(d) || cwd.startsWith(d) ? p.getFileName() + " " + cmd + " (cwd " + cwd + ")" : null;
                    })
                    .filter(s -> s != null)
                    .toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String read(Path p) {
        try {
            return new String(Files.readAllBytes(p), UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
