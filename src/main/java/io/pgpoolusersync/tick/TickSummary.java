package io.pgpoolusersync.tick;

import io.pgpoolusersync.secrets.Rejection;
import io.pgpoolusersync.store.PoolPasswdChange;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How one tick went, for routes of one's own (seda:tick-ended, docs/ROUTES.md) and for JSON: names,
 * reasons and counts only, never a password or an entry. Stable: fields are only ever added.
 *
 * @param result   {@code ok} or {@code failed}
 * @param written  whether pool_passwd (or its ownership record) was written
 * @param added    the users given an entry, by name (updated, removed: likewise)
 * @param rejected every rejected Secret of the tick
 * @param counts   added, updated, removed, unchanged, rejected, and newRejections: the rejections that
 *                 are new or changed since the last tick (the ones logged as warnings and posted as Events)
 * @param pgpool   where pgpool's children stand: converged, converging(...), not-reloaded, unreachable: ...;
 *                 null when the tick failed before
 * @param error    why the tick failed; null when it did not
 * @param dryRun   a dry run's tick: nothing was written ({@code written} false), the names and counts are
 *                 what a real tick would do
 */
public record TickSummary(String result, boolean written, List<String> added, List<String> updated,
        List<String> removed, List<Rejected> rejected, Map<String, Integer> counts, String pgpool,
        String error, boolean dryRun) {

    public TickSummary {
        added = List.copyOf(added);
        updated = List.copyOf(updated);
        removed = List.copyOf(removed);
        rejected = List.copyOf(rejected);
        counts = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(counts));
    }

    /** One rejected Secret: {@code namespace/name}, the user name when it could be read, the reason. */
    public record Rejected(String secret, String user, String reason, String detail) {

        static Rejected of(Rejection rejection) {
            return new Rejected(rejection.source().toString(), rejection.user(), rejection.reason().name(),
                    rejection.detail());
        }
    }

    static TickSummary succeeded(TickResult result, int newRejections, boolean dryRun) {
        PoolPasswdChange change = result.change();
        Map<String, Integer> counts = new LinkedHashMap<>();
        counts.put("added", change.added());
        counts.put("updated", change.updated());
        counts.put("removed", change.removed());
        counts.put("unchanged", change.unchanged());
        counts.put("rejected", change.rejections().size());
        counts.put("newRejections", newRejections);
        return new TickSummary(result.succeeded() ? "ok" : "failed", change.changed() && !dryRun, change.addedUsers(),
                change.updatedUsers(), change.removedUsers(), change.rejections().stream().map(Rejected::of).toList(),
                counts, result.pgpoolSummary(),
                result.succeeded() ? null : "pgpool unreachable: " + result.pgpool().error(), dryRun);
    }

    static TickSummary failed(String error, boolean dryRun) {
        return new TickSummary("failed", false, List.of(), List.of(), List.of(), List.of(), Map.of(), null, error,
                dryRun);
    }

    /**
     * Something to tell: users changed, a new or changed rejection, or a failed tick. Never in a dry run,
     * whose plan its own report prints: a notification route must not announce what did not happen.
     */
    public boolean noteworthy() {
        return !dryRun && (written || counts.getOrDefault("newRejections", 0) > 0 || !"ok".equals(result));
    }
}
