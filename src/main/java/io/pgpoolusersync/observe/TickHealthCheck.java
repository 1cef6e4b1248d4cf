package io.pgpoolusersync.observe;

import io.pgpoolusersync.pgpool.Convergence;
import io.pgpoolusersync.pgpool.PgpoolKey;
import io.pgpoolusersync.secrets.SecretWatch;
import io.pgpoolusersync.tick.SyncStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness: up once a tick has succeeded, and from then on; pool_passwd stays valid through a later
 * API or pgpool outage, and an unready sidecar would take pgpool out of its Service. Liveness: down when
 * no tick has ended for {@code stall} (the timer thread is stuck), so that the kubelet restarts us.
 */
public final class TickHealthCheck extends AbstractHealthCheck {

    private final SyncStatus status;
    private final Convergence convergence;
    private final PgpoolKey key;
    private final SecretWatch watch;
    private final boolean readiness;
    private final Duration stall;

    private TickHealthCheck(String id, SyncStatus status, Convergence convergence, PgpoolKey key, SecretWatch watch,
            boolean readiness, Duration stall) {
        super("pgpool-user-sync", id);
        this.status = status;
        this.convergence = convergence;
        this.key = key;
        this.watch = watch;
        this.readiness = readiness;
        this.stall = stall;
    }

    /** Up from the first successful tick; the details say what pgpool has not taken up yet. */
    public static TickHealthCheck readiness(SyncStatus status, Convergence convergence, PgpoolKey key,
            SecretWatch watch) {
        return new TickHealthCheck("first-tick", status, convergence, key, watch, true, null);
    }

    public static TickHealthCheck liveness(SyncStatus status, Duration stall) {
        return new TickHealthCheck("ticking", status, null, null, null, false, stall);
    }

    @Override
    public boolean isReadiness() {
        return readiness;
    }

    @Override
    public boolean isLiveness() {
        return !readiness;
    }

    /** What pgpool has not taken up yet: children on the old file, a key it must restart for. */
    private void pending(HealthCheckResultBuilder builder) {
        Convergence.Status pgpool = convergence.status();
        builder.detail("pgpool", pgpool.state().name().toLowerCase(java.util.Locale.ROOT));
        if (pgpool.pending()) {
            builder.detail("pgpool.stale-children", pgpool.staleChildren() < 0 ? "all (not checked yet)"
                    : Integer.toString(pgpool.staleChildren()));
            builder.detail("pgpool.pending-since", String.valueOf(pgpool.writtenAt()));
            builder.detail("pgpool.overdue", Boolean.toString(pgpool.overdue()));
        }
        if (pgpool.error() != null) {
            builder.detail("pgpool.error", pgpool.error());
        }
        if (key != null && key.restartPending() != null) {
            builder.detail("pgpool.restart-needed", key.restartPending());
        }
        if (watch != null) {
            builder.detail("watch", watch.watching() ? "watching" : "down: changes wait for the resync");
        }
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        if (status.lastError() != null) {
            builder.detail("last.error", status.lastError());
        }
        if (readiness) {
            pending(builder);
            if (status.lastSuccess() == null) {
                builder.message("no successful tick yet").down();
            } else {
                builder.detail("last.success", status.lastSuccess().toString()).up();
            }
            return;
        }
        Instant last = status.lastTick() == null ? status.started() : status.lastTick();
        Duration silent = Duration.between(last, Instant.now());
        if (silent.compareTo(stall) > 0) {
            builder.message("no tick ended for " + silent.toSeconds() + " s").down();
        } else {
            builder.up();
        }
    }
}
