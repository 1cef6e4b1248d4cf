package io.pgpoolusersync;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: usage errors, exit codes, and layered settings. */
class MainTest {

    @TempDir
    Path dir;

    private String[] onceOnExamples(String... more) throws IOException {
        Path poolPasswd = dir.resolve("pool_passwd");
        if (!Files.exists(poolPasswd)) {
            Files.copy(Path.of("examples/pool_passwd"), poolPasswd);
        }
        String[] base = {"--once", "--manifests", "examples/secrets", "--namespace", "demo",
            "--postgres-name", "ha-postgres", "--pool-passwd", poolPasswd.toString(), "--key-file", "examples/pgpoolkey"};
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    @Test
    void onceOnTheExamplesSucceedsWithRejectionsReported() throws IOException {
        assertEquals(0, Main.run(onceOnExamples(), Map.of()));
        String content = Files.readString(dir.resolve("pool_passwd"));
        assertTrue(content.startsWith("postgres:AES3Bis9TLTuWm1o0k6K3mZ28MldZHTARDZnbg5n0uwF8M=\n"), "admin entry kept");
        assertTrue(content.contains("\njohn:AESIlVjr04JV4PlMZ9RUgRviQ==\n"), "john as pg_enc writes him");
        assertTrue(!content.contains("bob") && !content.contains("mallory") && !content.contains("eve"));
    }

    @Test
    void ioErrorExitsOneAndWritesNothing() throws IOException {
        String[] args = onceOnExamples("--key-file", dir.resolve("missing").toString());
        byte[] before = Files.readAllBytes(dir.resolve("pool_passwd"));
        assertEquals(1, Main.run(args, Map.of()));
        assertEquals(new String(before), Files.readString(dir.resolve("pool_passwd")));
    }

    /** With AES, the key pgpool holds is known only once pgpool answers: nothing is encrypted blindly. */
    @Test
    void unreachablePgpoolExitsOneAndWritesNothing() throws IOException {
        Path pcpPassword = dir.resolve("pcp");
        Files.writeString(pcpPassword, "secret\n");
        String[] args = onceOnExamples("--pcp-host", "127.0.0.1", "--pcp-port", "1", "--pcp-user", "pcp",
                "--pcp-password-file", pcpPassword.toString(), "--pcp-timeout", "1s");
        byte[] before = Files.readAllBytes(dir.resolve("pool_passwd"));
        assertEquals(1, Main.run(args, Map.of()));
        assertEquals(new String(before), Files.readString(dir.resolve("pool_passwd")), "nothing written");
    }

    /**
     * md5 needs no key, but an unreachable PCP may be a pgpool in its start-up, whose scripts rewrite
     * pool_passwd (pg_enc/pg_md5 -m): nothing is written, whatever the format.
     */
    @Test
    void unreachablePgpoolWithMd5ExitsOneAndWritesNothing() throws IOException {
        Path pcpPassword = dir.resolve("pcp");
        Files.writeString(pcpPassword, "secret\n");
        String[] args = onceOnExamples("--format", "md5", "--pcp-host", "127.0.0.1", "--pcp-port", "1",
                "--pcp-user", "pcp", "--pcp-password-file", pcpPassword.toString(), "--pcp-timeout", "1s");
        byte[] before = Files.readAllBytes(dir.resolve("pool_passwd"));
        assertEquals(1, Main.run(args, Map.of()));
        assertEquals(new String(before), Files.readString(dir.resolve("pool_passwd")), "nothing written");
    }

    @Test
    void usageErrorsExitTwo() {
        assertEquals(2, Main.run(new String[] {"--namespace", "demo"}, Map.of()));
        assertEquals(2, Main.run(new String[] {"--no-such-flag", "x"}, Map.of()));
        assertEquals(2, Main.run(new String[] {"--namespace"}, Map.of()));
        assertEquals(2, Main.run(new String[] {"--namespace", "d", "--postgres-name", "p", "--pool-passwd", "f",
            "--key-file", "k", "--period", "soon"}, Map.of()));
        assertEquals(2, Main.run(new String[] {"--namespace", "d", "--postgres-name", "p", "--pool-passwd", "f",
            "--format", "scram"}, Map.of()));
        assertEquals(2, Main.run(new String[] {"--namespace", "d", "--postgres-name", "p", "--pool-passwd", "f",
            "--key-file", "k", "--pcp-host", "localhost"}, Map.of()));
    }

    @Test
    void flagsOverrideEnvironmentOverridesDefaults() {
        Map<String, String> env = Map.of("SYNC_NAMESPACE", "from-env", "SYNC_POSTGRES_NAME", "pg",
                "SYNC_POOL_PASSWD", "/p", "SYNC_KEY_FILE", "/k", "SYNC_PERIOD", "3s");
        Settings fromEnv = Settings.load(Map.of(), env);
        assertEquals("from-env", fromEnv.namespace());
        assertEquals(Duration.ofSeconds(3), fromEnv.period());
        assertEquals(9898, fromEnv.pcpPort(), "default from application.properties");
        Settings fromFlag = Settings.load(Main.parse(new String[] {"--namespace=flag", "--period", "1500ms"}), env);
        assertEquals("flag", fromFlag.namespace());
        assertEquals(Duration.ofMillis(1500), fromFlag.period());
        assertEquals("1500", fromFlag.properties().get("sync.period"), "the routes get the checked value, in ms");
        assertThrows(IllegalArgumentException.class, () -> Main.parse(new String[] {"positional"}));
    }

    private static final Map<String, String> REQUIRED = Map.of("SYNC_NAMESPACE", "d", "SYNC_POSTGRES_NAME", "p",
            "SYNC_POOL_PASSWD", "/p", "SYNC_KEY_FILE", "/k");

    /** Booleans take the usual spellings, from a flag or the environment; anything else is refused. */
    @Test
    void booleansTakeTheUsualSpellings() {
        for (String yes : List.of("true", "yes", "1", "on", "YES", "True")) {
            assertTrue(Settings.load(Main.parse(new String[] {"--once=" + yes}), REQUIRED).once(), yes);
            Map<String, String> env = new HashMap<>(REQUIRED);
            env.put("SYNC_ONCE", yes);
            assertTrue(Settings.load(Map.of(), env).once(), "SYNC_ONCE=" + yes);
        }
        for (String no : List.of("false", "no", "0", "off")) {
            assertFalse(Settings.load(Main.parse(new String[] {"--once=" + no}), REQUIRED).once(), no);
            assertFalse(Settings.load(Main.parse(new String[] {"--watch", no}), REQUIRED).watch(), "--watch " + no);
        }
        assertTrue(Settings.load(Main.parse(new String[] {"--once", "--watch=off"}), REQUIRED).once());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Settings.load(Main.parse(new String[] {"--once=maybe"}), REQUIRED));
        assertTrue(e.getMessage().startsWith("--once 'maybe': not a boolean"), e.getMessage());
        Map<String, String> env = new HashMap<>(REQUIRED);
        env.put("SYNC_WATCH", "nope");
        e = assertThrows(IllegalArgumentException.class, () -> Settings.load(Map.of(), env));
        assertTrue(e.getMessage().startsWith("SYNC_WATCH 'nope'"), e.getMessage());
    }

    /** Each bad value exits 2 and names its flag; nothing is written. */
    @Test
    void badValuesExitTwoNamingTheFlag() throws IOException {
        Path pcpPassword = dir.resolve("pcp");
        Files.writeString(pcpPassword, "secret\n");
        String[][] cases = {
            {"--period", "10"}, {"--period", "5ms"}, {"--period", "soon"}, {"--pcp-timeout", "xyz"},
            {"--converge-interval", "-1s"}, {"--extra-labels", "a!=b"}, {"--management-port", "70000"},
            {"--pcp-host", "127.0.0.1", "--pcp-user", "pcp", "--pcp-password-file", pcpPassword.toString(),
                "--pcp-port", "99999"},
        };
        for (String[] bad : cases) {
            String[] args = onceOnExamples(bad);
            byte[] before = Files.readAllBytes(dir.resolve("pool_passwd"));
            String flag = bad[bad.length - 2];
            Captured err = captureErr(() -> assertEquals(2, Main.run(args, Map.of()), String.join(" ", bad)));
            assertTrue(err.text.startsWith("pgpool-user-sync: " + flag + " '" + bad[bad.length - 1] + "': "), err.text);
            assertEquals(1, err.text.lines().count(), "one line, no usage dump: " + err.text);
            assertArrayEquals(before, Files.readAllBytes(dir.resolve("pool_passwd")), "nothing written");
            assertFalse(Files.exists(dir.resolve("pool_passwd.managed")), "nothing written");
        }
        // from the cluster, at least 1s; with --manifests, a fast period is allowed: no API server is listed
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Settings.load(Map.of("period", "500ms"), REQUIRED));
        assertEquals("--period '500ms': shorter than the least allowed, 1s", e.getMessage());
        assertEquals(Duration.ofMillis(50), Settings.load(Map.of("manifests", "m", "period", "50ms"), REQUIRED).period());
    }

    @Test
    void helpAndVersionExitZero() {
        for (String help : List.of("-h", "--help")) {
            Captured out = captureOut(() -> assertEquals(0, Main.run(new String[] {help}, Map.of())));
            assertTrue(out.text.startsWith("usage: "), out.text);
        }
        Captured out = captureOut(() -> assertEquals(0, Main.run(new String[] {"--version"}, Map.of())));
        assertTrue(out.text.matches("pgpool-user-sync \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\\R"), out.text);
    }

    /** --help lists every exit code the README's table does (the dry run's 3 included). */
    @Test
    void theUsageListsEveryExitCode() throws IOException {
        String usage = Main.usage();
        String readme = Files.readString(Path.of("README.md"));
        String table = readme.substring(readme.indexOf("| code | when |"));
        table = table.substring(0, table.indexOf("\n\n"));
        String codes = usage.substring(usage.indexOf("Exit codes:"));
        table.lines().filter(l -> l.matches("\\| `\\d+` .*")).forEach(row -> {
            String code = row.substring(3, row.indexOf('`', 3));
            assertTrue(codes.contains(" " + code + " "), "exit " + code + " missing from: " + codes);
        });
    }

    /** application.properties is the one list: the usage and the README table must name every setting. */
    @Test
    void everySettingIsInTheUsageAndTheReadmeTable() throws IOException {
        String usage = Main.usage();
        String readme = Files.readString(Path.of("README.md"));
        String table = readme.substring(readme.indexOf("| flag | environment | default | meaning |"));
        table = table.substring(0, table.indexOf("\n\n"));
        assertTrue(Settings.DECLARED.size() >= 19, "settings: " + Settings.DECLARED);
        for (Settings.Declared setting : Settings.DECLARED) {
            assertTrue(usage.contains(setting.flag() + (setting.isBoolean() ? "[=" : " ")), setting + "\n" + usage);
            assertTrue(usage.contains(setting.help()), setting.key());
            assertTrue(usage.contains("env " + setting.environmentVariable() + "\n"), setting.key());
            String row = table.lines().filter(l -> l.startsWith("| `" + setting.flag())).findFirst()
                    .orElseThrow(() -> new AssertionError(setting.flag() + " has no row in README's configuration table"));
            assertTrue(row.contains("`" + setting.environmentVariable() + "`"), row);
            String shown = setting.defaultValue().isEmpty() ? "" : "`" + setting.defaultValue() + "`";
            assertTrue(row.contains(shown), "README default of " + setting.key() + ": " + row);
        }
        assertEquals(Settings.DECLARED.size(), table.lines().filter(l -> l.startsWith("| `--")).count(),
                "README lists a setting that application.properties does not declare");
    }

    /** A SYNC_* name in the deployment, the docs or the build that no setting answers to is a silent no-op. */
    @Test
    void everyEnvironmentVariableNamedAnywhereIsASetting() throws IOException {
        java.util.Set<String> known = new java.util.HashSet<>();
        Settings.DECLARED.forEach(d -> known.add(d.environmentVariable()));
        java.util.regex.Pattern name = java.util.regex.Pattern.compile("SYNC_[A-Z_]+");
        List<Path> files = new java.util.ArrayList<>(List.of(Path.of("README.md"), Path.of("docs/DEPLOY.md"),
                Path.of("pom.xml")));
        try (var walk = Files.walk(Path.of("kustomize"))) {
            walk.filter(f -> f.toString().endsWith(".yaml")).forEach(files::add);
        }
        for (Path file : files) {
            java.util.regex.Matcher m = name.matcher(Files.readString(file));
            while (m.find()) {
                assertTrue(known.contains(m.group()), file + " names " + m.group() + ", which is no setting");
            }
        }
    }

    private record Captured(String text) {
    }

    private static Captured captureErr(Runnable body) {
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            body.run();
        } finally {
            System.setErr(saved);
        }
        return new Captured(bytes.toString(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static Captured captureOut(Runnable body) {
        java.io.PrintStream saved = System.out;
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            body.run();
        } finally {
            System.setOut(saved);
        }
        return new Captured(bytes.toString(java.nio.charset.StandardCharsets.UTF_8));
    }
}
