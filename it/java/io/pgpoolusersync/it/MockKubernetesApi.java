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
import io.pgpoolusersync.secrets.SecretSelector;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Queue;
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

    /** The CRUD dispatcher, or an error for Secret lists while failing. */
    private static final class FaultSwitch extends Dispatcher {
        private final Dispatcher crud;
        private final AtomicInteger failed = new AtomicInteger();
        private volatile boolean failing;

        FaultSwitch(Dispatcher crud) {
            this.crud = crud;
        }

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            String path = request.getPath();
            boolean listsSecrets = "GET".equalsIgnoreCase(request.getMethod()) && path != null
                    && path.split("\\?", 2)[0].endsWith("/secrets");
            if (failing && listsSecrets) {
                int n = failed.incrementAndGet();
                int code = n % 2 == 1 ? 500 : 403;
                return new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json")
                        .setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"code\":" + code
                                + ",\"reason\":\"" + (code == 500 ? "InternalError" : "Forbidden")
                                + "\",\"message\":\"injected by the test\"}");
            }
            return crud.dispatch(request);
        }

        @Override
        public void shutdown() {
            crud.shutdown();
        }
    }
}
