package io.pgpoolusersync.secrets;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Secret;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Comparator;

/**
 * Which Secret a user came from; what logs, events and the ownership record name. The creation time is
 * kept as the API wrote it and parsed only to settle a contested user name: parsing it for every Secret
 * was a fifth of a tick at 10k Secrets.
 */
public record SecretRef(String namespace, String name, String creationTimestamp, String uid, String resourceVersion) {

    /** Oldest first, then by name: the order that decides who keeps a duplicate user name. */
    public static final Comparator<SecretRef> SENIORITY = Comparator
            .comparing(SecretRef::created, Comparator.nullsLast(Comparator.naturalOrder()))
            .thenComparing(SecretRef::namespace)
            .thenComparing(SecretRef::name);

    public static SecretRef of(Secret secret) {
        ObjectMeta meta = secret.getMetadata();
        return new SecretRef(meta.getNamespace(), meta.getName(), meta.getCreationTimestamp(),
                meta.getUid(), meta.getResourceVersion());
    }

    /** Null when absent or not RFC 3339 (such a Secret counts as the youngest). */
    public Instant created() {
        if (creationTimestamp == null || creationTimestamp.isEmpty()) {
            return null;
        }
        try {
            return Instant.parse(creationTimestamp);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /**
     * {@code namespace/name}, as kubectl names it. A manifest's name may hold anything (it is then
     * rejected as INVALID_NAME): control characters are shown as {@code \\uXXXX}, so a name can never
     * forge a log line.
     */
    @Override
    public String toString() {
        return printable(namespace) + "/" + printable(name);
    }

    private static String printable(String text) {
        if (text == null || text.chars().noneMatch(Character::isISOControl)) {
            return text;
        }
        StringBuilder out = new StringBuilder();
        text.chars().forEach(c -> out.append(Character.isISOControl(c) ? String.format("\\u%04X", c) : String.valueOf((char) c)));
        return out.toString();
    }
}
