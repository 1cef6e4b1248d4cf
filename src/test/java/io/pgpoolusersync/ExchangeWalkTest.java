package io.pgpoolusersync;

import static io.pgpoolusersync.secrets.SecretsFixture.user;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.AsyncCallback;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.NamedNode;
import org.apache.camel.Processor;
import org.apache.camel.spi.InterceptStrategy;
import org.apache.camel.support.processor.DelegateAsyncProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract of docs/ROUTES.md: anything a route can reach carries names, reasons and counts only.
 * An InterceptStrategy looks at the exchange before and after every step of real ticks (the built-in
 * routes, the policy and the webhook of examples/routes/, Secrets from the fabric8 Kubernetes mock in
 * CRUD mode): the body, every header, property and variable, as text, as Jackson writes them, and through
 * every public no-argument method (what simple's {@code ${body.x.y}} reaches). No password and no
 * pool_passwd entry may show anywhere, except between the camel-kubernetes producer and the
 * {@code userSecrets.read} step right after it, which is where the raw list exists.
 */
@EnableKubernetesMockClient(crud = true)
class ExchangeWalkTest {

    KubernetesClient client;

    @TempDir
    Path dir;

    @AfterEach
    void clearUrl() {
        System.clearProperty("webhook.url");
    }

    @Test
    void noStepOfARealTickSeesAPasswordOrAnEntry() throws Exception {
        assertEquals(List.of(), leaks(false, false));
    }

    /** The same with Secret manifests (stringData: the passwords as plain text in the files). */
    @Test
    void noStepOfARealTickOnManifestsSeesAPasswordOrAnEntry() throws Exception {
        assertEquals(List.of(), leaks(false, true));
    }

    /** The walk can fail: without the read step right after the producer, the raw Secrets show. */
    @Test
    void theWalkSeesPasswordsWhenTheSecretsAreNotReadAtOnce() throws Exception {
        List<String> leaks = leaks(true, false);
        String base64 = java.util.Base64.getEncoder().encodeToString("Pw-john-4711".getBytes(StandardCharsets.UTF_8));
        assertTrue(leaks.stream().anyMatch(l -> l.contains(base64)), String.join("\n", leaks));
    }

    private List<String> leaks(boolean withoutRead, boolean manifests) throws Exception {
        List<String> passwords = List.of("Pw-john-4711", "Pw-jane-0815", "Pw-admin-1234", "Bad-pw\u0001x", "Pw-changed-999");
        Path folder = Files.createDirectories(dir.resolve("manifests"));
        Source source = manifests ? new Source() {
            @Override
            public void put(String name, String user, String password) throws Exception {
                Files.writeString(folder.resolve(name + ".yaml"), """
                        apiVersion: v1
                        kind: Secret
                        metadata:
                          name: %s
                          namespace: demo
                          labels:
                            app.kubernetes.io/instance: ha-postgres
                            app.kubernetes.io/name: postgreses.kubedb.com
                        stringData:
                          username: "%s"
                          password: "%s"
                        """.formatted(name, user, password.replace("\u0001", "\\u0001")));
            }

            @Override
            public void delete(String name) throws Exception {
                Files.delete(folder.resolve(name + ".yaml"));
            }
        } : new Source() {
            @Override
            public void put(String name, String user, String password) {
                client.secrets().inNamespace("demo").resource(user(name, user, password)).createOr(r -> r.update());
            }

            @Override
            public void delete(String name) {
                client.secrets().inNamespace("demo").withName(name).delete();
            }
        };
        source.put("john-secret", "john", passwords.get(0));
        source.put("jane-secret", "jane", passwords.get(1));
        source.put("admin-copy", "postgres_admin", passwords.get(2)); // rejected by the policy
        source.put("bad", "bob", passwords.get(3));                   // rejected: control character
        String unmanaged = "postgres:AES3Bis9TLTuWm1o0k6K3mZ28MldZHTARDZnbg5n0uwF8M=";
        Files.writeString(dir.resolve("pool_passwd"), unmanaged + "\n");
        Files.writeString(dir.resolve("key"), "pgpool secret key\n");
        Path routes = Files.createDirectories(dir.resolve("routes"));
        for (Path file : List.of(Path.of("examples/routes/webhook.camel.yaml"),
                Path.of("examples/routes/policy-no-postgres-users.camel.yaml"))) {
            Files.copy(file, routes.resolve(file.getFileName()));
        }
        if (withoutRead) {
            String cluster = Files.readString(Path.of("routes/secrets-from-cluster.camel.yaml"));
            String read = cluster.substring(cluster.indexOf("        - bean:\n            ref: userSecrets"));
            Files.writeString(routes.resolve("secrets-from-cluster.camel.yaml"), cluster.replace(read, ""));
        }
        Walk walk = new Walk();
        try (WebhookReceiver receiver = new WebhookReceiver(WebhookReceiver.Mode.OK)) {
            System.setProperty("webhook.url", receiver.url());
            Map<String, String> flags = new HashMap<>(Map.of("namespace", "demo", "postgres-name", "ha-postgres",
                    "pool-passwd", dir.resolve("pool_passwd").toString(), "key-file", dir.resolve("key").toString(),
                    "period", "1s", "routes-dir", routes.toString(), "watch", "false", "management-port", "0"));
            if (manifests) {
                flags.put("manifests", folder.toString());
            }
            Settings settings = Settings.load(flags, Map.of());
            try (SyncApplication app = new SyncApplication(settings, manifests ? null : client)) {
                app.bind("exchangeWalk", walk);
                app.start();
                await().atMost(Duration.ofSeconds(30)).until(() -> receiver.bodies().size() >= 1);
                // An update and a removal too, so that every kind of change passes every step.
                source.delete("jane-secret");
                source.put("john-secret-2", "john", passwords.get(4)); // a duplicate: rejected
                source.put("john-secret", "john", passwords.get(4));
                await().atMost(Duration.ofSeconds(30)).until(() -> receiver.bodies().size() >= 2);
            }
            walk.texts.addAll(receiver.bodies());
        }

        String poolPasswd = Files.readString(dir.resolve("pool_passwd"));
        List<String> secrets = new ArrayList<>(passwords);
        // As the API server holds them too: a raw Secret's data is base64.
        passwords.forEach(p -> secrets.add(java.util.Base64.getEncoder().encodeToString(p.getBytes(StandardCharsets.UTF_8))));
        for (String line : poolPasswd.split("\n")) {
            secrets.add(line);                               // the entry
            secrets.add(line.substring(line.indexOf(':') + 1)); // its password field
        }
        assertTrue(poolPasswd.contains("\njohn:AES"), poolPasswd); // the ticks really ran

        assertTrue(walk.steps.size() > 20, "the walk saw the steps: " + walk.steps.size());
        assertTrue(withoutRead || walk.bodyTypes.containsAll(Set.of("UserSecret", "DeclaredUsers", "PoolPasswdChange", "TickSummary")),
                "the walk saw every body of the contract: " + walk.bodyTypes);
        List<String> leaks = new ArrayList<>();
        for (Map.Entry<String, List<String>> step : walk.textsByStep.entrySet()) {
            for (String text : step.getValue()) {
                for (String secret : secrets) {
                    if (text.contains(secret)) {
                        leaks.add(step.getKey() + " shows '" + secret + "' in: " + abbreviate(text));
                    }
                }
            }
        }
        for (String text : walk.texts) {
            for (String secret : secrets) {
                if (text.contains(secret)) {
                    leaks.add("the webhook received '" + secret + "'");
                }
            }
        }
        return leaks;
    }

    private static String abbreviate(String text) {
        return text.length() > 300 ? text.substring(0, 300) + "..." : text;
    }

    /** Where the Secrets of the walk live: the API (fabric8 mock) or a manifest folder. */
    private interface Source {
        void put(String name, String user, String password) throws Exception;

        void delete(String name) throws Exception;
    }

    /** Found by Camel Main in the registry and wrapped around every step of every route. */
    static final class Walk implements InterceptStrategy {

        final Map<String, List<String>> textsByStep = new ConcurrentHashMap<>();
        final Set<String> steps = ConcurrentHashMap.newKeySet();
        final Set<String> bodyTypes = ConcurrentHashMap.newKeySet();
        final List<String> texts = Collections.synchronizedList(new ArrayList<>());
        private final ObjectMapper jackson = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .findAndRegisterModules();

        @Override
        public Processor wrapProcessorInInterceptors(CamelContext context, NamedNode definition, Processor target,
                Processor nextTarget) {
            String step = definition.getLocation() + ":" + definition.getLineNumber() + " "
                    + definition.getShortName() + "[" + definition.getLabel() + "]";
            boolean producer = definition.getLabel() != null && (definition.getLabel().contains("kubernetes-secrets:")
                    || definition.getLabel().contains("manifestFolder"));
            boolean read = definition.getLabel() != null && definition.getLabel().contains("userSecrets")
                    && definition.getLabel().contains("read");
            steps.add(step);
            return new DelegateAsyncProcessor(target) {
                @Override
                public boolean process(Exchange exchange, AsyncCallback callback) {
                    if (!read) { // the input of read is the raw list the producer gave
                        look(step + " before", exchange);
                    }
                    return super.process(exchange, done -> {
                        if (!producer) {
                            look(step + " after", exchange);
                        }
                        callback.done(done);
                    });
                }
            };
        }

        private void look(String where, Exchange exchange) {
            List<String> found = new ArrayList<>();
            Object body = exchange.getMessage().getBody();
            bodyTypes.add(typeOf(body));
            walk(body, found);
            walk(exchange.getMessage().getHeaders(), found);
            walk(exchange.getAllProperties(), found);
            walk(exchange.getVariables(), found);
            walk(exchange.getException(), found);
            textsByStep.computeIfAbsent(where, k -> Collections.synchronizedList(new ArrayList<>())).addAll(found);
        }

        private static String typeOf(Object body) {
            if (body instanceof List<?> list && !list.isEmpty()) {
                return list.get(0).getClass().getSimpleName();
            }
            return body == null ? "null" : body.getClass().getSimpleName();
        }

        private void walk(Object value, List<String> out) {
            walk(value, out, Collections.newSetFromMap(new IdentityHashMap<>()), 0);
        }

        private void walk(Object value, List<String> out, Set<Object> seen, int depth) {
            if (value == null || depth > 6 || !seen.add(value)) {
                return;
            }
            if (value instanceof byte[] bytes) {
                out.add(new String(bytes, StandardCharsets.UTF_8));
                return;
            }
            out.add(String.valueOf(value));
            if (value instanceof CharSequence || value instanceof Number || value instanceof Boolean) {
                return;
            }
            try {
                out.add(jackson.writeValueAsString(value));
            } catch (Exception | StackOverflowError e) {
                // not serialisable as a whole: its parts are walked below
            }
            if (value instanceof Map<?, ?> map) {
                new HashMap<>(map).forEach((k, v) -> {
                    walk(k, out, seen, depth + 1);
                    walk(v, out, seen, depth + 1);
                });
                return;
            }
            if (value instanceof Collection<?> items) {
                new ArrayList<>(items).forEach(item -> walk(item, out, seen, depth + 1));
                return;
            }
            if (value.getClass().isArray()) {
                for (int i = 0; i < Array.getLength(value); i++) {
                    walk(Array.get(value, i), out, seen, depth + 1);
                }
                return;
            }
            // What simple's ${body.x.y} reaches: public no-argument methods. Ours and the model's only:
            // calling Camel's own objects' methods could act, not just read.
            String type = value.getClass().getName();
            if (!type.startsWith("io.pgpoolusersync.") && !type.startsWith("io.fabric8.kubernetes.api.model.")) {
                return;
            }
            boolean ours = type.startsWith("io.pgpoolusersync.");
            for (Method method : value.getClass().getMethods()) {
                // The model's getters only: its edit() and toBuilder() make builders, not data.
                if ((ours || method.getName().startsWith("get") || method.getName().startsWith("is"))
                        && method.getParameterCount() == 0 && !Modifier.isStatic(method.getModifiers())
                        && method.getReturnType() != void.class && method.getDeclaringClass() != Object.class
                        && !method.getName().equals("hashCode")) {
                    try {
                        walk(method.invoke(value), out, seen, depth + 1);
                    } catch (ReflectiveOperationException | RuntimeException e) {
                        // a method that refuses: nothing to see
                    }
                }
            }
        }
    }
}
