package io.pgpoolusersync.store;

import io.pgpoolusersync.passwd.PasswordEncoder;
import io.pgpoolusersync.passwd.PoolPasswd;
import io.pgpoolusersync.passwd.PoolPasswdLine;
import io.pgpoolusersync.secrets.DeclaredUsers;
import io.pgpoolusersync.secrets.RejectReason;
import io.pgpoolusersync.secrets.Rejection;
import io.pgpoolusersync.secrets.UserCredential;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The new pool_passwd: the current file, minus the users we managed before, plus the users declared
 * now. Lines we do not manage stay first, byte for byte and in their order; our entries follow, sorted
 * by user name, so the same inputs always give the same bytes.
 */
public final class PoolPasswdMerge {

    private PoolPasswdMerge() {
    }

    public static PoolPasswdChange merge(byte[] currentBytes, ManagedUsers before, DeclaredUsers declared,
            PasswordEncoder encoder) {
        return merge(currentBytes, before, declared, encoder, false);
    }

    /**
     * @param recordLost the ownership record is missing: an unmanaged entry that is byte for byte what
     *     its Secret would write now is adopted again (same user, password, key and format; every entry
     *     format is deterministic). Any other unmanaged entry stays unmanaged.
     */
    public static PoolPasswdChange merge(byte[] currentBytes, ManagedUsers before, DeclaredUsers declared,
            PasswordEncoder encoder, boolean recordLost) {
        PoolPasswd current = PoolPasswd.parse(currentBytes);
        List<PoolPasswdLine> lines = new ArrayList<>();
        Map<String, Integer> unmanagedLines = new HashMap<>();
        Map<String, PoolPasswdLine> previous = new HashMap<>();
        for (PoolPasswdLine line : current.lines()) {
            if (line.user() != null && before.manages(line.user())) {
                previous.putIfAbsent(line.user(), line); // the first entry is the one pgpool used
            } else {
                lines.add(line);
                if (line.user() != null) {
                    unmanagedLines.merge(line.user(), 1, Integer::sum);
                }
            }
        }

        Ownership.Decided decided = Ownership.decide(before, declared);
        List<Rejection> rejections = new ArrayList<>(declared.rejections());
        rejections.addAll(decided.rejections());
        Map<String, PoolPasswdLine> entries = new TreeMap<>();
        Map<String, String> owners = new TreeMap<>();
        for (UserCredential credential : decided.users()) {
            String user = credential.user();
            PoolPasswdLine entry = PoolPasswdLine.entry(user, encoder.encode(user, credential.password()));
            if (unmanagedLines.containsKey(user)) {
                PoolPasswdLine existing = firstOf(lines, user);
                if (recordLost && unmanagedLines.get(user) == 1 && Arrays.equals(existing.raw(), entry.raw())) {
                    lines.remove(existing); // adopted: it moves to our sorted entries, unchanged
                    previous.put(user, existing);
                } else {
                    rejections.add(new Rejection(credential.source(), RejectReason.UNMANAGED_USERNAME,
                            "pool_passwd already has an entry for user " + user + " that this sync does not manage"
                                    + (recordLost ? unadoptable(unmanagedLines.get(user)) : "")
                                    + "; remove it there to hand it over", user));
                    continue;
                }
            }
            entries.put(user, entry);
            owners.put(user, credential.source().toString());
        }
        // A Secret that turned bad keeps the entry it had: a broken edit must not lock its user out.
        for (Rejection rejection : rejections) {
            String secret = rejection.source().toString();
            String user = before.userOf(secret);
            if (user != null && !entries.containsKey(user) && previous.containsKey(user)) {
                entries.put(user, previous.get(user));
                owners.put(user, secret);
            }
        }

        List<String> added = new ArrayList<>();
        List<String> updated = new ArrayList<>();
        int unchanged = 0;
        for (Map.Entry<String, PoolPasswdLine> entry : entries.entrySet()) {
            PoolPasswdLine old = previous.get(entry.getKey());
            if (old == null) {
                added.add(entry.getKey());
            } else if (Arrays.equals(old.raw(), entry.getValue().raw())) {
                unchanged++;
            } else {
                updated.add(entry.getKey());
            }
        }
        List<String> removed = new ArrayList<>(new TreeMap<>(previous).keySet());
        removed.removeAll(entries.keySet());

        lines.addAll(entries.values());
        byte[] content = new PoolPasswd(lines).render();
        return new PoolPasswdChange(content, !Arrays.equals(content, currentBytes), before,
                new ManagedUsers(owners), added, updated, removed, unchanged, rejections);
    }

    private static PoolPasswdLine firstOf(List<PoolPasswdLine> lines, String user) {
        for (PoolPasswdLine line : lines) {
            if (user.equals(line.user())) {
                return line;
            }
        }
        throw new IllegalStateException("no line for " + user); // counted above
    }

    private static String unadoptable(int count) {
        return count > 1
                ? " (the ownership record is missing, and pool_passwd has " + count + " lines for this user, so"
                        + " none is adopted)"
                : " (the ownership record is missing, and the entry is not what this Secret would write: another"
                        + " password, key or format, so it is not adopted)";
    }
}
