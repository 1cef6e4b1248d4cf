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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
        PoolPasswd current = PoolPasswd.parse(currentBytes);
        List<PoolPasswdLine> lines = new ArrayList<>();
        Set<String> unmanaged = new HashSet<>();
        Map<String, PoolPasswdLine> previous = new HashMap<>();
        for (PoolPasswdLine line : current.lines()) {
            if (line.user() != null && before.manages(line.user())) {
                previous.putIfAbsent(line.user(), line); // the first entry is the one pgpool used
            } else {
                lines.add(line);
                if (line.user() != null) {
                    unmanaged.add(line.user());
                }
            }
        }

        List<Rejection> rejections = new ArrayList<>(declared.rejections());
        Map<String, PoolPasswdLine> entries = new TreeMap<>();
        Map<String, String> owners = new TreeMap<>();
        for (UserCredential credential : declared.users()) {
            String user = credential.user();
            if (unmanaged.contains(user)) {
                rejections.add(new Rejection(credential.source(), RejectReason.UNMANAGED_USERNAME,
                        "pool_passwd already has an entry for user " + user
                                + " that this sync does not manage; remove it there to hand it over", user));
                continue;
            }
            entries.put(user, PoolPasswdLine.entry(user, encoder.encode(user, credential.password())));
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
}
