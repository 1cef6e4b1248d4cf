package io.pgpoolusersync.observe;

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
    private final boolean readiness;
    private final Duration stall;

    private TickHealthCheck(String id, SyncStatus status, boolean readiness, Duration stall) {
        super("pgpool-user-sync", id);
        this.status = status;
        this.readiness = readiness;
        this.stall = stall;
    }

    public static TickHealthCheck readiness(SyncStatus status) {
        return new TickHealthCheck("first-tick", status, true, null);
    }

    public static TickHealthCheck liveness(SyncStatus status, Duration stall) {
        return new TickHealthCheck("ticking", status, false, stall);
    }

    @Override
    public boolean isReadiness() {
        return readiness;
    }

    @Override
    public boolean isLiveness() {
        return !readiness;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        if (status.lastError() != null) {
            builder.detail("last.error", status.lastError());
        }
        if (readiness) {
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
