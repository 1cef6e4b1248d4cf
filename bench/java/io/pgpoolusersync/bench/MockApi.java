package io.pgpoolusersync.bench;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesAttributesExtractor;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.UUID;

/**
 * The fabric8 Kubernetes mock server in CRUD mode, over TLS, holding the benchmark's user Secrets.
 *
 * <p>Secrets are loaded in bulk by handing each one to the CRUD store exactly as its POST handler does
 * after validation ({@code processEvent}), skipping only the handler's "already exists" scan: that scan
 * walks every stored object, which makes N creates over HTTP cost O(N^2) (10k Secrets took 85 s). The
 * stored JSON carries the metadata a POST would give it (uid, creationTimestamp, resourceVersion,
 * generation). One Secret is created over HTTP first and compared with a bulk-loaded one, so a change in
 * the mock's storage shows up as an error here instead of as a wrong figure.
 */
final class MockApi implements AutoCloseable {

    static final String NAMESPACE = "demo";
    static final String POSTGRES = "ha-postgres";
    private static final String PATH = "/api/v1/namespaces/" + NAMESPACE + "/secrets";
    private static final Instant EPOCH = Instant.parse("2024-01-01T00:00:00Z");

    private final KubernetesCrudDispatcher dispatcher = new KubernetesCrudDispatcher();
    private final KubernetesMockServer server;
    private final NamespacedKubernetesClient client;
    private int loaded;

    MockApi() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, true);
        server.init();
        client = server.createClient();
    }

    String masterUrl() {
        return client.getConfiguration().getMasterUrl();
    }

    NamespacedKubernetesClient client() {
        return client;
    }

    int size() {
        return loaded;
    }

    /** User i: a name like a real role and a 20-character password, the same on every run. */
    static String user(int i) {
        return String.format("app_user_%05d", i);
    }

    static String password(int i) {
        java.util.Random random = new java.util.Random(0x5eed_0000L + i);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder out = new StringBuilder(20);
        for (int k = 0; k < 20; k++) {
            out.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return out.toString();
    }

    static Secret secret(int i) {
        Base64.Encoder b64 = Base64.getEncoder();
        return new SecretBuilder()
                .withNewMetadata()
                .withName("pg-user-" + i)
                .withNamespace(NAMESPACE)
                .addToLabels("app.kubernetes.io/instance", POSTGRES)
                .addToLabels("app.kubernetes.io/name", "postgreses.kubedb.com")
                .endMetadata()
                .withType("Opaque")
                .addToData("username", b64.encodeToString(user(i).getBytes(StandardCharsets.UTF_8)))
                .addToData("password", b64.encodeToString(password(i).getBytes(StandardCharsets.UTF_8)))
                .build();
    }

    /** Adds Secrets until the namespace holds {@code n} user Secrets (they are never removed). */
    void loadUpTo(int n) {
        if (loaded == 0 && n > 0) {
            // The first one through the real POST handler: the reference the bulk path must match.
            client.secrets().inNamespace(NAMESPACE).resource(secret(0)).create();
            loaded = 1;
            if (n > 1) {
                put(1);
                loaded = 2;
                checkSameShape();
            }
        }
        for (int i = loaded; i < n; i++) {
            put(i);
        }
        loaded = Math.max(loaded, n);
        int listed = client.secrets().inNamespace(NAMESPACE)
                .withLabel("app.kubernetes.io/instance", POSTGRES).list().getItems().size();
        if (listed != loaded) {
            throw new IllegalStateException("mock API lists " + listed + " Secrets, expected " + loaded);
        }
    }

    private void put(int i) {
        Secret secret = secret(i);
        secret.getMetadata().setUid(UUID.nameUUIDFromBytes(("bench-" + i).getBytes(StandardCharsets.UTF_8)).toString());
        // Distinct creation times, one second apart: the seniority order is then the load order.
        secret.getMetadata().setCreationTimestamp(EPOCH.plusSeconds(i).toString());
        secret.getMetadata().setResourceVersion(Long.toString(dispatcher.requestResourceVersion()));
        secret.getMetadata().setGeneration(1L);
        String json = Serialization.asJson(secret);
        GenericKubernetesResource resource = Serialization.unmarshal(json, GenericKubernetesResource.class);
        AttributeSet attributes = dispatcher.getKey(PATH)
                .add(new Attribute(KubernetesAttributesExtractor.NAME, secret.getMetadata().getName()));
        dispatcher.processEvent(PATH, attributes, null, resource, Serialization.asJson(resource));
    }

    /** The bulk-loaded Secret must be stored under the same kind of key as the POSTed one. */
    private void checkSameShape() {
        List<AttributeSet> keys = List.copyOf(dispatcher.getMap().keySet());
        if (keys.size() != 2) {
            throw new IllegalStateException("expected 2 stored objects, found " + keys.size());
        }
        String posted = normalized(keys.get(0), "pg-user-0");
        String bulk = normalized(keys.get(1), "pg-user-1");
        if (!posted.equals(bulk)) {
            throw new IllegalStateException("bulk-loaded Secret is stored differently from a POSTed one:\n  "
                    + posted + "\n  " + bulk);
        }
        Secret one = client.secrets().inNamespace(NAMESPACE).withName("pg-user-1").get();
        if (one == null || !one.getData().equals(secret(1).getData())) {
            throw new IllegalStateException("bulk-loaded Secret pg-user-1 does not read back");
        }
    }

    /** The key's attributes in a stable order, with the Secret's name taken out. */
    private static String normalized(AttributeSet key, String name) {
        String text = key.toString().replace(name, "NAME");
        return java.util.Arrays.stream(text.split("[,{}\\[\\]]")).map(String::trim).filter(t -> !t.isEmpty())
                .sorted().collect(java.util.stream.Collectors.joining(","));
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }
}
