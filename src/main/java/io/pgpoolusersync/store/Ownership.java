package io.pgpoolusersync.store;

import io.pgpoolusersync.secrets.DeclaredUsers;
import io.pgpoolusersync.secrets.RejectReason;
import io.pgpoolusersync.secrets.Rejection;
import io.pgpoolusersync.secrets.SecretRef;
import io.pgpoolusersync.secrets.UserCredential;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which Secret gets a user name that several Secrets declare. Sticky: the owner in the ownership record
 * keeps its user for as long as its Secret exists, even while that Secret is rejected (its last entry
 * then stays). Only a user without an owner goes to the oldest claimant (creationTimestamp, then
 * namespace/name); the reason says which rule decided, and never calls a Secret older than it is known
 * to be.
 */
final class Ownership {

    /** The claims that stand, and the Secrets rejected for declaring a user that is not theirs. */
    record Decided(List<UserCredential> users, List<Rejection> rejections) {
    }

    private Ownership() {
    }

    static Decided decide(ManagedUsers before, DeclaredUsers declared) {
        Map<String, List<UserCredential>> byUser = new LinkedHashMap<>();
        for (UserCredential credential : declared.users()) {
            byUser.computeIfAbsent(credential.user(), user -> new ArrayList<>(1)).add(credential);
        }
        Map<String, Rejection> rejectedSecrets = new HashMap<>();
        declared.rejections().forEach(r -> rejectedSecrets.putIfAbsent(r.source().toString(), r));

        List<UserCredential> users = new ArrayList<>(byUser.size());
        List<Rejection> rejections = new ArrayList<>();
        for (Map.Entry<String, List<UserCredential>> entry : byUser.entrySet()) {
            String user = entry.getKey();
            List<UserCredential> claims = entry.getValue();
            String owner = before.sources().get(user);
            UserCredential ownerClaim = owner == null ? null
                    : claims.stream().filter(c -> c.source().toString().equals(owner)).findFirst().orElse(null);
            Rejection ownerRejected = owner == null ? null : rejectedSecrets.get(owner);
            if (ownerRejected != null && ownerRejected.user() != null && !ownerRejected.user().equals(user)) {
                ownerRejected = null; // the owner now declares another user: this one is free
            }
            if (ownerClaim != null) {
                users.add(ownerClaim);
                for (UserCredential other : claims) {
                    if (other != ownerClaim) {
                        rejections.add(duplicate(other, "user " + user + " belongs to Secret " + owner
                                + " (the ownership record), which still declares it"));
                    }
                }
            } else if (ownerRejected != null) {
                for (UserCredential other : claims) {
                    rejections.add(duplicate(other, "user " + user + " belongs to Secret " + owner
                            + " (the ownership record), which still exists but is rejected; its last entry is kept"));
                }
            } else {
                if (claims.size() > 1) {
                    claims.sort((a, b) -> SecretRef.SENIORITY.compare(a.source(), b.source()));
                }
                UserCredential winner = claims.get(0);
                users.add(winner);
                for (UserCredential loser : claims.subList(1, claims.size())) {
                    rejections.add(duplicate(loser, "user " + user + " is also declared by Secret "
                            + winner.source() + ", which gets it: " + why(winner.source(), loser.source())));
                }
            }
        }
        return new Decided(users, rejections);
    }

    /** Why the winner of an unowned user won, as far as it is known. */
    private static String why(SecretRef winner, SecretRef loser) {
        Instant won = winner.created();
        Instant lost = loser.created();
        if (won != null && lost != null && won.isBefore(lost)) {
            return "it is older (created " + winner.creationTimestamp() + ", this one " + loser.creationTimestamp() + ")";
        }
        if (won != null && lost == null) {
            return "this Secret has no creationTimestamp (it counts as the youngest)";
        }
        if (won == null && lost == null) {
            return "neither has a creationTimestamp, so namespace/name order decides";
        }
        return "both were created at " + winner.creationTimestamp() + ", so namespace/name order decides";
    }

    private static Rejection duplicate(UserCredential credential, String detail) {
        return new Rejection(credential.source(), RejectReason.DUPLICATE_USERNAME, detail, credential.user());
    }
}
