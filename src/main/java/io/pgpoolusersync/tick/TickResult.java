package io.pgpoolusersync.tick;

import io.pgpoolusersync.pgpool.Convergence;
import io.pgpoolusersync.store.PoolPasswdChange;

/** What one tick did to pool_passwd, and where pgpool stood when it ended. */
public record TickResult(PoolPasswdChange change, Convergence.Status pgpool) {

    /** A tick fails when pgpool could not be reached after a write, or was never reached since the start. */
    public boolean succeeded() {
        return pgpool.state() != Convergence.State.FAILED;
    }

    /** For the summary line: {@code converged}, {@code converging(3 children)}, {@code failed}, ... */
    public String pgpoolSummary() {
        Convergence.Status s = pgpool;
        return switch (s.state()) {
            case DISABLED -> "not-reloaded";
            case CONVERGED -> "converged";
            case PENDING -> "converging(" + (s.staleChildren() < 0 ? "all" : Integer.toString(s.staleChildren()))
                    + " children" + (s.overdue() ? ", overdue" : "") + ")";
            case FAILED -> "unreachable: " + s.error();
        };
    }
}
