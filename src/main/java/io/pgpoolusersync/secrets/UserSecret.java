package io.pgpoolusersync.secrets;

import io.fabric8.kubernetes.api.model.Secret;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A listed Secret as the routes see it: which Secret it is, its labels and the names of its keys. Its
 * values (and its annotations, where {@code kubectl apply} keeps a copy of the whole manifest) are not
 * reachable from a route: only {@link UserSecrets}, in this package, reads the values. The routes turn
 * the Secret list into these right after listing it (docs/ROUTES.md).
 */
public final class UserSecret {

    private final SecretRef source;
    private final Map<String, String> labels;
    private final Map<String, String> data;
    private final Map<String, String> stringData;
    private final String problem;

    private UserSecret(Secret secret) {
        this.source = SecretRef.of(secret);
        this.labels = copy(secret.getMetadata().getLabels());
        this.data = copy(secret.getData());
        this.stringData = copy(secret.getStringData());
        Map<String, String> annotations = secret.getMetadata().getAnnotations();
        this.problem = annotations == null ? null : annotations.get(ManifestFolder.PROBLEM_ANNOTATION);
    }

    public static UserSecret of(Secret secret) {
        return new UserSecret(secret);
    }

    /** The Secret list of a source, as routes may see it. */
    public static List<UserSecret> of(List<Secret> secrets) {
        List<UserSecret> out = new ArrayList<>(secrets == null ? 0 : secrets.size());
        if (secrets != null) {
            secrets.forEach(secret -> out.add(new UserSecret(secret)));
        }
        return out;
    }

    public SecretRef source() {
        return source;
    }

    public Map<String, String> labels() {
        return labels;
    }

    /** The keys of {@code data} and {@code stringData}, without their values. */
    public Set<String> keys() {
        Set<String> keys = new TreeSet<>(data.keySet());
        keys.addAll(stringData.keySet());
        return Collections.unmodifiableSet(keys);
    }

    /** The base64 text of a {@code data} key, null when absent. */
    String data(String key) {
        return data.get(key);
    }

    boolean hasData(String key) {
        return data.containsKey(key);
    }

    /** The text of a {@code stringData} key, null when absent. */
    String stringData(String key) {
        return stringData.get(key);
    }

    boolean hasStringData(String key) {
        return stringData.containsKey(key);
    }

    /** What the manifest reader found wrong with a value (e.g. not a string), null when nothing. */
    String problem() {
        return problem;
    }

    private static Map<String, String> copy(Map<String, String> map) {
        // TreeMap: a null value (a key with no value in a manifest) survives, Map.copyOf would refuse it.
        return map == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(map));
    }

    @Override
    public String toString() {
        return "UserSecret[" + source + ", keys=" + keys() + "]";
    }
}
