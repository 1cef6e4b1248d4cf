package io.pgpoolusersync.secrets;

import static io.pgpoolusersync.passwd.Passwords.reveal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
                  password: "12345"
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
    void itemsOfAListAreReadAsKubectlApplyReadsThem() throws IOException {
        // What `kubectl get secrets -o yaml` writes.
        Files.writeString(dir.resolve("list.yaml"), """
                apiVersion: v1
                kind: List
                items:
                - apiVersion: v1
                  kind: Secret
                  metadata:
                    name: one
                    namespace: demo
                """ + LABELS.indent(2) + """
                  data: {username: am9obg==, password: MTIzNDU=}
                - apiVersion: v1
                  kind: Secret
                  metadata:
                    name: two
                """ + LABELS.indent(2) + """
                  stringData: {username: jane, password: secret}
                metadata:
                  resourceVersion: ""
                """);
        List<Secret> secrets = new ManifestFolder(dir, selector).secrets();
        assertEquals(List.of("one", "two"), secrets.stream().map(s -> s.getMetadata().getName()).toList());
    }

    @Test
    void aDocumentWithoutKindIsAnErrorNamingFileDocumentAndLine() throws IOException {
        Files.writeString(dir.resolve("a.yaml"), """
                kind: Secret
                metadata: {name: fine}
                ---
                apiVersion: v1
                metadata: {name: kindless}
                """);
        IOException e = assertThrows(IOException.class, () -> new ManifestFolder(dir, selector).secrets());
        assertTrue(e.getMessage().contains("a.yaml") && e.getMessage().contains("document 2")
                && e.getMessage().contains("line 4") && e.getMessage().contains("no kind"), e.getMessage());

        Files.writeString(dir.resolve("a.yaml"), "just text\n");
        e = assertThrows(IOException.class, () -> new ManifestFolder(dir, selector).secrets());
        assertTrue(e.getMessage().contains("document 1") && e.getMessage().contains("not a mapping"), e.getMessage());
    }

    @Test
    void valuesAreTheirExactTextOrTheSecretIsRejected() throws IOException {
        StringBuilder yaml = new StringBuilder();
        String[][] cases = {
                {"quoted-octal", "\"0777\""}, {"plain-text", "s3cret"}, {"plain-date-quoted", "'2001-12-14'"},
                {"octal", "0777"}, {"bool", "yes"}, {"float", "1.10"}, {"hex", "0x1F"}, {"date", "2001-12-14"},
                {"yaml12-int", "09"}, {"number", "12345"}, {"empty", ""}, {"list", "[a, b]"},
        };
        for (String[] c : cases) {
            yaml.append("kind: Secret\nmetadata:\n  name: ").append(c[0]).append('\n').append(LABELS)
                    .append("stringData:\n  username: u-").append(c[0]).append("\n  password: ").append(c[1])
                    .append("\n---\n");
        }
        Files.writeString(dir.resolve("scalars.yaml"), yaml);
        DeclaredUsers declared = new UserSecrets(EntryFormat.AES).review(new ManifestFolder(dir, selector).secrets());
        assertEquals(List.of("0777", "s3cret", "2001-12-14"),
                declared.users().stream().map(u -> reveal(u.password())).toList());
        assertEquals(List.of("octal", "bool", "float", "hex", "date", "yaml12-int", "number", "empty", "list"),
                declared.rejections().stream().map(r -> r.source().name()).toList());
        for (Rejection r : declared.rejections()) {
            assertEquals(RejectReason.NOT_STRING, r.reason(), r.toString());
            assertTrue(r.detail().contains("stringData.password") && r.detail().contains("line"), r.detail());
        }
    }

    /** "the unquoted YAML bool (3 characters)" all but says the password: yes, no, on, off. */
    @Test
    void aRejectedValueIsNeitherTypedNorMeasured() throws IOException {
        StringBuilder yaml = new StringBuilder();
        String[] values = {"yes", "on", "12345", "~", "1.10", "2001-12-14", "09"};
        for (int i = 0; i < values.length; i++) {
            yaml.append("kind: Secret\nmetadata:\n  name: s").append(i).append('\n').append(LABELS)
                    .append("stringData:\n  username: u").append(i).append("\n  password: ").append(values[i])
                    .append("\n---\n");
        }
        Files.writeString(dir.resolve("scalars.yaml"), yaml);
        DeclaredUsers declared = new UserSecrets(EntryFormat.AES).review(new ManifestFolder(dir, selector).secrets());
        assertEquals(values.length, declared.rejections().size());
        for (Rejection r : declared.rejections()) {
            String detail = r.detail();
            assertTrue(detail.contains("stringData.password") && detail.contains("quote"), detail);
            for (String tell : List.of("YAML bool", "YAML int", "YAML float", "YAML null", "YAML timestamp", "character", "number or keyword")) {
                assertFalse(detail.contains(tell), tell + " in: " + detail);
            }
        }
    }

    @Test
    void creationTimestampIsItsTextWhateverTheTimeZone() throws IOException {
        Files.writeString(dir.resolve("a.yaml"), "kind: Secret\nmetadata:\n  name: a\n"
                + "  creationTimestamp: 2026-01-02 03:04:05+02:00\n" + LABELS);
        assertEquals("2026-01-02 03:04:05+02:00",
                new ManifestFolder(dir, selector).secrets().get(0).getMetadata().getCreationTimestamp());
    }

    @Test
    void base64IsDecodedAsTheApiServerDoes() throws IOException {
        Files.writeString(dir.resolve("a.yaml"), """
                kind: Secret
                metadata:
                  name: folded
                """ + LABELS + """
                data:
                  username: |-
                    am9o
                    bg==
                  password: |
                    MTIz
                    NDU=
                ---
                kind: Secret
                metadata:
                  name: unpadded
                """ + LABELS + """
                data:
                  username: am9obg
                  password: MTIzNDU=
                """);
        DeclaredUsers declared = new UserSecrets(EntryFormat.AES).review(new ManifestFolder(dir, selector).secrets());
        assertEquals(List.of("john"), declared.users().stream().map(UserCredential::user).toList());
        assertEquals("12345", reveal(declared.users().get(0).password()));
        assertEquals(RejectReason.NOT_BASE64, declared.rejections().get(0).reason());
        assertTrue(declared.rejections().get(0).detail().contains("multiple of 4"), declared.rejections().get(0).detail());
    }

    @Test
    void yamlAndCharsetErrorsNameFileAndLine() throws IOException {
        Files.writeString(dir.resolve("bad.yaml"), "kind: Secret\nmetadata:\n  name: [unclosed\n");
        IOException e = assertThrows(IOException.class, () -> new ManifestFolder(dir, selector).secrets());
        assertTrue(e.getMessage().contains("bad.yaml") && e.getMessage().contains("line 4"), e.getMessage());

        Files.delete(dir.resolve("bad.yaml"));
        Files.write(dir.resolve("latin1.yaml"), "kind: Secret\nmetadata:\n  name: caf\u00e9\n"
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        e = assertThrows(IOException.class, () -> new ManifestFolder(dir, selector).secrets());
        assertTrue(e.getMessage().contains("latin1.yaml") && e.getMessage().contains("not UTF-8")
                && e.getMessage().contains("line 3"), e.getMessage());
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
