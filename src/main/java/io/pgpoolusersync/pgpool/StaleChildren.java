package io.pgpoolusersync.pgpool;

import io.pgpoolusersync.pcp.PgpoolChild;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The pgpool children that may still read a pool_passwd that has been replaced. Pure bookkeeping over
 * {@code pcp_proc_info} snapshots, no I/O.
 *
 * <p>Why: a child keeps pool_passwd open. One that is idle when a reload's SIGHUP reaches it reopens
 * the file at its next client; one that is serving a session reloads pgpool.conf but keeps the old
 * file, and clears the request (pgpool2 src/protocol/child.c, pool_process_query.c). So a child is
 * current when it started after the write (it opened the new file), or when it was waiting for a client
 * with the same finished-session count in the snapshots before and after a reload: it cannot have
 * served a session in between. Every child in the first snapshot after the write is suspect, even one
 * that started just after the write: that costs at most one more round, and needs no clock.
 *
 * <p>Blind spot: before pgpool 4.4 a child authenticating a client it accepted before the reload also
 * shows "Wait for connection" with the same count, and no other field differs; it keeps the old file.
 * Nothing here can tell (measured in SlowAuthenticationIT); PgpoolCheck warns about such a pgpool.
 */
final class StaleChildren {

    /** Children that may still hold the old file, by identity (PID and start time), as last seen. */
    private Map<String, PgpoolChild> stale;
    /** Suspects seen busy in the last snapshots, and in how many in a row. */
    private final Map<String, Integer> busyStreak = new HashMap<>();
    private boolean reloadedSinceSnapshot;
    private boolean progress;

    /** Takes a snapshot, then the round decides whether to reload. */
    void observe(Collection<PgpoolChild> children) {
        Map<String, PgpoolChild> now = children.stream()
                .collect(Collectors.toMap(StaleChildren::identity, c -> c, (a, b) -> a, LinkedHashMap::new));
        if (stale == null) {
            stale = now;
            progress = true;
        } else {
            Map<String, PgpoolChild> still = new LinkedHashMap<>();
            boolean changed = false;
            for (Map.Entry<String, PgpoolChild> e : stale.entrySet()) {
                PgpoolChild before = e.getValue();
                PgpoolChild after = now.get(e.getKey());
                // Gone: it exited, and whoever replaced it opened the new file. Otherwise it stays
                // suspect unless it waited, untouched, across a reload.
                if (after != null && !(reloadedSinceSnapshot && idleAcross(before, after))) {
                    still.put(e.getKey(), after);
                    // A long session (busy in two snapshots or more) just ended: a chance worth taking now.
                    changed |= after.waiting() && busyStreak.getOrDefault(e.getKey(), 0) >= 2;
                } else {
                    changed = true;
                }
            }
            stale = still;
            progress = changed;
        }
        busyStreak.keySet().retainAll(stale.keySet());
        stale.forEach((id, child) -> {
            if (child.waiting()) {
                busyStreak.remove(id);
            } else {
                busyStreak.merge(id, 1, Integer::sum);
            }
        });
        reloadedSinceSnapshot = false;
    }

    /** The last snapshot found a suspect gone or done, or one out of a long session. */
    boolean progress() {
        return progress;
    }

    /** A reload was sent after the last snapshot. */
    void reloaded() {
        reloadedSinceSnapshot = true;
    }

    /** A reload now can help only a suspect child that is waiting: a busy one would drop the request. */
    boolean reloadHelps() {
        return stale != null && stale.values().stream().anyMatch(PgpoolChild::waiting);
    }

    boolean converged() {
        return stale != null && stale.isEmpty();
    }

    /** -1 before the first snapshot: every child may be stale, how many is unknown. */
    int count() {
        return stale == null ? -1 : stale.size();
    }

    List<Integer> pids() {
        return stale == null ? List.of() : stale.values().stream().map(PgpoolChild::pid).toList();
    }

    private static boolean idleAcross(PgpoolChild before, PgpoolChild after) {
        return before.waiting() && after.waiting() && before.sessions() == after.sessions();
    }

    /** A PID can be reused by a later child; with its start time it names one process. */
    private static String identity(PgpoolChild child) {
        return child.pid() + "@" + child.started();
    }
}
