package io.pgpoolusersync.secrets;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Secret;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Comparator;

/** Which Secret a user came from; what logs, events and the ownership record name. */
public record SecretRef(String namespace, String name, Instant created, String uid, String resourceVersion) {

    /** Oldest first, then by name: the order that decides who keeps a duplicate user name. */
    public static final Comparator<SecretRef> SENIORITY = Comparator
            .comparing(SecretRef::created, Comparator.nullsLast(Comparator.naturalOrder()))
            .thenComparing(SecretRef::namespace)
            .thenComparing(SecretRef::name);

    public static SecretRef of(Secret secret) {
        ObjectMeta meta = secret.getMetadata();
        return new SecretRef(meta.getNamespace(), meta.getName(), parseTime(meta.getCreationTimestamp()),
                meta.getUid(), meta.getResourceVersion());
    }

    private static Instant parseTime(String timestamp) {
        if (timestamp == null || timestamp.isEmpty()) {
            return null;
        }
        try {
            return Instant.parse(timestamp);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** {@code namespace/name}, as kubectl names it. */
    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
