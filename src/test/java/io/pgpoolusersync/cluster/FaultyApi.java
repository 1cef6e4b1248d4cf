package io.pgpoolusersync.cluster;

import io.fabric8.kubernetes.api.model.Secret;
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
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * fabric8's Kubernetes mock server in CRUD mode (no real API server can run here), with faults to switch
 * on: Secret lists and Event creations answered with an error code (and a Retry-After), and every such
 * request recorded with its time, so that a test can count what the client sent.
 */
public final class FaultyApi implements AutoCloseable {

    private final Faults faults;
    private final KubernetesMockServer server;
    private final NamespacedKubernetesClient client;

    public FaultyApi() {
        Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
        faults = new Faults(new KubernetesMixedDispatcher(responses));
        server = new KubernetesMockServer(new Context(Serialization.jsonMapper()), new MockWebServer(), responses,
                faults, true);
        server.init();
        client = server.createClient();
    }

    public NamespacedKubernetesClient client() {
        return client;
    }

    public void put(Secret secret) {
        client.secrets().inNamespace(secret.getMetadata().getNamespace()).resource(secret).createOr(r -> r.update());
    }

    /** 0: lists work; else every Secret list is answered with this code, and Retry-After when not null. */
    public void failLists(int code, String retryAfter) {
        faults.listCode = code;
        faults.retryAfter = retryAfter;
    }

    /** 0: Events are created; else every Event creation is answered with this code. */
    public void failEvents(int code) {
        faults.eventCode = code;
    }

    /** When each Secret list (not watch) arrived, failed or not. */
    public List<Instant> lists() {
        return List.copyOf(faults.lists);
    }

    /** When each Event creation arrived, failed or not. */
    public List<Instant> eventPosts() {
        return List.copyOf(faults.events);
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }

    private static final class Faults extends Dispatcher {
        private final Dispatcher crud;
        private final List<Instant> lists = new CopyOnWriteArrayList<>();
        private final List<Instant> events = new CopyOnWriteArrayList<>();
        private volatile int listCode;
        private volatile String retryAfter;
        private volatile int eventCode;

        Faults(Dispatcher crud) {
            this.crud = crud;
        }

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            String[] parts = request.getPath().split("\\?", 2);
            boolean get = "GET".equalsIgnoreCase(request.getMethod());
            boolean list = get && parts[0].endsWith("/secrets") && !(parts.length > 1 && parts[1].contains("watch=true"));
            boolean event = "POST".equalsIgnoreCase(request.getMethod()) && parts[0].endsWith("/events");
            if (list) {
                lists.add(Instant.now());
                if (listCode != 0) {
                    MockResponse error = status(listCode);
                    return retryAfter == null ? error : error.setHeader("Retry-After", retryAfter);
                }
            }
            if (event) {
                events.add(Instant.now());
                if (eventCode != 0) {
                    return status(eventCode);
                }
            }
            return crud.dispatch(request);
        }

        private static MockResponse status(int code) {
            return new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json")
                    .setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"code\":" + code
                            + ",\"message\":\"injected by the test\"}");
        }

        @Override
        public void shutdown() {
            crud.shutdown();
        }
    }
}
