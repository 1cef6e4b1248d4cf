package io.pgpoolusersync.store;

import static io.pgpoolusersync.secrets.SecretsFixture.secret;
import static io.pgpoolusersync.secrets.SecretsFixture.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Secret;
import io.pgpoolusersync.passwd.EntryFormat;
import io.pgpoolusersync.passwd.TextPasswordEncoder;
import io.pgpoolusersync.secrets.RejectReason;
import io.pgpoolusersync.secrets.Rejection;
import io.pgpoolusersync.secrets.UserSecrets;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Who gets a user name that several Secrets declare: sticky to the recorded owner, else the oldest. */
class OwnershipTest {

    private static final String ADMIN = "postgres:AES3Bis9TLTuWm1o0k6K3mZ28MldZHTARDZnbg5n0uwF8M=\n";

    private static Secret claim(String name, String created, String user, String password) {
        return secret(name, created, Map.of("username", utf8(user), "password", utf8(password)));
    }

    private static PoolPasswdChange merge(String current, ManagedUsers before, Secret... secrets) {
        return PoolPasswdMerge.merge(current.getBytes(StandardCharsets.UTF_8), before,
                new UserSecrets(EntryFormat.TEXT).review(List.of(secrets)), new TextPasswordEncoder());
    }

    private static String text(PoolPasswdChange change) {
        return new String(change.content(), StandardCharsets.UTF_8);
    }

    private static Rejection rejectionOf(PoolPasswdChange change, String secret) {
        return change.rejections().stream().filter(r -> r.source().name().equals(secret)).findFirst().orElseThrow();
    }

    @Test
    void anOwnerTurnedBadKeepsItsUserAndItsEntry() {
        ManagedUsers before = new ManagedUsers(Map.of("john", "demo/owner"));
        PoolPasswdChange change = merge(ADMIN + "john:TEXTgood\n", before,
                claim("owner", "2026-02-01T00:00:00Z", "john", "bad\npassword"),
                claim("rival", "2026-01-01T00:00:00Z", "john", "rival"));
        assertEquals(ADMIN + "john:TEXTgood\n", text(change));
        assertEquals(Map.of("john", "demo/owner"), change.managedAfter().sources());
        assertFalse(change.changed());
        Rejection rival = rejectionOf(change, "rival");
        assertEquals(RejectReason.DUPLICATE_USERNAME, rival.reason());
        assertTrue(rival.detail().contains("belongs to Secret demo/owner") && rival.detail().contains("rejected"), rival.detail());
    }

    @Test
    void anOlderRivalOrOneWhoseNameSortsFirstDoesNotTakeAnOwnedUser() {
        ManagedUsers before = new ManagedUsers(Map.of("john", "demo/owner"));
        PoolPasswdChange older = merge(ADMIN + "john:TEXTmine\n", before,
                claim("owner", "2026-02-01T00:00:00Z", "john", "mine"),
                claim("rival", "2025-01-01T00:00:00Z", "john", "rival"));
        assertEquals(ADMIN + "john:TEXTmine\n", text(older));
        assertEquals(Map.of("john", "demo/owner"), older.managedAfter().sources());

        PoolPasswdChange noTimestamps = merge(ADMIN + "john:TEXTmine\n", before,
                claim("owner", null, "john", "mine"), claim("a-first", null, "john", "rival"));
        assertEquals(ADMIN + "john:TEXTmine\n", text(noTimestamps));
        assertTrue(rejectionOf(noTimestamps, "a-first").detail().contains("belongs to Secret demo/owner"));
    }

    @Test
    void anUnownedUserGoesToTheOldestAndTheReasonIsHonest() {
        PoolPasswdChange change = merge(ADMIN, ManagedUsers.none(),
                claim("newer", "2026-03-01T00:00:00Z", "john", "new"),
                claim("older", "2026-01-01T00:00:00Z", "john", "old"));
        assertEquals(ADMIN + "john:TEXTold\n", text(change));
        assertTrue(rejectionOf(change, "newer").detail().contains("it is older"), rejectionOf(change, "newer").detail());

        PoolPasswdChange noTimestamps = merge(ADMIN, ManagedUsers.none(),
                claim("b", null, "kim", "b"), claim("a", null, "kim", "a"));
        assertEquals(ADMIN + "kim:TEXTa\n", text(noTimestamps));
        String detail = rejectionOf(noTimestamps, "b").detail();
        assertFalse(detail.contains("older"), detail);
        assertTrue(detail.contains("neither has a creationTimestamp"), detail);

        PoolPasswdChange sameTime = merge(ADMIN, ManagedUsers.none(),
                claim("b", "2026-02-01T00:00:00Z", "kim", "b"), claim("a", "2026-02-01T00:00:00Z", "kim", "a"));
        assertTrue(rejectionOf(sameTime, "b").detail().contains("both were created at"));
    }

    @Test
    void whenTheOwnersSecretIsGoneTheUserIsFreeForTheOldestClaimant() {
        ManagedUsers before = new ManagedUsers(Map.of("john", "demo/gone"));
        PoolPasswdChange change = merge(ADMIN + "john:TEXTold\n", before,
                claim("late", "2026-03-01T00:00:00Z", "john", "late"),
                claim("early", "2026-01-01T00:00:00Z", "john", "early"));
        assertEquals(ADMIN + "john:TEXTearly\n", text(change));
        assertEquals(Map.of("john", "demo/early"), change.managedAfter().sources());
    }
}
