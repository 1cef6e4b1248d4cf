package io.pgpoolusersync;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A user's broken route: one that does not load or start stops the run at start with exit 2 and one
 * message naming the file, the line and the reason; one whose step throws at run time fails its tick
 * as any error does, and pool_passwd stays as it was.
 */
class BrokenRoutesTest {

    @TempDir
    Path dir;

    private Path routes;
    private Path poolPasswd;

    private String[] once() throws IOException {
        routes = Files.createDirectories(dir.resolve("routes"));
        poolPasswd = dir.resolve("pool_passwd");
        if (!Files.exists(poolPasswd)) {
            Files.copy(Path.of("examples/pool_passwd"), poolPasswd);
        }
        return new String[] {"--once", "--manifests", "examples/secrets", "--namespace", "demo",
            "--postgres-name", "ha-postgres", "--pool-passwd", poolPasswd.toString(), "--key-file",
            "examples/pgpoolkey", "--routes-dir", routes.toString()};
    }

    /** Each broken step sits on line 10 of its file, nested where Camel alone names only the outer step. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "unknown component | '- to: nosuch:thing'                       | No endpoint could be found for: nosuch://thing",
        "bad expression    | '- setBody:;;    simple: \"${body.users\"'  | expected symbol functionEnd",
        "unknown step      | '- tooo: x'                                | Unknown node id: tooo",
        "missing bean      | '- bean:;;    ref: noSuchBean'              | noSuchBean",
        "missing property  | '- to: \"{{webhook.url}}\"'                | webhook.url",
    })
    void aRouteThatDoesNotLoadStopsTheStartWithFileLineAndReason(String name, String step, String reason)
            throws IOException {
        String[] args = once();
        Path file = routes.resolve("mine.camel.yaml");
        Files.writeString(file, """
                # a route of the user's own
                - route:
                    id: mine
                    from:
                      uri: direct:policy
                      steps:
                        - filter:
                            simple: "${body} != null"
                            steps:
                              %s
                """.formatted(step.replace(";;", "\n                  ")));
        byte[] before = Files.readAllBytes(poolPasswd);

        String err = stderrOf(() -> assertEquals(2, Main.run(args, Map.of()), "exit 2: a route error"));

        assertTrue(err.contains("route file " + file.toAbsolutePath() + " line 10"), err);
        assertTrue(err.contains(reason), err);
        assertEquals(1, err.lines().filter(l -> l.startsWith("pgpool-user-sync:")).count(), "printed once: " + err);
        assertArrayEquals(before, Files.readAllBytes(poolPasswd), "pool_passwd untouched");
    }

    @Test
    void aStepThatThrowsFailsItsTickAndLeavesPoolPasswdAsItWas() throws Exception {
        String[] args = once();
        Files.writeString(routes.resolve("policy.camel.yaml"), """
                - route:
                    id: policy
                    from:
                      uri: direct:policy
                      steps:
                        - throwException:
                            exceptionType: java.lang.IllegalStateException
                            message: the policy service is down
                """);
        byte[] before = Files.readAllBytes(poolPasswd);
        String err = stderrOf(() -> assertEquals(1, Main.run(args, Map.of()), "exit 1: a failed tick"));
        assertTrue(err.contains("the policy service is down"), err);
        assertArrayEquals(before, Files.readAllBytes(poolPasswd));

        // And in a daemon: every tick fails the same way, the file stays as it was, the next tick tries again.
        Settings settings = Settings.load(Map.of("namespace", "demo", "postgres-name", "ha-postgres",
                "manifests", "examples/secrets", "pool-passwd", poolPasswd.toString(), "key-file", "examples/pgpoolkey",
                "period", "100ms", "management-port", "0", "routes-dir", routes.toString()), Map.of());
        try (SyncApplication app = new SyncApplication(settings, null)) {
            app.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> app.status().ticksFailed() >= 3);
            assertEquals(0, app.status().ticksOk());
            assertTrue(app.status().lastError().contains("the policy service is down"), app.status().lastError());
        }
        assertArrayEquals(before, Files.readAllBytes(poolPasswd));
    }

    private static String stderrOf(Runnable run) {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            run.run();
        } finally {
            System.setErr(saved);
        }
        String text = err.toString(StandardCharsets.UTF_8);
        saved.print(text);
        return text;
    }
}
