package io.pgpoolusersync.secrets;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/** Builds user Secrets as the API server returns them: base64 {@code data}, labeled for ha-postgres. */
public final class SecretsFixture {

    private SecretsFixture() {
    }

    public static Secret secret(String name, String created, Map<String, byte[]> data) {
        Map<String, String> encoded = new LinkedHashMap<>();
        data.forEach((k, v) -> encoded.put(k, Base64.getEncoder().encodeToString(v)));
        return new SecretBuilder().withNewMetadata().withName(name).withNamespace("demo")
                .withCreationTimestamp(created).withUid("uid-" + name).withResourceVersion("1")
                .addToLabels(SecretSelector.INSTANCE_LABEL, "ha-postgres")
                .addToLabels(SecretSelector.NAME_LABEL, SecretSelector.NAME_VALUE)
                .endMetadata().withData(encoded).build();
    }

    public static Secret user(String name, String user, String password) {
        return secret(name, "2026-01-01T00:00:00Z", Map.of("username", utf8(user), "password", utf8(password)));
    }

    public static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
