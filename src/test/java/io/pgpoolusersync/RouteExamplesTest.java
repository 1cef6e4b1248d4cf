package io.pgpoolusersync;

import static io.pgpoolusersync.secrets.SecretsFixture.user;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.pgpoolusersync.secrets.RejectReason;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two customizations of examples/routes/, each on a routes folder holding only it (the built-in
 * routes do the rest), against the fabric8 Kubernetes mock server in CRUD mode (no real API server runs
 * here) and a local HTTP receiver.
 */
@EnableKubernetesMockClient(crud = true)
class RouteExamplesTest {

    KubernetesClient client;

    @TempDir
    Path dir;

    private final ObjectMapper json = new ObjectMapper();

    @AfterEach
    void clearUrl() {
        System.clearProperty("webhook.url");
    }

    private SyncApplication sync(String example, int managementPort) throws IOException {
        Path routes = Files.createDirectories(dir.resolve("routes"));
        Files.copy(Path.of("examples/routes", example), routes.resolve(example));
        Files.writeString(dir.resolve("pool_passwd"), "postgres:TEXTadmin\n");
        Files.writeString(dir.resolve("key"), "pgpool secret key\n");
        Map<String, String> flags = new HashMap<>(Map.of("namespace", "demo", "postgres-name", "ha-postgres",
                "pool-passwd", dir.resolve("pool_passwd").toString(), "key-file", dir.resolve("key").toString(),
                "period", "1s", "routes-dir", routes.toString(), "watch", "false",
                "management-port", Integer.toString(managementPort)));
        return new SyncApplication(Settings.load(flags, Map.of()), client);
    }

    @Test
    void webhookIsToldOfEveryChangeAndRejectionWithNamesReasonsAndCounts() throws Exception {
        create(user("john-secret", "john", "Pw-john-4711"));
        create(user("bad", "bob", "two\nlines"));
        try (WebhookReceiver receiver = new WebhookReceiver(WebhookReceiver.Mode.OK)) {
            System.setProperty("webhook.url", receiver.url());
            try (SyncApplication app = sync("webhook.camel.yaml", 0)) {
                app.start();
                await().atMost(Duration.ofSeconds(30)).until(() -> receiver.bodies().size() >= 1);
                JsonNode first = json.readTree(receiver.bodies().get(0));
                assertEquals("ok", first.get("result").asText());
                assertTrue(first.get("written").asBoolean());
                assertEquals(List.of("john"), names(first.get("added")));
                assertEquals("demo/bad", first.get("rejected").get(0).get("secret").asText());
                assertEquals("bob", first.get("rejected").get(0).get("user").asText());
                assertEquals("CONTROL_CHARACTER", first.get("rejected").get(0).get("reason").asText());
                assertEquals(1, first.get("counts").get("added").asInt());
                assertEquals(1, first.get("counts").get("rejected").asInt());

                // Idle ticks tell nothing; the next change is told.
                long ticks = app.status().ticksOk();
                await().atMost(Duration.ofSeconds(30)).until(() -> app.status().ticksOk() >= ticks + 3);
                assertEquals(1, receiver.bodies().size(), "nothing to tell on idle ticks: " + receiver.bodies());
                create(user("jane-secret", "jane", "Pw-jane-0815"));
                await().atMost(Duration.ofSeconds(30)).until(() -> receiver.bodies().size() >= 2);
                JsonNode second = json.readTree(receiver.bodies().get(1));
                assertEquals(List.of("jane"), names(second.get("added")));
                assertEquals(0, second.get("counts").get("newRejections").asInt());
            }
            for (String body : receiver.bodies()) {
                assertFalse(body.contains("Pw-john-4711") || body.contains("Pw-jane-0815") || body.contains("two\\nlines")
                        || body.contains("AES"), "no password or entry: " + body);
            }
        }
    }

    @Test
    void aFailingWebhookNeverFailsTheTick() throws Exception {
        create(user("john-secret", "john", "Pw-john-4711"));
        try (WebhookReceiver receiver = new WebhookReceiver(WebhookReceiver.Mode.FAIL)) {
            System.setProperty("webhook.url", receiver.url());
            try (SyncApplication app = sync("webhook.camel.yaml", 0)) {
                app.start();
                await().atMost(Duration.ofSeconds(30)).until(() -> receiver.bodies().size() >= 1);
                create(user("jane-secret", "jane", "Pw-jane-0815"));
                await().atMost(Duration.ofSeconds(30)).until(() -> receiver.bodies().size() >= 2);
                long ticks = app.status().ticksOk();
                await().atMost(Duration.ofSeconds(30)).until(() -> app.status().ticksOk() >= ticks + 3);
                assertEquals(0, app.status().ticksFailed(), app.status().lastError());
                assertTrue(Files.readString(dir.resolve("pool_passwd")).contains("\njane:"));
            }
        }
    }

    /** The receiver holds every request until the end: ticks go on, and a new user is synced meanwhile. */
    @Test
    void aHangingWebhookNeverDelaysTheTick() throws Exception {
        create(user("john-secret", "john", "Pw-john-4711"));
        try (WebhookReceiver receiver = new WebhookReceiver(WebhookReceiver.Mode.HANG)) {
            System.setProperty("webhook.url", receiver.url());
            try (SyncApplication app = sync("webhook.camel.yaml", 0)) {
                app.start();
                await().atMost(Duration.ofSeconds(30)).until(() -> receiver.bodies().size() >= 1);
                long ticks = app.status().ticksOk();
                create(user("jane-secret", "jane", "Pw-jane-0815"));
                // Within the webhook's 10 s response timeout: the first POST still hangs meanwhile.
                await().atMost(Duration.ofSeconds(9)).until(() -> app.status().ticksOk() >= ticks + 3
                        && Files.readString(dir.resolve("pool_passwd")).contains("\njane:"));
                assertEquals(1, receiver.bodies().size(), "the first POST still hangs");
                assertEquals(0, app.status().ticksFailed(), app.status().lastError());
            }
        }
    }

    @Test
    void policyInYamlRejectsPostgresUsersWithAReasonOfItsOwnLikeAnyRejection() throws Exception {
        create(user("john-secret", "john", "Pw-john-4711"));
        create(user("admin-copy", "postgres_admin", "Pw-admin-1234"));
        int port = freePort();
        try (SyncApplication app = sync("policy-no-postgres-users.camel.yaml", port)) {
            app.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> app.status().ticksOk() >= 3);

            String content = Files.readString(dir.resolve("pool_passwd"));
            assertTrue(content.contains("\njohn:"), content);
            assertFalse(content.contains("postgres_admin"), content);
            assertEquals(1, app.status().rejected(RejectReason.of("RESERVED_USERNAME")));

            List<Event> events = client.v1().events().inNamespace("demo").list().getItems();
            assertEquals(1, events.size(), "one Event, not one per tick");
            assertEquals("admin-copy", events.get(0).getInvolvedObject().getName());
            assertEquals("RESERVED_USERNAME", events.get(0).getReason());
            assertTrue(events.get(0).getMessage().contains("reserved"), events.get(0).getMessage());

            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/observe/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(metrics.contains("pgpool_user_sync_secrets_rejected{reason=\"RESERVED_USERNAME\"} 1.0"), metrics);
        }
    }

    private static List<String> names(JsonNode array) {
        return java.util.stream.StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
    }

    private void create(Secret secret) {
        client.secrets().inNamespace(secret.getMetadata().getNamespace()).resource(secret).create();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
