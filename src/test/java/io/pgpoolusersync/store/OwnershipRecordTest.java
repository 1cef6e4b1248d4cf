package io.pgpoolusersync.store;

import static io.pgpoolusersync.secrets.SecretsFixture.user;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Secret;
import io.pgpoolusersync.passwd.EntryFormat;
import io.pgpoolusersync.passwd.KeyFile;
import io.pgpoolusersync.secrets.DeclaredUsers;
import io.pgpoolusersync.secrets.RejectReason;
import io.pgpoolusersync.secrets.UserSecrets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ownership record cannot be forged, is read strictly, and keeps every user name it was given. */
class OwnershipRecordTest {

    private static final String ADMIN = "postgres:AES3Bis9TLTuWm1o0k6K3mZ28MldZHTARDZnbg5n0uwF8M=\n";

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

    private void tick(Secret... secrets) throws IOException {
        DeclaredUsers declared = new UserSecrets(EntryFormat.AES).review(List.of(secrets));
        PoolPasswdChange change = store.plan(declared);
        if (change.changed()) {
            store.write(change);
        }
    }

    private static Secret named(Secret secret, String namespace, String name) {
        secret.getMetadata().setNamespace(namespace);
        secret.getMetadata().setName(name);
        return secret;
    }

    @Test
    void aSecretNameCannotInjectAClaimOnTheAdminEntry() throws IOException {
        // A manifest can carry any name; the cluster would refuse it.
        Secret injector = named(user("x", "john", "12345"), "demo", "s\npostgres\tdemo/evil");
        tick(injector);
        assertFalse(ManagedUsers.read(store.record()).manages("postgres"));

        tick(injector, named(user("evil", "postgres", "hijack"), "demo", "evil"));
        assertTrue(Files.readString(poolPasswd).startsWith(ADMIN), "the admin entry is untouched");
        assertFalse(Files.readString(poolPasswd).contains("john"), "the injector is rejected");
    }

    @Test
    void namesAndNamespacesAreValidatedAsKubernetesDoes() {
        DeclaredUsers declared = new UserSecrets(EntryFormat.AES).review(List.of(
                named(user("a", "u1", "p"), "demo", "UPPER"),
                named(user("b", "u2", "p"), "de.mo", "ok"),
                named(user("c", "u3", "p"), "demo", "a".repeat(254)),
                named(user("d", "u4", "p"), "demo", "fine.name-1")));
        assertEquals(List.of("u4"), declared.users().stream().map(u -> u.user()).toList());
        assertEquals(3, declared.rejections().size());
        declared.rejections().forEach(r -> assertEquals(RejectReason.INVALID_NAME, r.reason(), r.toString()));
        assertTrue(named(user("e", "u5", "p"), "demo", "a\nb").getMetadata().getName().contains("\n"));
        assertFalse(new UserSecrets(EntryFormat.AES).review(List.of(named(user("e", "u5", "p"), "demo", "a\nb")))
                .rejections().get(0).toString().contains("\n"), "a log line cannot be forged either");
    }

    @Test
    void aLineTheRecordDoesNotUnderstandStopsTheTickAndIsNeverAClaim() throws IOException {
        tick(user("s", "john", "12345"));
        Files.writeString(store.record(), Files.readString(store.record()) + "postgres\n");
        IOException e = assertThrows(IOException.class, () -> store.plan(
                new UserSecrets(EntryFormat.AES).review(List.of(user("evil", "postgres", "hijack")))));
        assertTrue(e.getMessage().contains(store.record() + ":3") && e.getMessage().contains("user TAB"), e.getMessage());
        assertEquals(ADMIN + "john:AES106tf0TquKDOqUM/KA+DFQ==\n", Files.readString(poolPasswd));

        for (String bad : List.of("postgres\tdemo/evil\textra", "post%67res\tdemo/s", "x\tDemo/s", "x\tdemo/", "%zz\tdemo/s")) {
            Files.writeString(store.record(), ManagedUsers.HEADER + "\n" + bad + "\n");
            assertThrows(IOException.class, () -> ManagedUsers.read(store.record()), bad);
        }
    }

    @Test
    void userNamesStartingWithHashAndOtherCharactersRoundTrip() throws IOException {
        Map<String, String> users = Map.of("#hash", "demo/a", "with space", "demo/b", "per%cent+plus", "demo/c",
                "ünï", "demo/d", "a:b\\c", "demo/e");
        Files.write(store.record(), new ManagedUsers(users).render());
        assertEquals(users, ManagedUsers.read(store.record()).sources());
    }

    @Test
    void aHashUserIsRemovedWhenItsSecretIsGone() throws IOException {
        tick(user("s", "#bob", "12345"));
        assertTrue(Files.readString(poolPasswd).contains("#bob:"));
        tick();
        assertEquals(ADMIN, Files.readString(poolPasswd), "#bob is not orphaned");
    }

    @Test
    void theFirstRecordFormatIsStillRead() throws IOException {
        Files.writeString(store.record(), ManagedUsers.HEADER_V1 + "\njohn\tdemo/s\n#bob\tdemo/b\n");
        assertEquals(Map.of("john", "demo/s", "#bob", "demo/b"), ManagedUsers.read(store.record()).sources());
    }
}
