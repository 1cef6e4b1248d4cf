package io.pgpoolusersync.observe;

import static io.pgpoolusersync.secrets.SecretsFixture.user;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Event;
import io.pgpoolusersync.Settings;
import io.pgpoolusersync.SyncApplication;
import io.pgpoolusersync.cluster.FaultyApi;
import io.pgpoolusersync.secrets.RejectReason;
import io.pgpoolusersync.secrets.Rejection;
import io.pgpoolusersync.secrets.SecretRef;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Events while the API refuses them (fabric8's CRUD mock server with faults): they never hold up a tick,
 * cost one request per back-off, and a 403 is tried again later rather than switched off until restart.
 */
class RejectionEventsTest {

    @TempDir
    Path dir;

    private FaultyApi api;

    @BeforeEach
    void start() {
        api = new FaultyApi();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    @Test
    void failingEventsDoNotDelayTicksNorNewUsers() throws Exception {
        api.failEvents(500);
        for (int i = 0; i < 20; i++) {
            api.put(user("bad-" + i, "bad" + i, "two\nlines"));
        }
        Files.writeString(dir.resolve("pool_passwd"), "postgres:TEXTadmin\n");
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Settings settings = Settings.load(Map.of("namespace", "demo", "postgres-name", "ha-postgres",
                "pool-passwd", dir.resolve("pool_passwd").toString(), "format", "text", "period", "1s",
                "watch", "false", "management-port", Integer.toString(port),
                "routes-dir", Path.of("routes").toAbsolutePath().toString()), Map.of());
        try (SyncApplication app = new SyncApplication(settings, api.client())) {
            app.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> app.status().ticksOk() >= 1);
            api.put(user("new-user", "newuser", "n3w"));
            // Before: each of the 20 Events took 11 requests over ~19 s inside the first tick.
            await("the new user, at the next ticks").atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertTrue(Files.readString(dir.resolve("pool_passwd")).contains("newuser:"), "newuser synced"));
            assertTrue(app.status().lastDuration().compareTo(Duration.ofSeconds(5)) < 0,
                    "a tick took " + app.status().lastDuration());
            assertTrue(api.eventPosts().size() <= 2, "one Event tried, then back-off: " + api.eventPosts().size());
            HttpResponse<String> live = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/observe/health/live")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, live.statusCode(), live.body());
        }
    }

    @Test
    void forbiddenIsTriedAgainLaterAndQueueIsBounded() throws IOException {
        api.failEvents(403);
        try (RejectionEvents events = new RejectionEvents(api.client(), Duration.ofMillis(100), Duration.ofMillis(400))) {
            events.rejected(rejection("first"));
            await("tried again after a 403").atMost(Duration.ofSeconds(20)).until(() -> api.eventPosts().size() >= 3);
            for (int i = 0; i < 150; i++) {
                events.rejected(rejection("more-" + i));
            }
            // 100 wait in the queue; the rest are dropped and counted, not queued without end.
            assertEquals(150 - RejectionEvents.QUEUE, events.dropped());

            api.failEvents(0); // RBAC granted: no restart needed
            await("Events recorded once allowed").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                List<Event> recorded = api.client().v1().events().inNamespace("demo").list().getItems();
                assertEquals(1 + RejectionEvents.QUEUE, recorded.size());
            });
            assertTrue(api.client().v1().events().inNamespace("demo").list().getItems().stream()
                    .allMatch(e -> e.getReason().equals("CONTROL_CHARACTER")), "the log's spelling");
        }
    }

    private static Rejection rejection(String name) {
        return new Rejection(new SecretRef("demo", name, "2026-01-01T00:00:00Z", "uid-" + name, "1"),
                RejectReason.CONTROL_CHARACTER, "password holds control character U+000A at index 3", "user");
    }
}
