package io.pgpoolusersync.observe;

import static io.pgpoolusersync.secrets.SecretsFixture.user;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.pgpoolusersync.Settings;
import io.pgpoolusersync.SyncApplication;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster route against the fabric8 Kubernetes mock server in CRUD mode (no real API server can
 * run here): namespace and labels select the Secrets, a rejected Secret gets one Warning Event, and the
 * management port serves readiness and the sync's metrics.
 */
@EnableKubernetesMockClient(crud = true)
class ClusterSyncTest {

    KubernetesClient client;

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void syncsSelectedSecretsRecordsEventsAndServesHealthAndMetrics() throws Exception {
        Files.writeString(dir.resolve("pool_passwd"), "postgres:TEXTadmin\n");
        Files.writeString(dir.resolve("key"), "pgpool secret key\n");
        create(user("sync-secret", "john", "12345"));
        create(user("bad", "bob", "two\nlines"));
        create(new SecretBuilder(user("other-ns", "eve", "x")).editMetadata().withNamespace("prod").endMetadata().build());
        create(new SecretBuilder(user("other-pg", "mallory", "x")).editMetadata()
                .addToLabels("app.kubernetes.io/instance", "another").endMetadata().build());

        int port = freePort();
        Settings settings = Settings.load(Map.of("namespace", "demo", "postgres-name", "ha-postgres",
                "pool-passwd", dir.resolve("pool_passwd").toString(), "key-file", dir.resolve("key").toString(),
                "period", "1s", "routes-dir", Path.of("routes").toAbsolutePath().toString(),
                "management-port", Integer.toString(port)), Map.of());
        try (SyncApplication app = new SyncApplication(settings, client)) {
            app.start();
            await().atMost(Duration.ofSeconds(20)).until(() -> app.status().ticksOk() >= 3);

            assertEquals("postgres:TEXTadmin\njohn:AES106tf0TquKDOqUM/KA+DFQ==\n",
                    Files.readString(dir.resolve("pool_passwd")));

            // Events are sent by a thread of their own, after the tick.
            await().atMost(Duration.ofSeconds(20)).until(() -> !client.v1().events().inNamespace("demo").list()
                    .getItems().isEmpty());
            long ticks = app.status().ticksOk();
            await().atMost(Duration.ofSeconds(20)).until(() -> app.status().ticksOk() >= ticks + 2);
            List<Event> events = client.v1().events().inNamespace("demo").list().getItems();
            assertEquals(1, events.size(), "one Event for the bad Secret, not one per tick");
            assertEquals("bad", events.get(0).getInvolvedObject().getName());
            assertEquals("CONTROL_CHARACTER", events.get(0).getReason(), "the spelling of the log and README");
            assertEquals("Warning", events.get(0).getType());
            assertFalse(events.get(0).getMessage().contains("two"), "no password in the Event");

            HttpResponse<String> ready = get(port, "/observe/health/ready");
            assertEquals(200, ready.statusCode(), ready.body());
            assertEquals(200, get(port, "/observe/health/live").statusCode());
            String metrics = get(port, "/observe/metrics").body();
            assertTrue(metrics.contains("pgpool_user_sync_users_managed 1.0"), metrics);
            assertTrue(metrics.contains("pgpool_user_sync_secrets_rejected{reason=\"CONTROL_CHARACTER\"} 1.0"), metrics);
            assertTrue(metrics.contains("pgpool_user_sync_ticks_total{result=\"ok\"}"), metrics);
            assertTrue(metrics.contains("pgpool_user_sync_tick_duration_seconds_count"), metrics);
        }
    }

    @Test
    void notReadyUntilATickSucceeds() throws Exception {
        int port = freePort();
        Settings settings = Settings.load(Map.of("namespace", "demo", "postgres-name", "ha-postgres",
                "pool-passwd", dir.resolve("pool_passwd").toString(), "key-file", dir.resolve("missing-key").toString(),
                "period", "1s", "routes-dir", Path.of("routes").toAbsolutePath().toString(),
                "management-port", Integer.toString(port)), Map.of());
        try (SyncApplication app = new SyncApplication(settings, client)) {
            app.start();
            await().atMost(Duration.ofSeconds(20)).until(() -> app.status().ticksFailed() >= 2);
            HttpResponse<String> ready = get(port, "/observe/health/ready");
            assertEquals(503, ready.statusCode());
            assertTrue(ready.body().contains("no successful tick yet"), ready.body());
            assertFalse(Files.exists(dir.resolve("pool_passwd")), "nothing written without a key");
        }
    }

    private void create(Secret secret) {
        client.secrets().inNamespace(secret.getMetadata().getNamespace()).resource(secret).create();
    }

    private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
