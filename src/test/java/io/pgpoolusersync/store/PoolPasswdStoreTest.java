package io.pgpoolusersync.store;

import static io.pgpoolusersync.secrets.SecretsFixture.user;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgpoolusersync.passwd.EntryFormat;
import io.pgpoolusersync.passwd.KeyFile;
import io.pgpoolusersync.secrets.DeclaredUsers;
import io.pgpoolusersync.secrets.UserSecrets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PoolPasswdStoreTest {

    private static final String ADMIN = "postgres:AES3Bis9TLTuWm1o0k6K3mZ28MldZHTARDZnbg5n0uwF8M=\n";

    @TempDir
    Path dir;
    Path poolPasswd;
    Path key;
    PoolPasswdStore store;

    @BeforeEach
    void files() throws IOException {
        poolPasswd = dir.resolve("pool_passwd");
        key = dir.resolve("pgpoolkey");
        Files.writeString(poolPasswd, ADMIN);
        Files.writeString(key, "pgpool secret key\n");
        store = new PoolPasswdStore(poolPasswd, () -> KeyFile.read(key), EntryFormat.AES);
    }

    private static DeclaredUsers john() {
        return new UserSecrets(EntryFormat.AES).review(List.of(user("sync-secret", "john", "12345")));
    }

    @Test
    void writesAesEntryKeepingTheFileModeAndANew0600OwnershipRecord() throws IOException {
        Files.setPosixFilePermissions(poolPasswd, PosixFilePermissions.fromString("rw-r-----"));
        store.write(store.plan(john()));
        assertEquals(ADMIN + "john:AES106tf0TquKDOqUM/KA+DFQ==\n", Files.readString(poolPasswd));
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(poolPasswd)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(store.record())));
        assertTrue(ManagedUsers.read(store.record()).manages("john"));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(), files.filter(f -> f.toString().endsWith(".tmp")).toList(), "no temp file left behind");
        }
    }

    @Test
    void unchangedInputWritesNothing() throws IOException {
        store.write(store.plan(john()));
        Object inode = Files.readAttributes(poolPasswd, BasicFileAttributes.class).fileKey();
        byte[] before = Files.readAllBytes(poolPasswd);
        PoolPasswdChange again = store.plan(john());
        assertFalse(again.changed());
        assertEquals(inode, Files.readAttributes(poolPasswd, BasicFileAttributes.class).fileKey());
        assertArrayEquals(before, Files.readAllBytes(poolPasswd));
    }

    @Test
    void writeReplacesTheFileWithANewInode() throws IOException {
        Object inode = Files.readAttributes(poolPasswd, BasicFileAttributes.class).fileKey();
        store.write(store.plan(john()));
        assertFalse(inode.equals(Files.readAttributes(poolPasswd, BasicFileAttributes.class).fileKey()),
                "pgpool must see a new file, not bytes changed in place");
    }

    @Test
    void missingKeyFileIsAnErrorAndNothingIsWritten() throws IOException {
        Files.delete(key);
        IOException e = assertThrows(IOException.class, () -> store.plan(john()));
        assertTrue(e.getMessage().contains("key file"), e.getMessage());
        assertEquals(ADMIN, Files.readString(poolPasswd));
        assertFalse(Files.exists(store.record()));
    }

    @Test
    void missingPoolPasswdIsCreated() throws IOException {
        Files.delete(poolPasswd);
        store.write(store.plan(john()));
        assertEquals("john:AES106tf0TquKDOqUM/KA+DFQ==\n", Files.readString(poolPasswd));
    }

    @Test
    void tempFilesOfAKilledWriterAreRemovedOthersKept() throws IOException {
        Path leftover = Files.writeString(dir.resolve(".pool_passwd.123.tmp"), "john:AESpartial");
        Path recordLeftover = Files.writeString(dir.resolve(".pool_passwd.managed.456.tmp"), "john");
        Path unrelated = Files.writeString(dir.resolve(".other.789.tmp"), "x");
        store.plan(john());
        assertFalse(Files.exists(leftover));
        assertFalse(Files.exists(recordLeftover));
        assertTrue(Files.exists(unrelated));
    }

    @Test
    void aPlanOnlyStoreCreatesChangesAndRemovesNoFile() throws IOException {
        Path leftover = Files.writeString(dir.resolve(".pool_passwd.123.tmp"), "john:AESpartial");
        Files.setLastModifiedTime(poolPasswd, java.nio.file.attribute.FileTime.fromMillis(1_000_000));
        Map<Path, String> before = listing();
        PoolPasswdStore dry = PoolPasswdStore.planOnly(poolPasswd, () -> KeyFile.read(key), EntryFormat.AES);
        PoolPasswdChange change = dry.plan(john());
        assertTrue(change.changed());
        dry.write(change);
        dry.unlock();
        assertEquals(before, listing());
        assertTrue(Files.exists(leftover), "a dry run leaves a running writer's temp file alone");
    }

    @Test
    void aPoolPasswdThatIsAFolderIsNamedInTheError() throws IOException {
        Files.delete(poolPasswd);
        Files.createDirectory(poolPasswd);
        for (PoolPasswdStore s : List.of(store, PoolPasswdStore.planOnly(poolPasswd, () -> KeyFile.read(key), EntryFormat.AES))) {
            IOException e = assertThrows(IOException.class, () -> s.plan(john()));
            assertTrue(e.getMessage().contains(poolPasswd.toString()), e.getMessage());
        }
    }

    /** Every file of the folder with its size and modification time. */
    private Map<Path, String> listing() throws IOException {
        Map<Path, String> out = new java.util.TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                out.put(f.getFileName(), Files.size(f) + "@" + Files.getLastModifiedTime(f, java.nio.file.LinkOption.NOFOLLOW_LINKS));
            }
        }
        return out;
    }
}
