package io.pgpoolusersync.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgpoolusersync.pcp.PgpoolChild;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Starts a real PostgreSQL 15 and a real Pgpool-II (Debian packages) in a temporary folder, on free
 * loopback ports, for end-to-end tests. Use with try-with-resources or @BeforeAll/@AfterAll.
 */
public final class PgpoolHarness implements AutoCloseable {

    private static final Path PG_BIN = Path.of("/usr/lib/postgresql/15/bin");
    private static final Path PGPOOL = Path.of("/usr/sbin/pgpool");
    private static final Path PG_ENC = Path.of("/usr/sbin/pg_enc");
    private static final Path PCP_RELOAD = Path.of("/usr/sbin/pcp_reload_config");
    private static final Path RUNUSER = Path.of("/usr/sbin/runuser");
    private static final Path SETSID = Path.of("/usr/bin/setsid");
    private static final Path KILL = Path.of("/usr/bin/kill");
    private static final String INSTALL_HINT = "apt-get install -y postgresql-15 pgpool2";
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** pgpool's num_init_children: how many client sessions it serves at once, one per child process. */
    private static final int CHILDREN = 4;

    private final Path dir;
    private final Path pgDir;      // owned by the postgres OS user: data dir, unix socket, log
    private final Path poolDir;    // pgpool's sockets, pid file and status file
    private final int postgresPort;
    private final int pgpoolPort;
    private final int pcpPort;
    private final String adminPassword = randomSecret();
    private final String pcpPassword = randomSecret();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread shutdownHook = new Thread(this::close, "pgpool-harness-cleanup");
    private Process pgpool;

    private PgpoolHarness(Path dir, int[] ports) {
        this.dir = dir;
        this.postgresPort = ports[0];
        this.pgpoolPort = ports[1];
        this.pcpPort = ports[2];
        this.pgDir = dir.resolve("pg");
        this.poolDir = dir.resolve("pgpool");
    }

    /** Creates the folder, starts PostgreSQL, then pgpool; returns once a login through pgpool works. */
    public static PgpoolHarness start() {
        requireBinaries();
        PgpoolHarness h;
        try {
            h = new PgpoolHarness(Files.createTempDirectory("pgpool-it-"), freePorts(3));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Runtime.getRuntime().addShutdownHook(h.shutdownHook);
        try {
            h.startPostgres();
            h.writePgpoolConfig();
            h.startPgpool();
            return h;
        } catch (RuntimeException | Error e) {
            h.close();
            throw e;
        } catch (Exception e) {
            h.close();
            throw new IllegalStateException("could not start PostgreSQL + pgpool in " + h.dir, e);
        }
    }

    // ---- accessors -------------------------------------------------------------------------------

    public Path dir() { return dir; }
    public Path poolPasswd() { return dir.resolve("pool_passwd"); }
    public Path keyFile() { return dir.resolve("pgpool_key"); }
    public int pgpoolPort() { return pgpoolPort; }
    public int postgresPort() { return postgresPort; }
    public int pcpPort() { return pcpPort; }
    public String pcpUser() { return "pcpadmin"; }
    public String pcpPassword() { return pcpPassword; }
    /** 0600 file holding the plain PCP password on its first line. */
    public Path pcpPasswordFile() { return dir.resolve("pcp_password"); }
    public String adminUser() { return "postgres"; }
    /** The number of pgpool child processes; each serves one client session at a time. */
    public int children() { return CHILDREN; }
    public String adminPassword() { return adminPassword; }
    public Path pgpoolLog() { return dir.resolve("pgpool.log"); }
    public Path pgpoolConf() { return dir.resolve("pgpool.conf"); }
    public Path hbaConf() { return dir.resolve("pool_hba.conf"); }
    public Path pcpConf() { return dir.resolve("pcp.conf"); }
    /** pgpool.conf's pid_file_name. */
    public Path pgpoolPidFile() { return poolDir.resolve("pgpool.pid"); }

    public String pgpoolLogText() {
        try {
            return Files.readString(pgpoolLog(), UTF_8);
        } catch (IOException e) {
            return "(no pgpool log: " + e + ")";
        }
    }

    public String jdbcUrlThroughPgpool(String database) { return jdbcUrl(pgpoolPort, database); }
    public String jdbcUrlDirect(String database) { return jdbcUrl(postgresPort, database); }

    public Connection connectThroughPgpool(String user, String password) throws SQLException {
        return connect(jdbcUrlThroughPgpool("postgres"), user, password);
    }

    public Connection connectDirect(String user, String password) throws SQLException {
        return connect(jdbcUrlDirect("postgres"), user, password);
    }

    /** Runs one statement as the PostgreSQL superuser, through pgpool. */
    public void sqlAsAdmin(String sql) throws SQLException {
        try (Connection c = connectThroughPgpool(adminUser(), adminPassword); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** True when the login through pgpool succeeds, false when it is refused for bad credentials (see Login). */
    public boolean canLogin(String user, String password) throws SQLException {
        return Login.attempt(() -> connectThroughPgpool(user, password)) == Login.OK;
    }

    /**
     * Tries the login once on each pgpool child, in turn. pgpool hands a connection to an idle child and a
     * child serves one session at a time: with admin sessions holding every other child, the attempt can
     * only land on the one child left idle. A child whose login was refused may exit; pgpool forks a fresh
     * one, which the next admin session then holds. Returns one result per child.
     */
    public List<Boolean> loginOnEveryChild(String user, String password) throws SQLException {
        List<Connection> held = new ArrayList<>();
        List<Boolean> results = new ArrayList<>();
        try {
            for (int i = 0; i < CHILDREN; i++) {
                held.add(connectThroughPgpool(adminUser(), adminPassword));
            }
            for (int i = 0; i < CHILDREN; i++) {
                held.get(i).close(); // child i is now the only idle one
                results.add(canLogin(user, password));
                held.set(i, connectThroughPgpool(adminUser(), adminPassword));
            }
            return results;
        } finally {
            for (Connection c : held) {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // closing is best effort
                }
            }
        }
    }

    /** The pool_passwd password field for this key, as printed by the real pg_enc: {@code AES<base64>}. */
    public String pgEnc(String password) {
        return pgEnc(password, keyFile());
    }

    /** The same, with another key file. */
    public String pgEnc(String password, Path key) {
        // pg_enc prints chatter, the bare base64, then "pool_passwd string: AES..." (all on stdout).
        String out = run(List.of(PG_ENC.toString(), "-k", key.toString(), "--", password));
        return out.lines()
                .filter(l -> l.startsWith("pool_passwd string: "))
                .map(l -> l.substring("pool_passwd string: ".length()).strip())
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("unexpected pg_enc output:\n" + out));
    }

    /** Makes pgpool re-read its config and pool_passwd (pcp_reload_config, authenticated via PCPPASSFILE). */
    public void reloadPgpool() {
        run(List.of(PCP_RELOAD.toString(), "-h", "127.0.0.1", "-p", Integer.toString(pcpPort),
                "-U", pcpUser(), "-w"));
    }

    /** Runs one of pgpool's pcp_* tools against this pgpool (-h, -p, -U, -w added); returns its output. */
    public String pcpTool(String tool, String... args) {
        List<String> cmd = new ArrayList<>(List.of("/usr/sbin/" + tool, "-h", "127.0.0.1", "-p", Integer.toString(pcpPort),
                "-U", pcpUser(), "-w"));
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    /**
     * Waits until {@code count} children wait for a client, as pcp_proc_info prints them. A child tears a
     * closed session down (reset queries) before it waits again, and a SIGHUP in that time does not make
     * it reopen pool_passwd: a test that needs idle children for a reload waits here first.
     */
    public void awaitChildrenWaiting(int count) {
        Awaitility.await(count + " pgpool children wait for a client").atMost(TIMEOUT).pollInterval(Duration.ofMillis(20))
                .untilAsserted(() -> {
                    String rows = pcpTool("pcp_proc_info", "-a");
                    // One row per pool slot; the PID is the fifth field from the end of a waiting row.
                    long waiting = rows.lines().filter(l -> l.strip().endsWith(PgpoolChild.WAITING))
                            .map(l -> l.strip().split("\\s+")).map(f -> f[f.length - 5]).distinct().count();
                    assertEquals(count, waiting, rows);
                });
    }

    /** How many reloads pgpool's main process has started, over every start of this harness. */
    public long reloadsStarted() {
        return pgpoolLogText().lines().filter(l -> l.contains("reload config files.")).count();
    }

    /**
     * Waits until pgpool's main process has handled {@code count} reloads in all and has gone back to
     * sleep, which it does only after signalling every child. A PCP reload is answered before that:
     * a client connecting in between is served by a child that has not been signalled yet, and
     * pgpool 4.3.5 never makes such a child reopen pool_passwd (see PcpClientIT).
     */
    public void awaitReloadsHandled(long count) {
        try {
            Awaitility.await("pgpool's main process handled " + count + " reloads")
                    .atMost(TIMEOUT)
                    .pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(10))
                    .until(() -> reloadsStarted() >= count && mainProcessAsleep());
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException("pgpool handled " + reloadsStarted() + " reloads, expected " + count
                    + "; log:\n" + pgpoolLogText(), e);
        }
    }

    /** State S (sleeping) in /proc: pgpool's main loop waits there between requests. */
    private synchronized boolean mainProcessAsleep() {
        Process p = pgpool;
        if (p == null) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("S");
        } catch (IOException e) {
            return false;
        }
    }

    // ---- pgpool lifecycle ------------------------------------------------------------------------

    /** Starts pgpool (same config and ports) and waits until the admin can log in through it. */
    public synchronized void startPgpool() {
        if (pgpool != null && pgpool.isAlive()) {
            throw new IllegalStateException("pgpool already running");
        }
        try {
            Files.writeString(pgpoolLog(), "---- harness: starting pgpool ----\n", UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            // setsid: own process group, so close() can find and kill every child pgpool forked.
            pgpool = new ProcessBuilder(SETSID.toString(), PGPOOL.toString(), "-n", "-D",
                    "-f", pgpoolConf().toString(), "-F", dir.resolve("pcp.conf").toString(),
                    "-a", dir.resolve("pool_hba.conf").toString(), "-k", keyFile().toString())
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(pgpoolLog().toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Process p = pgpool;
        try {
            Awaitility.await("pgpool accepting logins on 127.0.0.1:" + pgpoolPort)
                    .atMost(TIMEOUT)
                    .pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(50))
                    .ignoreExceptionsInstanceOf(SQLException.class)
                    .until(() -> {
                        if (!p.isAlive()) {
                            throw new IllegalStateException("pgpool exited with code " + p.exitValue()
                                    + "; log:\n" + pgpoolLogText());
                        }
                        // A wrong password here is a harness bug: fail at once rather than time out.
                        if (!canLogin(adminUser(), adminPassword)) {
                            throw new IllegalStateException("admin login refused by pgpool; log:\n" + pgpoolLogText());
                        }
                        return true;
                    });
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException("pgpool not ready after " + TIMEOUT + "; log:\n" + pgpoolLogText(), e);
        }
    }

    /**
     * Starts pgpool the way the pgpool images' start-up scripts do: first {@code pg_enc -m} writes the
     * admin entry with the current key file into the pool_passwd beside pgpool.conf (read, then rewritten
     * in place), then pgpool starts and reads the key file.
     */
    public synchronized void startPgpoolAsImagesDo() {
        runStartupScript(new LinkedHashMap<>(), false);
        startPgpool();
    }

    /**
     * What the pgpool images' start-up scripts do before pgpool starts (Bitnami's libpgpool.sh,
     * pgpool2_on_k8s's entrypoint.sh), as one shell script: the key file written (the same key again, as
     * Bitnami's from PGPOOL_AES_KEY; or a new random one, as pgpool2_on_k8s at every start), then
     * {@code pg_enc -m} for the admin and each other user: each run opens pool_passwd, reads it, then
     * reopens it with O_TRUNC and writes it back, in place (strace of 4.3.5's pg_enc).
     */
    public synchronized void runStartupScript(Map<String, String> users, boolean newKey) {
        Map<String, String> all = new LinkedHashMap<>();
        all.put(adminUser(), adminPassword);
        all.putAll(users);
        StringBuilder script = new StringBuilder("set -e\n");
        script.append(newKey
                ? "key=$(head -c 20 /dev/urandom | base64)\n"
                : "key=$(head -n 1 \"$KEY_FILE\")\n");
        script.append("echo \"$key\" > \"$KEY_FILE\"\nchmod 0600 \"$KEY_FILE\"\n");
        script.append("while read -r user password; do\n")
                .append("  ").append(PG_ENC).append(" -m -k \"$KEY_FILE\" -f \"$PGPOOL_CONF\" -u \"$user\" -- \"$password\" > /dev/null\n")
                .append("done < \"$USERS\"\n");
        try {
            Path scriptFile = dir.resolve("startup.sh");
            Path usersFile = dir.resolve("startup-users");
            Files.writeString(scriptFile, script.toString(), UTF_8);
            StringBuilder lines = new StringBuilder();
            all.forEach((user, password) -> lines.append(user).append(' ').append(password).append('\n'));
            writeSecret(usersFile, lines.toString());
            run(List.of("/usr/bin/env", "KEY_FILE=" + keyFile(), "PGPOOL_CONF=" + pgpoolConf(), "USERS=" + usersFile,
                    "/bin/sh", scriptFile.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Fast shutdown of pgpool; returns once pgpool and all its children have exited. */
    public synchronized void stopPgpool() {
        Process p = pgpool;
        if (p == null) {
            return;
        }
        if (p.isAlive()) {
            // SIGINT = fast shutdown (SIGTERM would wait for clients). `pgpool -m fast stop` does the
            // same but then polls the pid file once a second, which costs a full second.
            try {
                run(List.of(KILL.toString(), "-s", "INT", Long.toString(p.pid())));
            } catch (RuntimeException e) {
                if (p.isAlive()) {
                    throw e;
                } // else it exited on its own meanwhile
            }
        }
        try {
            if (!p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // pgpool's main pid leads its process group (setsid); children that outlived it get killed.
        killAndWait(processes(h -> processGroup(h.pid()) == p.pid()));
        pgpool = null;
    }

    // ---- close ---------------------------------------------------------------------------------

    /** Stops pgpool and PostgreSQL, kills leftovers, deletes the folder. Safe to call twice. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // already shutting down: we are the hook
        }
        List<Exception> errors = new ArrayList<>();
        try {
            stopPgpool();
        } catch (RuntimeException e) {
            errors.add(e);
        }
        if (Files.exists(pgDir.resolve("data/postmaster.pid"))) {
            try {
                run(asPostgres(PG_BIN.resolve("pg_ctl").toString(), "-D", pgDir.resolve("data").toString(),
                        "-m", "fast", "-w", "-t", "30", "stop"));
            } catch (RuntimeException e) {
                errors.add(e);
            }
        }
        // Anything still running from our folder (cwd or argv), e.g. after a failed stop.
        String d = dir.toString();
        killAndWait(processes(h -> cmdline(h.pid()).contains(d) || cwd(h.pid()).startsWith(d)));
        try {
            deleteTree(dir);
        } catch (IOException e) {
            errors.add(e);
        }
        if (!errors.isEmpty()) {
            IllegalStateException e = new IllegalStateException("errors while closing harness in " + dir);
            errors.forEach(e::addSuppressed);
            throw e;
        }
    }

    // ---- setup ---------------------------------------------------------------------------------

    private static void requireBinaries() {
        List<Path> needed = new ArrayList<>(List.of(PG_BIN.resolve("initdb"), PG_BIN.resolve("pg_ctl"),
                PGPOOL, PG_ENC, PCP_RELOAD, SETSID, KILL));
        if (isRoot()) {
            needed.add(RUNUSER);
        }
        List<Path> missing = needed.stream().filter(p -> !Files.isExecutable(p)).toList();
        if (!missing.isEmpty()) {
            throw new IllegalStateException("missing " + missing + ": install PostgreSQL 15 and Pgpool-II with `"
                    + INSTALL_HINT + "`");
        }
    }

    private void startPostgres() throws IOException {
        // The temp dir is 0700 by default; the postgres OS user must traverse it.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectory(pgDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path pwFile = pgDir.resolve("pwfile");
        writeSecret(pwFile, adminPassword + "\n");
        if (isRoot()) {
            UserPrincipal postgres = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
            Files.setOwner(pgDir, postgres);
            Files.setOwner(pwFile, postgres);
        }
        Path data = pgDir.resolve("data");
        run(asPostgres(PG_BIN.resolve("initdb").toString(), "-D", data.toString(), "-U", adminUser(),
                "--auth-host=scram-sha-256", "--auth-local=trust", "--pwfile=" + pwFile,
                "--no-locale", "-E", "UTF8", "--no-sync", "--no-instructions"));
        Files.delete(pwFile);
        // Appending keeps the file's owner (postgres); later settings win over initdb's defaults.
        Files.writeString(data.resolve("postgresql.conf"), String.join("\n",
                "",
                "listen_addresses = '127.0.0.1'",
                "port = " + postgresPort,
                "unix_socket_directories = '" + pgDir + "'",
                "password_encryption = 'scram-sha-256'",
                "max_connections = 50",
                "fsync = off                  # throwaway cluster: speed over durability",
                "synchronous_commit = off",
                "full_page_writes = off",
                ""), UTF_8, StandardOpenOption.APPEND);
        run(asPostgres(PG_BIN.resolve("pg_ctl").toString(), "-D", data.toString(),
                "-l", pgDir.resolve("postgres.log").toString(), "-w", "-t", "30", "start"));
    }

    private void writePgpoolConfig() throws IOException {
        Files.createDirectory(poolDir);
        writeSecret(keyFile(), randomSecret()); // pgpool uses the first line; no newline needed
        writeSecret(dir.resolve("pcp.conf"), pcpUser() + ":" + md5Hex(pcpPassword) + "\n");
        writeSecret(pcpPasswordFile(), pcpPassword + "\n");
        // .pcppass format (host:port:user:password) for the pcp_* tools' -w flag.
        writeSecret(dir.resolve("pcppass"), "*:*:" + pcpUser() + ":" + pcpPassword + "\n");
        writeSecret(poolPasswd(), adminUser() + ":" + pgEnc(adminPassword) + "\n");
        Files.writeString(dir.resolve("pool_hba.conf"), String.join("\n",
                "local all all trust",
                "host all all 127.0.0.1/32 scram-sha-256",
                ""), UTF_8);
        Files.writeString(pgpoolConf(), String.join("\n",
                "backend_clustering_mode = 'raw'",
                "listen_addresses = '127.0.0.1'",
                "port = " + pgpoolPort,
                "socket_dir = '" + poolDir + "'",
                "pcp_listen_addresses = '127.0.0.1'",
                "pcp_port = " + pcpPort,
                "pcp_socket_dir = '" + poolDir + "'",
                "backend_hostname0 = '127.0.0.1'",
                "backend_port0 = " + postgresPort,
                "backend_weight0 = 1",
                "backend_flag0 = 'DISALLOW_TO_FAILOVER'",
                "enable_pool_hba = on",
                "pool_passwd = '" + poolPasswd() + "'",
                "num_init_children = " + CHILDREN,
                "max_pool = 2",
                "health_check_period = 0",
                "sr_check_period = 0",
                "use_watchdog = off",
                "failover_on_backend_error = off",
                "pid_file_name = '" + poolDir.resolve("pgpool.pid") + "'",
                "logdir = '" + poolDir + "'",
                "wd_ipc_socket_dir = '" + poolDir + "'",
                "log_destination = 'stderr'",
                // LOG: pgpool's main process then writes "reload config files." for each reload it handles.
                "log_min_messages = log",
                ""), UTF_8);
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static String jdbcUrl(int port, String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database
                + "?sslmode=disable&gssEncMode=disable&connectTimeout=5&loginTimeout=10&socketTimeout=60";
    }

    private static Connection connect(String url, String user, String password) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        return DriverManager.getConnection(url, props);
    }

    private static boolean isRoot() {
        return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
    }

    private static List<String> asPostgres(String... cmd) {
        List<String> full = new ArrayList<>();
        if (isRoot()) {
            full.addAll(List.of(RUNUSER.toString(), "-u", "postgres", "--"));
        }
        full.addAll(List.of(cmd));
        return full;
    }

    /** Runs a command to completion with the folder as cwd; returns its output, throws on failure. */
    private String run(List<String> cmd) {
        try {
            // Output goes to a file, not a pipe: pg_ctl's daemon must not keep our read end open.
            Path out = Files.createTempFile(dir, "cmd-", ".out");
            try {
                ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                        .redirectOutput(out.toFile());
                pb.environment().put("PCPPASSFILE", dir.resolve("pcppass").toString());
                Process p = pb.start();
                p.getOutputStream().close();
                if (!p.waitFor(TIMEOUT.toSeconds() + 10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IllegalStateException("timed out: " + cmd + "\n" + Files.readString(out));
                }
                String text = Files.readString(out);
                if (p.exitValue() != 0) {
                    throw new IllegalStateException("exit code " + p.exitValue() + ": " + cmd + "\n" + text);
                }
                return text;
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + cmd, e);
        }
    }

    private static void writeSecret(Path file, String text) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, text, UTF_8);
    }

    private static String randomSecret() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static String md5Hex(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Distinct free loopback ports: all sockets stay bound until every port is picked. */
    private static int[] freePorts(int n) {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                sockets.add(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
            }
            return sockets.stream().mapToInt(ServerSocket::getLocalPort).toArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            for (ServerSocket s : sockets) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // nothing to do
                }
            }
        }
    }

    private static List<ProcessHandle> processes(Predicate<ProcessHandle> filter) {
        long self = ProcessHandle.current().pid();
        return ProcessHandle.allProcesses().filter(h -> h.pid() != self).filter(filter).toList();
    }

    private static void killAndWait(List<ProcessHandle> handles) {
        handles.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle h : handles) {
            try {
                h.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // best effort: reported by the caller's own checks
            }
        }
    }

    private static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), UTF_8).replace('\0', ' ');
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static String cwd(long pid) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "cwd")).toString();
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** Field 5 of /proc/PID/stat, read after the ")" that closes the command name. */
    private static long processGroup(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[2]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
