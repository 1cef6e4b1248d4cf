package io.pgpoolusersync.it;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.pgpoolusersync.passwd.AesPasswordEncoder;
import io.pgpoolusersync.passwd.PoolPasswd;
import io.pgpoolusersync.passwd.PoolPasswdLine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Two sets of user Secrets in a manifest folder, swapped on request so that every tick of a sync rewrites
 * pool_passwd: set A declares 200 users, set B the first 150 of them with other passwords. Knows the
 * entries each set must produce, so that a pool_passwd can be told complete (nothing, A or B behind the
 * admin line) or not.
 */
final class AlternatingSecrets {

    enum State { INITIAL, A, B }

    private final Path manifest;
    private final byte[] adminLine;
    private final String yamlA;
    private final String yamlB;
    private final Map<String, String> entriesA;
    private final Map<String, String> entriesB;
    private final Map<String, String> passwords = new LinkedHashMap<>();
    private boolean showingA;

    AlternatingSecrets(Path folder, String namespace, String postgres, byte[] adminLine, byte[] key, Random random) {
        this.manifest = folder.resolve("secrets.yaml");
        this.adminLine = adminLine.clone();
        AesPasswordEncoder aes = new AesPasswordEncoder(key);
        Map<String, String> a = users(200, "A", random);
        Map<String, String> b = users(150, "B", random);
        passwords.putAll(a);
        b.forEach((u, p) -> passwords.put(u + "/B", p));
        this.yamlA = yaml(a, namespace, postgres);
        this.yamlB = yaml(b, namespace, postgres);
        this.entriesA = entries(a, aes);
        this.entriesB = entries(b, aes);
    }

    private static Map<String, String> users(int n, String set, Random random) {
        Map<String, String> users = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            users.put(String.format("crash_u%03d", i), set + "-pass-" + i + "-" + Long.toHexString(random.nextLong()));
        }
        return users;
    }

    private static Map<String, String> entries(Map<String, String> users, AesPasswordEncoder aes) {
        Map<String, String> entries = new TreeMap<>();
        users.forEach((user, password) -> entries.put(user, aes.encode(user, password)));
        return entries;
    }

    private static String yaml(Map<String, String> users, String namespace, String postgres) {
        StringBuilder out = new StringBuilder();
        users.forEach((user, password) -> out.append("---\napiVersion: v1\nkind: Secret\nmetadata:\n")
                .append("  name: ").append(user.replace('_', '-')).append('\n')
                .append("  namespace: ").append(namespace).append('\n')
                .append("  labels:\n")
                .append("    app.kubernetes.io/instance: ").append(postgres).append('\n')
                .append("    app.kubernetes.io/name: postgreses.kubedb.com\n")
                .append("type: Opaque\nstringData:\n")
                .append("  username: ").append(user).append('\n')
                .append("  password: \"").append(password).append("\"\n"));
        return out.toString();
    }

    Collection<String> passwords() {
        return passwords.values();
    }

    /** Replaces the manifest by rename, so that the sync never reads half of it. */
    synchronized void swap() throws IOException {
        showingA = !showingA;
        Path next = manifest.resolveSibling("secrets.yaml.next"); // not *.yaml: the sync ignores it
        Files.writeString(next, showingA ? yamlA : yamlB, UTF_8);
        Files.move(next, manifest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    synchronized State showing() {
        return showingA ? State.A : State.B;
    }

    /**
     * Which complete state a pool_passwd is in; throws when it is none of them (partial, torn, or with a
     * wrong entry). Messages name counts and users, never an entry.
     */
    State classify(byte[] content) {
        if (content.length == 0 || content[content.length - 1] != '\n') {
            throw new AssertionError("pool_passwd does not end with a line end (" + content.length + " bytes)");
        }
        List<PoolPasswdLine> lines = PoolPasswd.parse(content).lines();
        if (!Arrays.equals(adminLine, lines.get(0).raw())) {
            throw new AssertionError("the admin line is not first, byte for byte");
        }
        Map<String, String> ours = new TreeMap<>();
        for (PoolPasswdLine line : lines.subList(1, lines.size())) {
            if (line.user() == null || ours.put(line.user(), line.secret()) != null) {
                throw new AssertionError("a line without a user, or a user twice: " + line.user());
            }
        }
        if (ours.isEmpty()) {
            return State.INITIAL;
        }
        if (ours.equals(entriesA)) {
            return State.A;
        }
        if (ours.equals(entriesB)) {
            return State.B;
        }
        throw new AssertionError("pool_passwd is neither set: " + ours.size() + " entries, "
                + ours.keySet().stream().filter(u -> !ours.get(u).equals(entriesA.get(u))
                        && !ours.get(u).equals(entriesB.get(u))).count() + " of them matching no set");
    }
}
