package io.pgpoolusersync.it;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import io.pgpoolusersync.secrets.SecretSelector;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Kubernetes API for the tests: fabric8's mock server in CRUD mode (set up as its JUnit extension
 * does with {@code crud = true}, over HTTPS), with one switch added: while an outage is on, every request
 * that lists Secrets is answered with an error, alternately 500 (which the client retries) and 403 (which
 * it does not). Creating, replacing and deleting Secrets keeps working, so a test can change them during
 * the outage.
 */
final class MockKubernetesApi implements AutoCloseable {

    private final FaultSwitch dispatcher;
    private final KubernetesMockServer server;
    private final NamespacedKubernetesClient client;

    private MockKubernetesApi() {
        Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
        dispatcher = new FaultSwitch(new KubernetesMixedDispatcher(responses));
        server = new KubernetesMockServer(new Context(Serialization.jsonMapper()), new MockWebServer(), responses,
                dispatcher, true);
        server.init();
        client = server.createClient();
    }

    static MockKubernetesApi start() {
        return new MockKubernetesApi();
    }

    /** A client of the mock; the app gets this one, the test uses it too. */
    NamespacedKubernetesClient client() {
        return client;
    }

    void outage(boolean on) {
        dispatcher.failing = on;
    }

    /** Secret lists answered with an error so far. */
    int failedLists() {
        return dispatcher.failed.get();
    }

    /** Creates or replaces a Secret. */
    void put(Secret secret) {
        client.secrets().inNamespace(secret.getMetadata().getNamespace()).resource(secret).createOr(r -> r.update());
    }

    void delete(String namespace, String name) {
        client.secrets().inNamespace(namespace).withName(name).delete();
    }

    /**
     * A Secret as a user writes it, with base64 {@code data} (the mock does not merge stringData), in
     * {@code namespace}, with the given labels.
     */
    static Secret secret(String namespace, String name, Map<String, String> labels, Map<String, byte[]> data) {
        Map<String, String> encoded = new LinkedHashMap<>();
        data.forEach((k, v) -> encoded.put(k, Base64.getEncoder().encodeToString(v)));
        return new SecretBuilder().withNewMetadata().withNamespace(namespace).withName(name).withLabels(labels)
                .endMetadata().withType("Opaque").withData(encoded).build();
    }

    /** The two labels a user Secret of {@code postgresName} carries. */
    static Map<String, String> userLabels(String postgresName) {
        return Map.of(SecretSelector.INSTANCE_LABEL, postgresName,
                SecretSelector.NAME_LABEL, SecretSelector.NAME_VALUE);
    }

    static byte[] utf8(String text) {
        return text.getBytes(UTF_8);
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }

    /**
     * The CRUD dispatcher, or an error for Secret requests while failing. Watches (GET with watch=true)
     * are tracked, so that a test can close them or expire them as an API server does (410 Gone).
     */
    private static final class FaultSwitch extends Dispatcher {
        private final Dispatcher crud;
        private final AtomicInteger failed = new AtomicInteger();
        private final AtomicInteger watchRequests = new AtomicInteger();
        private final AtomicInteger lists = new AtomicInteger();
        private final Set<WebSocket> watches = ConcurrentHashMap.newKeySet();
        private volatile boolean failing;
        private volatile boolean watchesFailing;

        FaultSwitch(Dispatcher crud) {
            this.crud = crud;
        }

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            String path = request.getPath();
            String[] parts = path == null ? new String[] {""} : path.split("\\?", 2);
            boolean secrets = "GET".equalsIgnoreCase(request.getMethod()) && parts[0].endsWith("/secrets");
            boolean watch = secrets && parts.length > 1 && parts[1].contains("watch=true");
            if (watch) {
                watchRequests.incrementAndGet();
            } else if (secrets) {
                lists.incrementAndGet();
            }
            if (secrets && (failing || (watch && watchesFailing))) {
                int n = watch ? 1 : failed.incrementAndGet();
                int code = n % 2 == 1 ? 500 : 403;
                return new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json")
                        .setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"code\":" + code
                                + ",\"reason\":\"" + (code == 500 ? "InternalError" : "Forbidden")
                                + "\",\"message\":\"injected by the test\"}");
            }
            MockResponse response = crud.dispatch(request);
            WebSocketListener listener = response.getWebSocketListener();
            if (watch && listener != null) {
                response.withWebSocketUpgrade(new Tracked(listener));
            }
            return response;
        }

        /** Remembers an open watch until it closes. */
        private final class Tracked extends WebSocketListener {
            private final WebSocketListener inner;

            Tracked(WebSocketListener inner) {
                this.inner = inner;
            }

            @Override
            public void onOpen(WebSocket ws, Response response) {
                watches.add(ws);
                inner.onOpen(ws, response);
            }

            @Override
            public void onMessage(WebSocket ws, String text) {
                inner.onMessage(ws, text);
            }

            @Override
            public void onClosing(WebSocket ws, int code, String reason) {
                watches.remove(ws);
                inner.onClosing(ws, code, reason);
            }

            @Override
            public void onClosed(WebSocket ws, int code, String reason) {
                watches.remove(ws);
                inner.onClosed(ws, code, reason);
            }

            @Override
            public void onFailure(WebSocket ws, Throwable error, Response response) {
                watches.remove(ws);
                inner.onFailure(ws, error, response);
            }
        }

        @Override
        public void shutdown() {
            crud.shutdown();
        }
    }

    /** Lists of Secrets asked for so far (GET without watch=true), failed ones included. */
    int secretLists() {
        return dispatcher.lists.get();
    }

    /** Watches of Secrets asked for so far (each reconnect is one). */
    int watchRequests() {
        return dispatcher.watchRequests.get();
    }

    /** Watches of Secrets open now. */
    int openWatches() {
        return dispatcher.watches.size();
    }

    /** While on, every watch request is refused (500/403); lists keep working. */
    void watchesFailing(boolean on) {
        dispatcher.watchesFailing = on;
    }

    /** Closes every open watch, as a load balancer or an API server restart does. */
    void closeWatches() {
        dispatcher.watches.forEach(ws -> ws.close(1000, "closed by the test"));
    }

    /**
     * Ends every open watch as an API server does when the client's resourceVersion is too old: an ERROR
     * event with a 410 Status, then close. The client must list again.
     */
    void expireWatches() {
        String gone = "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
                + "\"status\":\"Failure\",\"message\":\"too old resource version: 1 (2)\",\"reason\":\"Expired\","
                + "\"code\":410}}";
        dispatcher.watches.forEach(ws -> {
            ws.send(gone);
            ws.close(1000, "expired by the test");
        });
    }
}
