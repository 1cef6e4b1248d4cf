package io.pgpoolusersync;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GitOps check: --dry-run plans one tick from a folder of manifests, with the routes (a policy
 * included), prints names, reasons and counts, writes nothing, and exits 0 (nothing would change) or
 * 3 (something would).
 */
class DryRunTest {

    @TempDir
    Path dir;

    private record Run(int exit, String out) {
    }

    private Run run(String... args) {
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            int exit = Main.run(args, Map.of());
            return new Run(exit, captured.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(stdout);
        }
    }

    private String[] args(Path manifests, String... more) {
        List<String> all = new ArrayList<>(List.of("--manifests", manifests.toString(), "--namespace", "demo",
                "--postgres-name", "ha-postgres", "--routes-dir", Path.of("routes").toAbsolutePath().toString()));
        all.addAll(Arrays.asList(more));
        return all.toArray(String[]::new);
    }

    private Path poolPasswdCopy() throws IOException {
        Path poolPasswd = dir.resolve("pool_passwd");
        Files.copy(Path.of("examples/pool_passwd"), poolPasswd);
        return poolPasswd;
    }

    private List<String> files() throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void plansWithoutWritingAndExitsThreeWhenSomethingWouldChange() throws IOException {
        Path poolPasswd = poolPasswdCopy();
        byte[] before = Files.readAllBytes(poolPasswd);
        Run run = run(args(Path.of("examples/secrets"), "--dry-run", "--pool-passwd", poolPasswd.toString(),
                "--key-file", "examples/pgpoolkey"));
        assertEquals(3, run.exit(), run.out());
        assertTrue(run.out().contains("would add:    alice, john"), run.out());
        assertTrue(run.out().contains("rejected:     demo/broken-user (CONTROL_CHARACTER)"), run.out());
        assertTrue(run.out().contains("blocked:      demo/takeover"), run.out());
        assertArrayEquals(before, Files.readAllBytes(poolPasswd), "pool_passwd untouched");
        assertEquals(List.of("pool_passwd"), files(), "no ownership record, lock or temp file");
        assertFalse(run.out().contains("12345") || run.out().contains("AES"), "no password, no entry: " + run.out());
    }

    @Test
    void exitsZeroOnceTheFileMatches() throws IOException {
        Path poolPasswd = poolPasswdCopy();
        String[] common = {"--pool-passwd", poolPasswd.toString(), "--key-file", "examples/pgpoolkey"};
        List<String> once = new ArrayList<>(Arrays.asList(args(Path.of("examples/secrets"), common)));
        once.add("--once");
        assertEquals(0, Main.run(once.toArray(String[]::new), Map.of()));
        byte[] written = Files.readAllBytes(poolPasswd);

        Run run = run(args(Path.of("examples/secrets"), "--dry-run", "--pool-passwd", poolPasswd.toString(),
                "--key-file", "examples/pgpoolkey"));
        assertEquals(0, run.exit(), run.out());
        assertTrue(run.out().contains("unchanged:    2") && run.out().contains("nothing would change"), run.out());
        assertArrayEquals(written, Files.readAllBytes(poolPasswd));
    }

    /** A pipeline without pool_passwd and key: a List, stringData and data, the policy route; JSON out. */
    @Test
    void jsonSaysWhatCouldNotBeCheckedAndAppliesTheRoutesPolicy() throws IOException {
        Path manifests = Files.createDirectories(dir.resolve("secrets"));
        Files.writeString(manifests.resolve("list.yaml"), """
                apiVersion: v1
                kind: List
                items:
                  - apiVersion: v1
                    kind: Secret
                    metadata: {name: app, labels: {app.kubernetes.io/instance: ha-postgres, app.kubernetes.io/name: postgreses.kubedb.com}}
                    stringData: {username: app, password: "0777"}
                  - apiVersion: v1
                    kind: Secret
                    metadata: {name: superuser, labels: {app.kubernetes.io/instance: ha-postgres, app.kubernetes.io/name: postgreses.kubedb.com}}
                    data: {username: cG9zdGdyZXNfYWRtaW4=, password: c2VjcmV0LXB3}
                """);
        Path routes = Files.createDirectories(dir.resolve("routes"));
        for (String name : List.of("tick", "secrets-from-manifests")) {
            Files.copy(Path.of("routes", name + ".camel.yaml"), routes.resolve(name + ".camel.yaml"));
        }
        Files.copy(Path.of("examples/routes/policy-no-postgres-users.camel.yaml"),
                routes.resolve("policy-no-postgres-users.camel.yaml"));
        List<String> all = new ArrayList<>(Arrays.asList(args(manifests, "--dry-run", "--output", "json")));
        all.set(all.indexOf("--routes-dir") + 1, routes.toString());

        Run run = run(all.toArray(String[]::new));
        assertEquals(3, run.exit(), run.out());
        JsonNode plan = new ObjectMapper().readTree(run.out());
        assertEquals("[\"app\"]", plan.get("added").toString());
        assertEquals("RESERVED_USERNAME", plan.get("rejected").get(0).get("reason").asText());
        assertEquals("demo/superuser", plan.get("rejected").get(0).get("secret").asText());
        assertEquals(2, plan.get("notChecked").size(), plan.toString());
        assertFalse(run.out().contains("0777") || run.out().contains("secret-pw") || run.out().contains("c2VjcmV0"),
                "no password: " + run.out());
    }

    @Test
    void needsAFolderOfManifests() {
        assertEquals(2, Main.run(new String[] {"--dry-run", "--namespace", "demo", "--postgres-name", "x"}, Map.of()));
    }

    /** Set in a Deployment's environment by mistake: the error names the variable that asked for it. */
    @Test
    void aDryRunFromTheEnvironmentIsNamedInTheError() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Settings.load(Map.of("namespace", "demo", "postgres-name", "x"), Map.of("SYNC_DRY_RUN", "yes")));
        assertTrue(e.getMessage().contains("SYNC_DRY_RUN 'yes'") && e.getMessage().contains("SYNC_MANIFESTS"),
                e.getMessage());
    }
}
