package io.pgpoolusersync.store;

import static io.pgpoolusersync.secrets.SecretsFixture.user;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgpoolusersync.passwd.EntryFormat;
import io.pgpoolusersync.passwd.KeyFile;
import io.pgpoolusersync.secrets.DeclaredUsers;
import io.pgpoolusersync.secrets.UserSecrets;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One writer at a time, across processes and across stores of one JVM; never left held. */
class WriteLockTest {

    private static final String ADMIN = "postgres:AES3Bis9TLTuWm1o0k6K3mZ28MldZHTARDZnbg5n0uwF8M=\n";

    @TempDir
    Path dir;
    Path poolPasswd;
    Path key;

    @BeforeEach
    void files() throws IOException {
        poolPasswd = dir.resolve("pool_passwd");
        key = Files.writeString(dir.resolve("pgpoolkey"), "pgpool secret key\n");
        Files.writeString(poolPasswd, ADMIN);
    }

    private PoolPasswdStore store(Duration timeout) {
        return new PoolPasswdStore(poolPasswd, () -> KeyFile.read(key), EntryFormat.AES, timeout);
    }

    private static DeclaredUsers declare(String user, String password) {
        return new UserSecrets(EntryFormat.AES).review(List.of(user("s-" + user, user, password)));
    }

    @Test
    void aRunInAnotherProcessHoldingTheLockMakesUsWaitThenFailClearly() throws Exception {
        Path lockFile = dir.resolve("pool_passwd.lock");
        String classes = Path.of(LockHolder.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        Process other = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classes, LockHolder.class.getName(), lockFile.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(other.getInputStream(), UTF_8));
            assertEquals("locked", out.readLine());

            IOException e = assertThrows(IOException.class, () -> store(Duration.ofMillis(300)).plan(declare("john", "12345")));
            assertTrue(e.getMessage().contains(lockFile.toString()) && e.getMessage().contains("another pgpool-user-sync run"),
                    e.getMessage());
            assertEquals(ADMIN, Files.readString(poolPasswd), "nothing written");
        } finally {
            other.getOutputStream().close();
            assertTrue(other.waitFor(30, TimeUnit.SECONDS));
        }
        PoolPasswdStore store = store(Duration.ofSeconds(10));
        store.write(store.plan(declare("john", "12345")));
        assertTrue(Files.readString(poolPasswd).contains("john:"), "the lock is free once the other run ends");
    }

    @Test
    void heldFromPlanToWriteAndReleasedAfterwards() throws IOException {
        PoolPasswdStore daemon = store(Duration.ofSeconds(10));
        PoolPasswdStore once = store(Duration.ofMillis(200));

        PoolPasswdChange change = daemon.plan(declare("john", "12345"));
        assertTrue(daemon.locked(), "a change to write keeps the lock until the write");
        assertThrows(IOException.class, () -> once.plan(declare("kim", "k")));
        daemon.write(change);
        assertFalse(daemon.locked());

        once.write(once.plan(declare("kim", "k"))); // plans on what the daemon wrote
        assertFalse(ManagedUsers.read(daemon.record()).manages("john"), "kim's run removed john: it saw his entry");
        assertTrue(Files.readString(poolPasswd).contains("kim:"));

        assertFalse(daemon.plan(declare("kim", "k")).changed());
        assertFalse(daemon.locked(), "nothing to write: released at once");
    }

    @Test
    void anErrorNeverLeavesItHeld() throws IOException {
        PoolPasswdStore store = store(Duration.ofSeconds(10));
        Files.delete(key);
        assertThrows(IOException.class, () -> store.plan(declare("john", "12345")));
        assertFalse(store.locked());

        Files.writeString(key, "pgpool secret key\n");
        store.plan(declare("john", "12345"));
        store.unlock(); // the tick's doFinally, when something failed between plan and write
        assertFalse(store.locked());
        store(Duration.ofMillis(200)).plan(declare("john", "12345"));
    }
}
