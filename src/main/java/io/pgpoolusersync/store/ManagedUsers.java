package io.pgpoolusersync.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The ownership record: which pool_passwd users this sync manages, and from which Secret
 * ({@code namespace/name}). Kept beside pool_passwd as {@code <pool_passwd>.managed}; users we never
 * recorded here are never changed or removed.
 */
public final class ManagedUsers {

    private static final String HEADER =
            "# pgpool-user-sync: the pool_passwd users it manages (user TAB namespace/secret). Do not edit.\n";

    private final Map<String, String> sources;
    /** Secret -> the first user (in user order) it declared; built on the first {@link #userOf} call. */
    private volatile Map<String, String> userBySecret;

    public ManagedUsers(Map<String, String> sources) {
        this.sources = Collections.unmodifiableMap(new TreeMap<>(sources));
    }

    public static ManagedUsers none() {
        return new ManagedUsers(Map.of());
    }

    /** A missing file means we manage nothing yet. User names hold no tab or LF (validated). */
    public static ManagedUsers read(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return none();
        }
        Map<String, String> sources = new TreeMap<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int tab = line.indexOf('\t');
            sources.put(tab < 0 ? line : line.substring(0, tab), tab < 0 ? "" : line.substring(tab + 1));
        }
        return new ManagedUsers(sources);
    }

    public byte[] render() {
        StringBuilder out = new StringBuilder(HEADER);
        sources.forEach((user, source) -> out.append(user).append('\t').append(source).append('\n'));
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    public boolean manages(String user) {
        return sources.containsKey(user);
    }

    public Set<String> users() {
        return sources.keySet();
    }

    /** The user the given Secret ({@code namespace/name}) declared when we last wrote, if any. */
    public String userOf(String secret) {
        Map<String, String> index = userBySecret;
        if (index == null) {
            // One pass instead of one scan per call: a tick asks once per rejected Secret.
            Map<String, String> built = new java.util.HashMap<>();
            sources.forEach((user, source) -> built.putIfAbsent(source, user));
            userBySecret = index = built;
        }
        return index.get(secret);
    }

    /** Both records at once: what is safe to claim while a write is between the two. */
    public ManagedUsers union(ManagedUsers other) {
        Map<String, String> all = new TreeMap<>(sources);
        all.putAll(other.sources);
        return new ManagedUsers(all);
    }

    public Map<String, String> sources() {
        return sources;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ManagedUsers other && sources.equals(other.sources);
    }

    @Override
    public int hashCode() {
        return sources.hashCode();
    }
}
