package io.pgpoolusersync.secrets;

import io.fabric8.kubernetes.api.model.Secret;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which Secrets declare users: those in the PostgreSQL's namespace labeled as KubeDB does,
 * {@code app.kubernetes.io/instance=<postgres name>} and {@code app.kubernetes.io/name=postgreses.kubedb.com},
 * plus optional extra {@code key=value} labels.
 */
public final class SecretSelector {

    public static final String INSTANCE_LABEL = "app.kubernetes.io/instance";
    public static final String NAME_LABEL = "app.kubernetes.io/name";
    public static final String NAME_VALUE = "postgreses.kubedb.com";

    private final String namespace;
    private final Map<String, String> labels;

    public SecretSelector(String namespace, String postgresName, String extraLabels) {
        this(namespace, postgresName, parseLabels(extraLabels));
    }

    public SecretSelector(String namespace, String postgresName, Map<String, String> extraLabels) {
        if (namespace == null || namespace.isBlank()) {
            throw new IllegalArgumentException("the namespace is required (--namespace or SYNC_NAMESPACE)");
        }
        if (postgresName == null || postgresName.isBlank()) {
            throw new IllegalArgumentException(
                    "the PostgreSQL name is required (--postgres-name or SYNC_POSTGRES_NAME)");
        }
        this.namespace = namespace;
        Map<String, String> all = new LinkedHashMap<>(extraLabels);
        all.put(INSTANCE_LABEL, postgresName);
        all.put(NAME_LABEL, NAME_VALUE);
        this.labels = Collections.unmodifiableMap(all);
    }

    /** {@code a=b,c=d}: equality only, as camel-kubernetes' label filter takes a map. */
    public static Map<String, String> parseLabels(String text) {
        Map<String, String> labels = new LinkedHashMap<>();
        if (text == null || text.isBlank()) {
            return labels;
        }
        for (String pair : text.split(",")) {
            int eq = pair.indexOf('=');
            if (eq <= 0 || pair.indexOf('=', eq + 1) >= 0 || pair.contains("!")) {
                throw new IllegalArgumentException("extra label '" + pair.trim()
                        + "' is not key=value (only equality selectors are supported)");
            }
            labels.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
        }
        return labels;
    }

    public String namespace() {
        return namespace;
    }

    /** The labels every selected Secret carries; the value of the CamelKubernetesSecretsLabels header. */
    public Map<String, String> labels() {
        return labels;
    }

    /** The same rule the API server applies, for sources that are not the API server. */
    public boolean matches(Secret secret) {
        if (secret.getMetadata() == null || !namespace.equals(secret.getMetadata().getNamespace())) {
            return false;
        }
        Map<String, String> actual = secret.getMetadata().getLabels();
        return actual != null && actual.entrySet().containsAll(labels.entrySet());
    }
}
