package io.pgpoolusersync.secrets;

import static io.pgpoolusersync.passwd.Passwords.reveal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Secret;
import io.pgpoolusersync.passwd.EntryFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestFolderTest {

    @TempDir
    Path dir;

    private final SecretSelector selector = new SecretSelector("demo", "ha-postgres", "");

    private static final String LABELS = """
              labels:
                app.kubernetes.io/instance: ha-postgres
                app.kubernetes.io/name: postgreses.kubedb.com
            """;

    @Test
    void readsDataAndStringDataWithTheClusterRules() throws IOException {
        Files.writeString(dir.resolve("a.yaml"), """
                apiVersion: v1
                kind: Secret
                metadata:
                  name: from-data
                  namespace: demo
                  creationTimestamp: 2026-01-02T03:04:05Z
                """ + LABELS + """
                data:
                  username: am9obg==
                  password: MTIzNDU=
                ---
                kind: Secret
                metadata:
                  name: no-namespace-means-target
                """ + LABELS + """
                stringData:
                  username: jane
                  password: 12345
                ---
                kind: ConfigMap
                metadata:
                  name: ignored
                ---
                kind: Secret
                metadata:
                  name: other-namespace
                  namespace: prod
                """ + LABELS + """
                stringData: {username: x, password: y}
                """);
        Files.writeString(dir.resolve("b.yml"), """
                kind: Secret
                metadata:
                  name: wrong-labels
                  namespace: demo
                  labels: {app.kubernetes.io/instance: other}
                stringData: {username: x, password: y}
                """);
        Files.writeString(dir.resolve("notes.txt"), "not a manifest");

        List<Secret> secrets = new ManifestFolder(dir, selector).secrets();
        assertEquals(List.of("from-data", "no-namespace-means-target"),
                secrets.stream().map(s -> s.getMetadata().getName()).toList());
        assertEquals("2026-01-02T03:04:05Z", secrets.get(0).getMetadata().getCreationTimestamp());

        DeclaredUsers declared = new UserSecrets(EntryFormat.AES).review(secrets);
        assertEquals(List.of("john", "jane"), declared.users().stream().map(UserCredential::user).toList());
        assertEquals("12345", reveal(declared.users().get(1).password()));
    }

    @Test
    void invalidYamlIsAnErrorNamingTheFile() throws IOException {
        Files.writeString(dir.resolve("bad.yaml"), "kind: Secret\nmetadata: [unclosed\n");
        IOException e = assertThrows(IOException.class, () -> new ManifestFolder(dir, selector).secrets());
        assertTrue(e.getMessage().contains("bad.yaml"), e.getMessage());
    }

    @Test
    void missingFolderIsAnError() {
        IOException e = assertThrows(IOException.class, () -> new ManifestFolder(dir.resolve("none"), selector).secrets());
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void extraLabelsMustBeEqualities() {
        assertEquals("b", new SecretSelector("demo", "pg", "a=b").labels().get("a"));
        assertThrows(IllegalArgumentException.class, () -> new SecretSelector("demo", "pg", "a!=b"));
        assertThrows(IllegalArgumentException.class, () -> new SecretSelector("demo", "pg", "novalue"));
    }
}
