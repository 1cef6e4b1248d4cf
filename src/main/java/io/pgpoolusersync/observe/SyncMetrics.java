package io.pgpoolusersync.observe;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.pgpoolusersync.secrets.RejectReason;
import io.pgpoolusersync.tick.SyncStatus;
import java.util.concurrent.TimeUnit;

/**
 * The sync's Prometheus metrics, read from {@link SyncStatus} at scrape time and served by Camel's
 * management port at /observe/metrics beside Camel's own.
 */
public final class SyncMetrics implements MeterBinder {

    private final SyncStatus status;

    public SyncMetrics(SyncStatus status) {
        this.status = status;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("pgpool_user_sync_ticks", status, SyncStatus::ticksOk)
                .tag("result", "ok").description("Ticks by result").register(registry);
        FunctionCounter.builder("pgpool_user_sync_ticks", status, SyncStatus::ticksFailed)
                .tag("result", "failed").description("Ticks by result").register(registry);
        FunctionCounter.builder("pgpool_user_sync_reloads", status, SyncStatus::reloadsOk)
                .tag("result", "ok").description("pgpool reloads over PCP by result").register(registry);
        FunctionCounter.builder("pgpool_user_sync_reloads", status, SyncStatus::reloadsFailed)
                .tag("result", "failed").description("pgpool reloads over PCP by result").register(registry);
        FunctionTimer.builder("pgpool_user_sync_tick_duration", status, s -> s.ticksOk() + s.ticksFailed(),
                SyncStatus::tickSecondsTotal, TimeUnit.SECONDS)
                .description("Ticks and the time spent in them").register(registry);
        Gauge.builder("pgpool_user_sync_last_tick_duration_seconds", status, s -> s.lastDuration().toNanos() / 1e9)
                .description("Duration of the last tick").register(registry);
        Gauge.builder("pgpool_user_sync_users_managed", status, SyncStatus::usersManaged)
                .description("pool_passwd users managed by the sync").register(registry);
        Gauge.builder("pgpool_user_sync_last_success_timestamp_seconds", status,
                s -> s.lastSuccess() == null ? 0 : s.lastSuccess().toEpochMilli() / 1000.0)
                .description("Unix time of the last successful tick (0: none yet)").register(registry);
        for (RejectReason reason : RejectReason.values()) {
            Gauge.builder("pgpool_user_sync_secrets_rejected", status, s -> s.rejected(reason))
                    .tag("reason", reason.camelCase())
                    .description("Secrets rejected by the last tick, by reason").register(registry);
        }
    }
}
