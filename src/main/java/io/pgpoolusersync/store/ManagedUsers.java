package io.pgpoolusersync.store;

import io.pgpoolusersync.secrets.KubernetesNames;
import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
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
 *
 * <p>Format (v2): a header line, then one line per user: the user name URL-encoded (UTF-8; so no TAB,
 * LF, {@code #} or {@code %} is ever raw), a TAB, and {@code namespace/name}, which Kubernetes' naming
 * rules keep to {@code [a-z0-9.-]}. It is read strictly: a line that is not exactly that, in canonical
 * encoding, is an error naming the file and line, never a claim. The first format (raw
 * {@code user TAB namespace/secret}, header starting {@code # pgpool-user-sync: the pool_passwd users})
 * is still read, and replaced by v2 at the next write.
 */
public final class ManagedUsers {

    static final String HEADER = "# pgpool-user-sync ownership record v2: URL-encoded user TAB namespace/secret. Do not edit.";
    /** The first format's header: raw user names, which a user name starting with # broke. */
    static final String HEADER_V1 =
            "# pgpool-user-sync: the pool_passwd users it manages (user TAB namespace/secret). Do not edit.";

    private final Map<String, String> sources;
    /** Secret -> the first user (in user order) it declared; built on the first {@link #userOf} call. */
    private volatile Map<String, String> userBySecret;

    public ManagedUsers(Map<String, String> sources) {
        this.sources = Collections.unmodifiableMap(new TreeMap<>(sources));
    }

    public static ManagedUsers none() {
        return new ManagedUsers(Map.of());
    }

    /** A missing file means we manage nothing yet; see {@link #exists}. */
    public static ManagedUsers read(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return none();
        } catch (IOException e) {
            throw new IOException("cannot read the ownership record " + file + ": " + AtomicFile.reason(e), e);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException("ownership record " + file + " is not UTF-8 (" + e.getMessage()
                    + "); it is written by pgpool-user-sync only: restore or delete it", e);
        }
        String[] lines = text.split("\n", -1);
        boolean v1 = HEADER_V1.equals(lines[0]);
        if (!v1 && !HEADER.equals(lines[0])) {
            throw new IOException(where(file, 1) + "not the header of an ownership record; "
                    + "it is written by pgpool-user-sync only: restore or delete it");
        }
        Map<String, String> sources = new TreeMap<>();
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty() && i == lines.length - 1) {
                break; // the final LF
            }
            int tab = line.indexOf('\t');
            if (tab < 0 || line.indexOf('\t', tab + 1) >= 0) {
                throw new IOException(where(file, i + 1) + "not 'user TAB namespace/secret'");
            }
            String user = v1 ? line.substring(0, tab) : decode(line.substring(0, tab));
            String source = line.substring(tab + 1);
            if (user == null || user.isEmpty()) {
                throw new IOException(where(file, i + 1) + "the user name is empty or not in canonical URL encoding");
            }
            if (!KubernetesNames.isSecretReference(source)) {
                throw new IOException(where(file, i + 1) + "the Secret is not a valid namespace/name");
            }
            if (sources.put(user, source) != null) {
                throw new IOException(where(file, i + 1) + "a second line for one user");
            }
        }
        return new ManagedUsers(sources);
    }

    private static String where(Path file, int line) {
        return "ownership record " + file + ":" + line + ": ";
    }

    /** The user name of a v2 line, or null unless it is exactly what {@link #encode} writes. */
    private static String decode(String field) {
        String user;
        try {
            user = URLDecoder.decode(field, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
        return encode(user).equals(field) ? user : null;
    }

    private static String encode(String user) {
        return URLEncoder.encode(user, StandardCharsets.UTF_8);
    }

    public byte[] render() {
        StringBuilder out = new StringBuilder(HEADER).append('\n');
        sources.forEach((user, source) -> {
            if (!KubernetesNames.isSecretReference(source)) {
                throw new IllegalArgumentException("not a Secret reference: " + source); // validated upstream
            }
            out.append(encode(user)).append('\t').append(source).append('\n');
        });
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
