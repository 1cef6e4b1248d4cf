package io.pgpoolusersync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
        assertEquals(3000, fromEnv.periodMillis());
        assertEquals(9898, fromEnv.pcpPort(), "default from application.properties");
        Settings fromFlag = Settings.load(Main.parse(new String[] {"--namespace=flag", "--period", "250ms"}), env);
        assertEquals("flag", fromFlag.namespace());
        assertEquals(250, fromFlag.periodMillis());
        assertThrows(IllegalArgumentException.class, () -> Main.parse(new String[] {"positional"}));
    }
}
