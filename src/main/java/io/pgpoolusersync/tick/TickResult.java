package io.pgpoolusersync.tick;

import io.pgpoolusersync.store.PoolPasswdChange;

/**
 * What one tick did: the pool_passwd change (written when it changed), the reload's outcome, and how
 * many reloads are still to come on later ticks (one owed after a failure, and the follow-ups).
 */
public record TickResult(PoolPasswdChange change, Reload reload, String reloadError, int reloadsPending) {

    public enum Reload {
        /** Nothing changed and no reload was owed. */
        NOT_NEEDED,
        OK,
        /** Retried on the next tick. */
        FAILED,
        /** No PCP endpoint configured. */
        DISABLED
    }

    public boolean succeeded() {
        return reload != Reload.FAILED;
    }
}
