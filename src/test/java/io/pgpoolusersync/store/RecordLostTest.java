package io.pgpoolusersync.store;

import static io.pgpoolusersync.secrets.SecretsFixture.user;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Secret;
import io.pgpoolusersync.passwd.EntryFormat;
import io.pgpoolusersync.passwd.KeyFile;
import io.pgpoolusersync.secrets.RejectReason;
import io.pgpoolusersync.secrets.Rejection;
import io.pgpoolusersync.secrets.UserSecrets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ownership record deleted: what is byte for byte ours is adopted again, nothing else. */
class RecordLostTest {

    private static final String ADMIN = "postgres:AES3Bis9TLTuWm1o0k6K3mZ28MldZHTARDZnbg5n0uwF8M=\n";
    private static final String JOHN = "john:AES106tf0TquKDOqUM/KA+DFQ==\n"; // 12345 under "pgpool secret key"

    @TempDir
    Path dir;
    Path poolPasswd;
    PoolPasswdStore store;

    @BeforeEach
    void files() throws IOException {
        poolPasswd = dir.resolve("pool_passwd");
        Path key = Files.writeString(dir.resolve("pgpoolkey"), "pgpool secret key\n");
        Files.writeString(poolPasswd, ADMIN);
        store = new PoolPasswdStore(poolPasswd, () -> KeyFile.read(key), EntryFormat.AES);
    }

    private PoolPasswdChange tick(Secret... secrets) throws IOException {
        PoolPasswdChange change = store.plan(new UserSecrets(EntryFormat.AES).review(List.of(secrets)));
        if (change.changed()) {
            store.write(change);
        }
        return change;
    }

    @Test
    void identicalEntriesAreAdoptedAgainOthersStayUnmanagedWithTheReason() throws IOException {
        tick(user("j", "john", "12345"), user("k", "kim", "kim-pass"));
        Files.delete(store.record());
        // kim's entry edited by hand meanwhile: not what her Secret would write.
        String kimByHand = "kim:AESKsqn5O2Gdpf0PkbBChVMVw==\n";
        Files.writeString(poolPasswd, ADMIN + JOHN + kimByHand);

        PoolPasswdChange change = tick(user("j", "john", "12345"), user("k", "kim", "kim-pass"));
        assertTrue(ManagedUsers.read(store.record()).manages("john"), "john is ours again");
        assertFalse(ManagedUsers.read(store.record()).manages("kim"));
        Rejection kim = change.rejections().get(0);
        assertEquals(RejectReason.UNMANAGED_USERNAME, kim.reason());
        assertTrue(kim.detail().contains("record is missing") && kim.detail().contains("not what this Secret would write"),
                kim.detail());
        assertEquals(ADMIN + kimByHand + JOHN, Files.readString(poolPasswd), "entries unchanged");

        tick(user("k", "kim", "kim-pass")); // john's Secret deleted
        assertEquals(ADMIN + kimByHand, Files.readString(poolPasswd), "john is removed like any user of ours");
    }

    @Test
    void withARecordPresentAnIdenticalUnmanagedEntryIsNotAdopted() throws IOException {
        tick(user("k", "kim", "kim-pass")); // the record exists, without john
        Files.writeString(poolPasswd, Files.readString(poolPasswd) + JOHN);
        PoolPasswdChange change = tick(user("j", "john", "12345"));
        assertEquals(RejectReason.UNMANAGED_USERNAME, change.rejections().get(0).reason());
        assertFalse(ManagedUsers.read(store.record()).manages("john"));
    }
}
