package io.pgpoolusersync.secrets;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeId;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * The offline source: Secret manifests in a folder ({@code *.yaml}, {@code *.yml}, multi-document,
 * {@code data} and {@code stringData}), selected by the same namespace and labels as in the cluster.
 * A manifest without a namespace is in the target namespace, as with {@code kubectl apply -n}.
 *
 * <p>Read as {@code kubectl apply} reads them: the items of a {@code List} (what
 * {@code kubectl get secrets -o yaml} writes) are manifests too; documents of other kinds (a ConfigMap)
 * are skipped with a log line; a document that is not a mapping with a {@code kind} fails the tick, with
 * the file and line, because "no Secrets" would remove every managed user. Values are the exact text of
 * the YAML scalars (no {@code 0777} -> 511, no dates): they are composed as nodes, never converted.
 * A value that YAML would read as something other than a string ({@code password: 12345}, {@code yes},
 * {@code 1.10}) makes kubectl send a non-string, which the API server refuses; such a Secret is marked
 * with {@link #PROBLEM_ANNOTATION} and rejected as {@link RejectReason#NOT_STRING}.
 */
public final class ManifestFolder {

    private static final Logger LOG = LoggerFactory.getLogger(ManifestFolder.class);

    /**
     * Set on a Secret read from a manifest that the API server would refuse; read by {@link UserSecrets}.
     * Not a qualified name (the space), so the API server refuses it as an annotation key: a Secret of the
     * cluster, whose writer may annotate it, can never pass for this finding.
     */
    public static final String PROBLEM_ANNOTATION = "pgpool-user-sync.manifest/not a string";

    /** YAML 1.2 core schema scalars that are not strings (YAML 1.1's, which kubectl's parser uses, come from SnakeYAML). */
    private static final Pattern YAML12_NOT_STRING = Pattern.compile(
            "null|Null|NULL|~|true|True|TRUE|false|False|FALSE"
                    + "|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
                    + "|[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?"
                    + "|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)");
    private static final Resolver YAML11 = new Resolver();

    private final Path folder;
    private final SecretSelector selector;
    /** Skipped documents already logged: one line each, not one per tick. */
    private final Set<String> skippedLogged = new HashSet<>();

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
        String text = utf8(file);
        List<Secret> secrets = new ArrayList<>();
        // Composed, never constructed: nodes keep each scalar's exact text and where it stands.
        Yaml yaml = new Yaml(new LoaderOptions());
        int index = 0;
        try {
            for (Node document : yaml.composeAll(new StringReader(text))) {
                index++;
                String where = "manifest " + file + ", document " + index;
                if (document == null || isEmpty(document)) {
                    continue; // an empty document (a trailing ---), as kubectl skips it
                }
                Map<String, Node> fields = mapping(document, where);
                String kind = kind(fields, document, where);
                if ("List".equals(kind) || "SecretList".equals(kind)) {
                    Node items = fields.get("items");
                    if (items != null && !(items instanceof SequenceNode) && !isEmpty(items)) {
                        throw new IOException(where + " (line " + line(items) + "): items of a " + kind
                                + " is not a list");
                    }
                    int itemIndex = 0;
                    for (Node item : items instanceof SequenceNode seq ? seq.getValue() : List.<Node>of()) {
                        itemIndex++;
                        String itemWhere = where + ", item " + itemIndex;
                        Map<String, Node> itemFields = mapping(item, itemWhere);
                        String itemKind = kind(itemFields, item, itemWhere);
                        add(itemFields, itemKind, itemWhere, item, secrets);
                    }
                } else {
                    add(fields, kind, where, document, secrets);
                }
            }
        } catch (MarkedYAMLException e) {
            throw new IOException("manifest " + file + " is not valid YAML: " + describe(e), e);
        } catch (YAMLException e) {
            throw new IOException("manifest " + file + " is not valid YAML: " + e.getMessage(), e);
        }
        return secrets;
    }

    private void add(Map<String, Node> fields, String kind, String where, Node node, List<Secret> secrets) {
        if ("Secret".equals(kind)) {
            secrets.add(toSecret(fields));
        } else if (skippedLogged.add(where + " " + kind)) {
            LOG.info("{} (line {}) is a {}, not a Secret: skipped", where, line(node), kind);
        }
    }

    private Secret toSecret(Map<String, Node> manifest) {
        List<String> problems = new ArrayList<>();
        Map<String, Node> metadata = manifest.get("metadata") instanceof MappingNode m ? fields(m) : Map.of();
        String namespace = text(metadata.get("namespace"));
        Map<String, String> annotations = new LinkedHashMap<>();
        Map<String, String> data = strings(manifest.get("data"), "data", problems);
        Map<String, String> stringData = strings(manifest.get("stringData"), "stringData", problems);
        if (!problems.isEmpty()) {
            annotations.put(PROBLEM_ANNOTATION, String.join("; ", problems));
        }
        return new SecretBuilder()
                .withMetadata(new ObjectMetaBuilder()
                        .withName(text(metadata.get("name")))
                        .withNamespace(namespace == null || namespace.isEmpty() ? selector.namespace() : namespace)
                        .withLabels(strings(metadata.get("labels"), "labels", null))
                        .withAnnotations(annotations)
                        .withCreationTimestamp(text(metadata.get("creationTimestamp")))
                        .build())
                .withType(text(manifest.get("type")))
                .withData(data)
                .withStringData(stringData)
                .build();
    }

    /**
     * A map of strings, as the API server takes them; any other value is named in {@code problems}, or
     * kept as its text when {@code problems} is null (labels: the selector compares text).
     */
    private static Map<String, String> strings(Node node, String field, List<String> problems) {
        Map<String, String> out = new LinkedHashMap<>();
        if (!(node instanceof MappingNode map)) {
            return out;
        }
        for (NodeTuple tuple : map.getValue()) {
            String key = text(tuple.getKeyNode());
            Node value = tuple.getValueNode();
            String notString = notString(value);
            if (problems == null) {
                out.put(key, value instanceof ScalarNode scalar ? scalar.getValue() : "");
            } else if (notString != null) {
                problems.add(field + "." + key + " (line " + line(value) + ") is " + notString
                        + ", not a string: the API server refuses it; quote the value");
            } else {
                out.put(key, ((ScalarNode) value).getValue());
            }
        }
        return out;
    }

    /** Null when the node is a string in YAML 1.1 (kubectl's parser) and 1.2; otherwise what it is. */
    private static String notString(Node node) {
        if (!(node instanceof ScalarNode scalar)) {
            return node instanceof SequenceNode ? "a list" : "a mapping";
        }
        if (!scalar.isPlain()) {
            return null; // quoted or a block scalar: always a string
        }
        Tag tag = scalar.getTag(); // what SnakeYAML resolved (YAML 1.1, as kubectl), or an explicit tag
        Tag implicit = YAML11.resolve(NodeId.scalar, scalar.getValue(), true);
        // Values may be passwords: neither what YAML made of it nor its length ("a bool of 3 characters"
        // all but says "yes"), only that it is not a string.
        if (!tag.equals(Tag.STR)
                || (implicit.equals(Tag.STR) && YAML12_NOT_STRING.matcher(scalar.getValue()).matches())) {
            return scalar.getValue().isEmpty() ? "empty and unquoted (YAML reads it as null)"
                    : "unquoted, and YAML reads it as a number, boolean, date or null";
        }
        return null; // a plain string, or an explicit !!str
    }

    private static Map<String, Node> mapping(Node node, String where) throws IOException {
        if (!(node instanceof MappingNode map)) {
            throw new IOException(where + " (line " + line(node) + ") is not a mapping with a kind: "
                    + "not a Kubernetes object");
        }
        return fields(map);
    }

    private static Map<String, Node> fields(MappingNode map) {
        Map<String, Node> out = new LinkedHashMap<>();
        for (NodeTuple tuple : map.getValue()) {
            if (tuple.getKeyNode() instanceof ScalarNode key) {
                out.put(key.getValue(), tuple.getValueNode());
            }
        }
        return out;
    }

    private static String kind(Map<String, Node> fields, Node node, String where) throws IOException {
        String kind = text(fields.get("kind"));
        if (kind == null || kind.isEmpty()) {
            throw new IOException(where + " (line " + line(node) + ") has no kind: "
                    + "kubectl would refuse it, and reading it as no Secrets would remove users");
        }
        return kind;
    }

    /** A scalar's exact text; null for anything else or a YAML null. */
    private static String text(Node node) {
        if (!(node instanceof ScalarNode scalar) || isEmpty(node)) {
            return null;
        }
        return scalar.getValue();
    }

    private static boolean isEmpty(Node node) {
        return node instanceof ScalarNode scalar && scalar.isPlain()
                && (scalar.getValue().isEmpty() || scalar.getValue().equals("~")
                        || scalar.getValue().equalsIgnoreCase("null"));
    }

    private static int line(Node node) {
        return node.getStartMark() == null ? 0 : node.getStartMark().getLine() + 1;
    }

    /** Strict UTF-8, with the line of the first bad byte (Java's own message is "Input length = 1"). */
    private static String utf8(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            int bad = firstInvalidUtf8(bytes);
            int line = 1;
            for (int i = 0; i < bad; i++) {
                if (bytes[i] == '\n') {
                    line++;
                }
            }
            throw new IOException("manifest " + file + " is not UTF-8: invalid byte 0x"
                    + String.format("%02X", bytes[bad] & 0xff) + " at line " + line, e);
        }
    }

    private static int firstInvalidUtf8(byte[] bytes) {
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        var out = java.nio.CharBuffer.allocate(bytes.length + 1);
        var result = decoder.decode(in, out, true);
        return result.isError() ? Math.min(in.position(), bytes.length - 1) : 0;
    }

    private static String describe(MarkedYAMLException e) {
        StringBuilder out = new StringBuilder();
        if (e.getProblemMark() != null) {
            out.append("line ").append(e.getProblemMark().getLine() + 1)
                    .append(", column ").append(e.getProblemMark().getColumn() + 1).append(": ");
        }
        out.append(e.getProblem());
        if (e.getContext() != null) {
            out.append(" (").append(e.getContext());
            if (e.getContextMark() != null) {
                out.append(" at line ").append(e.getContextMark().getLine() + 1);
            }
            out.append(')');
        }
        return out.toString();
    }
}
