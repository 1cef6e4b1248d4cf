package io.pgpoolusersync.cluster;

import static io.pgpoolusersync.secrets.SecretsFixture.user;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgpoolusersync.Settings;
import io.pgpoolusersync.SyncApplication;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a failing list costs at the API server (fabric8's CRUD mock server with faults, {@link FaultyApi}):
 * one request per tick, no retries inside the tick, and a 429's Retry-After kept by the following ticks.
 */
class ApiClientsTest {

    @TempDir
    Path dir;

    private FaultyApi api;

    @BeforeEach
    void start() throws Exception {
        api = new FaultyApi();
        api.put(user("sync-secret", "john", "12345"));
        Files.writeString(dir.resolve("pool_passwd"), "postgres:TEXTadmin\n");
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private SyncApplication app() throws Exception {
        Settings settings = Settings.load(Map.of("namespace", "demo", "postgres-name", "ha-postgres",
                "pool-passwd", dir.resolve("pool_passwd").toString(), "format", "text", "period", "1s",
                "watch", "false", "management-port", "0",
                "routes-dir", Path.of("routes").toAbsolutePath().toString()), Map.of());
        return new SyncApplication(settings, api.client());
    }

    @Test
    void aFailedListCostsOneRequest() throws Exception {
        api.failLists(500, null);
        try (SyncApplication app = app()) {
            app.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> app.status().ticksFailed() >= 3);
            long failed = app.status().ticksFailed();
            int lists = api.lists().size();
            // fabric8's defaults: 11 requests per failed list (10 retries with back-off, ~19 s in the tick).
            assertTrue(lists >= failed && lists <= failed + 1, lists + " lists for " + failed + " failed ticks");
            assertTrue(app.status().lastError().contains("500"), app.status().lastError());
        }
    }

    @Test
    void retryAfterIsKeptByTheNextTicksNotWaitedOutInsideOne() throws Exception {
        api.failLists(429, "5");
        try (SyncApplication app = app()) {
            app.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> app.status().ticksFailed() >= 1);
            long after429 = app.status().ticksFailed();
            // The next ticks end at once (the timer keeps its period), without asking the API server.
            await().atMost(Duration.ofSeconds(20)).until(() -> app.status().ticksFailed() >= after429 + 2);
            assertEquals(1, api.lists().size(), "no list before Retry-After: " + api.lists());
            assertTrue(app.status().lastError().contains("Retry-After 5 s"), app.status().lastError());

            api.failLists(0, null);
            await().atMost(Duration.ofSeconds(30)).until(() -> app.status().ticksOk() >= 1);
            List<Instant> lists = api.lists();
            Duration gap = Duration.between(lists.get(0), lists.get(1));
            assertTrue(gap.compareTo(Duration.ofMillis(4_900)) >= 0, "second list " + gap + " after the 429");
            assertTrue(Files.readString(dir.resolve("pool_passwd")).contains("john:"), "synced once allowed");
        }
    }
}
