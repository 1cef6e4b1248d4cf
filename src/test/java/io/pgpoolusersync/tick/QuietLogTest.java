package io.pgpoolusersync.tick;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgpoolusersync.Settings;
import io.pgpoolusersync.SyncApplication;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The log of a running sync (the app on the example manifests, ticking every 50 ms): a failure is logged
 * when it starts, its end once, and idle ticks only as a heartbeat.
 */
class QuietLogTest {

    @TempDir
    Path dir;

    @Test
    void theLogSaysWhatChangedNotEveryTick() throws Exception {
        Files.copy(Path.of("examples/pool_passwd"), dir.resolve("pool_passwd"));
        Path key = dir.resolve("key"); // missing at first: every tick fails the same way
        Settings settings = Settings.load(Map.of("manifests", "examples/secrets", "namespace", "demo",
                "postgres-name", "ha-postgres", "pool-passwd", dir.resolve("pool_passwd").toString(),
                "key-file", key.toString(), "period", "50ms", "heartbeat", "1s", "management-port", "0",
                "routes-dir", Path.of("routes").toAbsolutePath().toString()), Map.of());
        PrintStream saved = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String log;
        long idleTicks;
        try (SyncApplication app = new SyncApplication(settings, null)) {
            app.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> app.status().ticksFailed() >= 10);
            Files.copy(Path.of("examples/pgpoolkey"), key);
            await().atMost(Duration.ofSeconds(30)).until(() -> app.status().ticksOk() >= 1);
            long firstOk = app.status().ticksOk();
            // Idle ticks for a few heartbeats.
            await().atMost(Duration.ofSeconds(60)).until(() -> app.status().ticksOk() >= firstOk + 40
                    && bytes.toString(StandardCharsets.UTF_8).contains("idle ticks since the last line"));
            idleTicks = app.status().ticksOk() - firstOk;
        } finally {
            System.setErr(saved);
        }
        log = bytes.toString(StandardCharsets.UTF_8);
        System.err.print(log);
        assertEquals(1, log.lines().filter(l -> l.contains("WARN") && l.contains("tick failed")).count(),
                "the outage is logged when it starts, not every tick");
        assertEquals(1, log.lines().filter(l -> l.contains("INFO") && l.contains("ticks succeed again, after ")).count(),
                "and its end once");
        long tickLines = log.lines().filter(l -> l.contains("INFO") && l.contains("TickReport - tick: ")).count();
        assertTrue(tickLines >= 2 && tickLines < idleTicks / 4,
                tickLines + " INFO tick lines for " + idleTicks + " ticks: the first, then heartbeats");
    }
}
