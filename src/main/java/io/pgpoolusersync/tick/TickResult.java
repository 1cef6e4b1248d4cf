package io.pgpoolusersync.tick;

import io.pgpoolusersync.store.PoolPasswdChange;

/** What one tick did: the pool_passwd change (written when it changed) and the reload's outcome. */
public record TickResult(PoolPasswdChange change, Reload reload, String reloadError) {

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
