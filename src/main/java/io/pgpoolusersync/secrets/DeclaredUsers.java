package io.pgpoolusersync.secrets;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What the Secrets of one tick declare: the valid claims (one user name may appear in several, settled
 * by the store against its ownership record), and the Secrets rejected with a reason. The
 * {@code reject...} methods are stable for routes: a policy written in YAML (docs/ROUTES.md) turns users
 * into rejections with a reason of its own, which then go the way of every rejection.
 */
public record DeclaredUsers(List<UserCredential> users, List<Rejection> rejections) {

    public DeclaredUsers {
        users = List.copyOf(users);
        rejections = List.copyOf(rejections);
    }

    /**
     * Stable for routes: the users whose whole name matches {@code regex} are rejected with {@code reason}
     * (upper snake case, e.g. {@code RESERVED_USERNAME}) and {@code detail} (never put a password there).
     */
    public DeclaredUsers rejectUsersMatching(String regex, String reason, String detail) {
        return rejectWhere(Pattern.compile(regex), true, RejectReason.of(reason), detail);
    }

    /** Stable for routes: the users whose whole name does not match {@code regex} are rejected. */
    public DeclaredUsers rejectUsersNotMatching(String regex, String reason, String detail) {
        return rejectWhere(Pattern.compile(regex), false, RejectReason.of(reason), detail);
    }

    /** Stable for routes: the user of that name, if declared, is rejected. */
    public DeclaredUsers rejectUser(String user, String reason, String detail) {
        return rejectWhere(Pattern.compile(Pattern.quote(user)), true, RejectReason.of(reason), detail);
    }

    /** Stable for routes: the names of the valid users, in order. */
    public List<String> userNames() {
        return users.stream().map(UserCredential::user).toList();
    }

    private DeclaredUsers rejectWhere(Pattern pattern, boolean matching, RejectReason reason, String detail) {
        List<UserCredential> kept = new ArrayList<>(users.size());
        List<Rejection> rejected = new ArrayList<>(rejections);
        for (UserCredential credential : users) {
            if (pattern.matcher(credential.user()).matches() == matching) {
                rejected.add(new Rejection(credential.source(), reason,
                        "user " + credential.user() + ": " + detail, credential.user()));
            } else {
                kept.add(credential);
            }
        }
        return new DeclaredUsers(kept, rejected);
    }
}
