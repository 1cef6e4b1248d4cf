package io.pgpoolusersync.secrets;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * The offline source: Secret manifests in a folder ({@code *.yaml}, {@code *.yml}, multi-document,
 * {@code data} and {@code stringData}), selected by the same namespace and labels as in the cluster.
 * A manifest without a namespace is in the target namespace, as with {@code kubectl apply -n}.
 * Documents that are not Secrets are ignored. A file that is not YAML fails the tick.
 */
public final class ManifestFolder {

    private final Path folder;
    private final SecretSelector selector;

    public ManifestFolder(Path folder, SecretSelector selector) {
        this.folder = folder;
        this.selector = selector;
    }

    public List<Secret> secrets() throws IOException {
        if (!Files.isDirectory(folder)) {
            throw new IOException("manifest folder " + folder + " does not exist or is not a folder");
        }
        List<Path> files;
        try (Stream<Path> list = Files.list(folder)) {
            files = list.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                    .sorted().toList();
        }
        List<Secret> secrets = new ArrayList<>();
        for (Path file : files) {
            for (Secret secret : read(file)) {
                if (selector.matches(secret)) {
                    secrets.add(secret);
                }
            }
        }
        return secrets;
    }

    private List<Secret> read(Path file) throws IOException {
        List<Secret> secrets = new ArrayList<>();
        Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (Object document : yaml.loadAll(reader)) {
                if (document instanceof Map<?, ?> map && "Secret".equals(map.get("kind"))) {
                    secrets.add(toSecret(map));
                }
            }
        } catch (YAMLException | ClassCastException e) {
            throw new IOException("manifest " + file + " is not valid YAML of Secrets: "
                    + firstLine(e.getMessage()), e);
        }
        return secrets;
    }

    private Secret toSecret(Map<?, ?> manifest) {
        Map<?, ?> metadata = manifest.get("metadata") instanceof Map<?, ?> m ? m : Map.of();
        String namespace = metadata.get("namespace") == null ? selector.namespace() : str(metadata.get("namespace"));
        return new SecretBuilder()
                .withMetadata(new ObjectMetaBuilder()
                        .withName(str(metadata.get("name")))
                        .withNamespace(namespace)
                        .withLabels(strings(metadata.get("labels")))
                        .withCreationTimestamp(timestamp(metadata.get("creationTimestamp")))
                        .build())
                .withType(str(manifest.get("type")))
                .withData(strings(manifest.get("data")))
                .withStringData(strings(manifest.get("stringData")))
                .build();
    }

    /** YAML scalars may be numbers or booleans ({@code password: 12345}); Kubernetes reads them as text. */
    private static Map<String, String> strings(Object value) {
        Map<String, String> out = new LinkedHashMap<>();
        if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> out.put(str(k), v == null ? "" : str(v)));
        }
        return out;
    }

    private static String str(Object value) {
        return value == null ? null : String.valueOf(value);
    }

    /** SnakeYAML reads an unquoted ISO timestamp as a Date; Kubernetes writes it as RFC 3339 text. */
    private static String timestamp(Object value) {
        return value instanceof java.util.Date date ? date.toInstant().toString() : str(value);
    }

    private static String firstLine(String message) {
        return message == null ? "" : message.lines().findFirst().orElse("");
    }
}
