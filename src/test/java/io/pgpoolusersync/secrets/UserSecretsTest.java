package io.pgpoolusersync.secrets;

import static io.pgpoolusersync.passwd.Passwords.reveal;

import static io.pgpoolusersync.secrets.SecretsFixture.secret;
import static io.pgpoolusersync.secrets.SecretsFixture.user;
import static io.pgpoolusersync.secrets.SecretsFixture.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.pgpoolusersync.passwd.EntryFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class UserSecretsTest {

    private final UserSecrets aes = new UserSecrets(EntryFormat.AES);

    /** Every rejection reason a single Secret can earn, with a Secret that earns it. */
    static Stream<Arguments> badSecrets() {
        Secret notBase64 = new SecretBuilder(user("s", "u", "p")).withData(Map.of("username", "!!!", "password", "cA==")).build();
        return Stream.of(
                Arguments.of(secret("s", null, Map.of("password", utf8("pw"))), RejectReason.MISSING_USERNAME),
                Arguments.of(user("s", "", "pw"), RejectReason.MISSING_USERNAME),
                Arguments.of(secret("s", null, Map.of("username", utf8("a"), "user", utf8("b"), "password", utf8("p"))),
                        RejectReason.AMBIGUOUS_USERNAME),
                Arguments.of(secret("s", null, Map.of("username", utf8("john"))), RejectReason.MISSING_PASSWORD),
                Arguments.of(user("s", "john", ""), RejectReason.MISSING_PASSWORD),
                Arguments.of(notBase64, RejectReason.NOT_BASE64),
                Arguments.of(secret("s", null, Map.of("username", new byte[] {(byte) 0xC3, 0x28}, "password", utf8("p"))),
                        RejectReason.NOT_UTF8),
                Arguments.of(secret("s", null, Map.of("username", utf8("john"), "password", new byte[] {(byte) 0xFF})),
                        RejectReason.NOT_UTF8),
                Arguments.of(user("s", "john", "line1\nline2"), RejectReason.CONTROL_CHARACTER),
                Arguments.of(user("s", "john", "pw\r"), RejectReason.CONTROL_CHARACTER),
                Arguments.of(user("s", "jo\0hn", "pw"), RejectReason.CONTROL_CHARACTER),
                Arguments.of(user("s", "jo\thn", "pw"), RejectReason.CONTROL_CHARACTER),
                Arguments.of(user("s", "j".repeat(64), "pw"), RejectReason.USERNAME_TOO_LONG),
                Arguments.of(user("s", "é".repeat(32), "pw"), RejectReason.USERNAME_TOO_LONG),
                Arguments.of(user("s", "john", "p".repeat(80)), RejectReason.PASSWORD_TOO_LONG));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("badSecrets")
    void rejectsWithItsReasonAndKeepsTheOthers(Secret bad, RejectReason reason) {
        DeclaredUsers declared = aes.review(List.of(bad, user("good", "alice", "s3cret")));
        assertEquals(1, declared.rejections().size());
        Rejection rejection = declared.rejections().get(0);
        assertEquals(reason, rejection.reason());
        assertEquals("demo/s", rejection.source().toString());
        assertFalse(rejection.detail().isBlank());
        assertEquals(List.of("alice"), declared.users().stream().map(UserCredential::user).toList());
    }

    @Test
    void rejectionsNeverCarryThePassword() {
        DeclaredUsers declared = aes.review(List.of(user("s", "john", "TopSecret\n"), user("t", "jane", "Sup3r".repeat(20))));
        for (Rejection rejection : declared.rejections()) {
            assertFalse(rejection.toString().contains("TopSecret"), rejection.toString());
            assertFalse(rejection.toString().contains("Sup3r"), rejection.toString());
        }
    }

    @Test
    void limitsFollowTheFormat() {
        assertTrue(aes.review(List.of(user("s", "john", "p".repeat(79)))).rejections().isEmpty());
        assertTrue(new UserSecrets(EntryFormat.TEXT).review(List.of(user("s", "john", "p".repeat(124)))).rejections().isEmpty());
        assertEquals(RejectReason.PASSWORD_TOO_LONG,
                new UserSecrets(EntryFormat.TEXT).review(List.of(user("s", "john", "p".repeat(125)))).rejections().get(0).reason());
        assertTrue(new UserSecrets(EntryFormat.MD5).review(List.of(user("s", "john", "p".repeat(500)))).rejections().isEmpty());
        assertTrue(aes.review(List.of(user("s", "j".repeat(63), "pw"))).rejections().isEmpty());
    }

    @Test
    void userKeyIsAnAliasAndStringDataWins() {
        Secret alias = secret("a", null, Map.of("user", utf8("john"), "password", utf8("12345")));
        Secret both = secret("b", null, Map.of("username", utf8("jane"), "user", utf8("jane"), "password", utf8("x")));
        Secret stringData = new SecretBuilder(user("c", "old", "old")).withStringData(Map.of("username", "kim", "password", "new")).build();
        List<UserCredential> users = aes.review(List.of(alias, both, stringData)).users();
        assertEquals(java.util.Set.of("john", "jane", "kim"),
                users.stream().map(UserCredential::user).collect(java.util.stream.Collectors.toSet()));
        assertEquals("new", reveal(users.stream().filter(u -> u.user().equals("kim")).findFirst().orElseThrow().password()));
    }

    /**
     * Whoever may write a labeled Secret may annotate it: an annotation the API server accepts must not
     * pass for the manifest reader's finding (a rejection with the writer's text in logs and Events).
     */
    @Test
    void aClusterSecretCannotForgeTheManifestReadersFinding() {
        Secret forged = new SecretBuilder(user("s", "john", "pw")).editMetadata()
                .addToAnnotations("pgpool-user-sync.manifest/not-string", "forged\nWARN everything is fine")
                .endMetadata().build();
        DeclaredUsers declared = aes.review(List.of(forged));
        assertTrue(declared.rejections().isEmpty(), declared.rejections().toString());
        assertEquals(List.of("john"), declared.users().stream().map(UserCredential::user).toList());
        // The API server refuses an annotation key that is not a qualified name: no cluster Secret has it.
        String prefix = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
        String name = "[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?";
        assertFalse(ManifestFolder.PROBLEM_ANNOTATION.matches("(" + prefix + "/)?" + name),
                ManifestFolder.PROBLEM_ANNOTATION);
    }

    @Test
    void passwordsMayHoldColonsBackslashesAndUnicode() {
        List<UserCredential> users = aes.review(List.of(user("s", "o'brien:x\\y", "p:a\\s s€"))).users();
        assertEquals("p:a\\s s€", reveal(users.get(0).password()));
        assertFalse(users.get(0).toString().contains("p:a"));
    }
}
