package io.pgpoolusersync.store;

import static io.pgpoolusersync.secrets.SecretsFixture.user;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Secret;
import io.pgpoolusersync.passwd.EntryFormat;
import io.pgpoolusersync.passwd.PasswordEncoder;
import io.pgpoolusersync.passwd.TextPasswordEncoder;
import io.pgpoolusersync.secrets.DeclaredUsers;
import io.pgpoolusersync.secrets.RejectReason;
import io.pgpoolusersync.secrets.UserSecrets;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PoolPasswdMergeTest {

    private static final PasswordEncoder TEXT = new TextPasswordEncoder();
    private static final String ADMIN = "postgres:AES3Bis9TLTuWm1o0k6K3mZ28MldZHTARDZnbg5n0uwF8M=\n";

    private static DeclaredUsers declare(Secret... secrets) {
        return new UserSecrets(EntryFormat.TEXT).review(List.of(secrets));
    }

    private static PoolPasswdChange merge(String current, ManagedUsers before, DeclaredUsers declared) {
        return PoolPasswdMerge.merge(current.getBytes(StandardCharsets.UTF_8), before, declared, TEXT);
    }

    private static String text(PoolPasswdChange change) {
        return new String(change.content(), StandardCharsets.UTF_8);
    }

    @Test
    void unmanagedLinesStayByteForByteAndFirst() {
        String current = ADMIN + "odd\\:user:md5abc\r\n\nno-colon\nhealth:TEXTcheck";
        PoolPasswdChange change = merge(current, ManagedUsers.none(), declare(user("s", "john", "12345")));
        assertEquals(ADMIN + "odd\\:user:md5abc\r\n\nno-colon\nhealth:TEXTcheck\njohn:TEXT12345\n", text(change));
        assertEquals(1, change.added());
        assertEquals(Map.of("john", "demo/s"), change.managedAfter().sources());
    }

    @Test
    void managedUserWhoseSecretIsGoneIsRemovedOthersStay() {
        ManagedUsers before = new ManagedUsers(Map.of("john", "demo/s", "kim", "demo/k"));
        PoolPasswdChange change = merge(ADMIN + "john:TEXTold\nkim:TEXTk\n", before, declare(user("k", "kim", "k")));
        assertEquals(ADMIN + "kim:TEXTk\n", text(change));
        assertEquals(1, change.removed());
        assertEquals(1, change.unchanged());
        assertEquals(Map.of("kim", "demo/k"), change.managedAfter().sources());
    }

    @Test
    void unmanagedUserIsNeverRemovedNorTakenOver() {
        PoolPasswdChange change = merge(ADMIN, ManagedUsers.none(), declare(user("evil", "postgres", "hijack")));
        assertEquals(ADMIN, text(change));
        assertFalse(change.changed());
        assertEquals(RejectReason.UNMANAGED_USERNAME, change.rejections().get(0).reason());
        assertEquals("demo/evil", change.rejections().get(0).source().toString());
    }

    @Test
    void passwordChangeIsAnUpdate() {
        ManagedUsers before = new ManagedUsers(Map.of("john", "demo/s"));
        PoolPasswdChange change = merge(ADMIN + "john:TEXTold\n", before, declare(user("s", "john", "new")));
        assertEquals(ADMIN + "john:TEXTnew\n", text(change));
        assertEquals(1, change.updated());
        assertTrue(change.contentChanged());
    }

    @Test
    void sameInputsGiveTheSameBytesWhateverTheSecretOrder() {
        Secret a = user("a", "zed", "1");
        Secret b = user("b", "amy", "2");
        Secret c = user("c", "mia", "3");
        PoolPasswdChange first = merge(ADMIN, ManagedUsers.none(), declare(a, b, c));
        PoolPasswdChange second = merge(ADMIN, ManagedUsers.none(), declare(c, a, b));
        assertArrayEquals(first.content(), second.content());
        assertEquals(ADMIN + "amy:TEXT2\nmia:TEXT3\nzed:TEXT1\n", text(first));
    }

    @Test
    void unchangedInputsChangeNothing() {
        PoolPasswdChange first = merge(ADMIN, ManagedUsers.none(), declare(user("s", "john", "12345")));
        PoolPasswdChange again = PoolPasswdMerge.merge(first.content(), first.managedAfter(),
                declare(user("s", "john", "12345")), TEXT);
        assertFalse(again.changed());
        assertEquals(1, again.unchanged());
        assertArrayEquals(first.content(), again.content());
    }

    @Test
    void secretTurnedBadKeepsItsUsersEntry() {
        ManagedUsers before = new ManagedUsers(Map.of("john", "demo/s"));
        PoolPasswdChange change = merge(ADMIN + "john:TEXTgood\n", before, declare(user("s", "john", "bad\npassword")));
        assertEquals(ADMIN + "john:TEXTgood\n", text(change));
        assertFalse(change.changed());
        assertEquals(RejectReason.CONTROL_CHARACTER, change.rejections().get(0).reason());
    }

    @Test
    void managedUserAppearingTwiceIsWrittenOnce() {
        ManagedUsers before = new ManagedUsers(Map.of("john", "demo/s"));
        PoolPasswdChange change = merge("john:TEXTa\n" + ADMIN + "john:TEXTb\n", before, declare(user("s", "john", "c")));
        assertEquals(ADMIN + "john:TEXTc\n", text(change));
    }

    @Test
    void ownershipMovingToAnotherSecretIsAChangeOfTheRecordOnly() {
        ManagedUsers before = new ManagedUsers(Map.of("john", "demo/old"));
        PoolPasswdChange change = merge(ADMIN + "john:TEXTpw\n", before, declare(user("new", "john", "pw")));
        assertFalse(change.contentChanged());
        assertTrue(change.changed());
        assertEquals(Map.of("john", "demo/new"), change.managedAfter().sources());
    }

    @Test
    void emptyFileAndNoSecrets() {
        PoolPasswdChange change = merge("", ManagedUsers.none(), declare());
        assertEquals(0, change.content().length);
        assertFalse(change.changed());
        assertEquals(Collections.emptyList(), change.rejections());
    }
}
