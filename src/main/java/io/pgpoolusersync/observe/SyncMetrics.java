package io.pgpoolusersync.observe;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.pgpoolusersync.pgpool.Convergence;
import io.pgpoolusersync.pgpool.PgpoolKey;
import io.pgpoolusersync.secrets.RejectReason;
import io.pgpoolusersync.secrets.SecretWatch;
import io.pgpoolusersync.tick.SyncStatus;
import java.util.concurrent.TimeUnit;

/**
 * The sync's Prometheus metrics, read from {@link SyncStatus}, {@link Convergence} and {@link PgpoolKey}
 * at scrape time and served by Camel's management port at /observe/metrics beside Camel's own.
 */
public final class SyncMetrics implements MeterBinder {

    private final SyncStatus status;
    private final Convergence convergence;
    private final PgpoolKey key;
    private final SecretWatch watch;
    private final RejectionEvents events;

    /**
     * @param key null when the entry format needs no key
     * @param watch null when Secrets are not watched (manifests, or --watch=false)
     * @param events null when no Events are recorded (manifests)
     */
    public SyncMetrics(SyncStatus status, Convergence convergence, PgpoolKey key, SecretWatch watch,
            RejectionEvents events) {
        this.events = events;
        this.status = status;
        this.convergence = convergence;
        this.key = key;
        this.watch = watch;
    }

    private void rejected(MeterRegistry registry, RejectReason reason) {
        Gauge.builder("pgpool_user_sync_secrets_rejected", status, s -> s.rejected(reason))
                .tag("reason", reason.name())
                .description("Secrets rejected by the last tick, by reason").register(registry);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("pgpool_user_sync_ticks", status, SyncStatus::ticksOk)
                .tag("result", "ok").description("Ticks by result").register(registry);
        FunctionCounter.builder("pgpool_user_sync_ticks", status, SyncStatus::ticksFailed)
                .tag("result", "failed").description("Ticks by result").register(registry);
        FunctionTimer.builder("pgpool_user_sync_tick_duration", status, SyncStatus::ticksEnded,
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
            rejected(registry, reason);
        }
        status.onNewReason(reason -> rejected(registry, reason)); // a policy's own reasons, when first seen

        FunctionCounter.builder("pgpool_user_sync_convergence_rounds", convergence, Convergence::roundsTotal)
                .description("PCP rounds (one connection each) checking pgpool's children").register(registry);
        FunctionCounter.builder("pgpool_user_sync_reloads", convergence, Convergence::reloadsTotal)
                .tag("result", "ok").description("pgpool reloads sent over PCP; failed: rounds that could not"
                        + " reach pgpool").register(registry);
        FunctionCounter.builder("pgpool_user_sync_reloads", convergence, Convergence::failedRoundsTotal)
                .tag("result", "failed").description("pgpool reloads sent over PCP; failed: rounds that could not"
                        + " reach pgpool").register(registry);
        Gauge.builder("pgpool_user_sync_children_stale", convergence,
                c -> c.status().pending() ? Math.max(c.status().staleChildren(), 1) : 0)
                .description("pgpool children that may still use the previous pool_passwd (1 until the first"
                        + " check after a write)").register(registry);
        Gauge.builder("pgpool_user_sync_convergence_overdue", convergence, c -> c.status().overdue() ? 1 : 0)
                .description("1 when pgpool children have not taken up a write after converge-warn-after")
                .register(registry);
        FunctionTimer.builder("pgpool_user_sync_convergence", convergence, Convergence::convergedTotal,
                Convergence::convergenceSecondsTotal, TimeUnit.SECONDS)
                .description("Writes every pgpool child took up, and the time from write to that").register(registry);
        Gauge.builder("pgpool_user_sync_last_convergence_seconds", convergence, Convergence::lastConvergenceSeconds)
                .description("Time from the last write taken up to every pgpool child using it").register(registry);
        Gauge.builder("pgpool_user_sync_key_restart_pending", this, m -> m.key != null && m.key.restartPending() != null ? 1 : 0)
                .description("1 when the key file changed under a running pgpool, which must restart to use it")
                .register(registry);
        if (events != null) {
            FunctionCounter.builder("pgpool_user_sync_events_dropped", events, RejectionEvents::dropped)
                    .description("Rejection Events not recorded because their queue was full").register(registry);
        }
        if (watch != null) {
            Gauge.builder("pgpool_user_sync_watch_up", watch, w -> w.watching() ? 1 : 0)
                    .description("1 while the watch of Secrets is open; 0: changes wait for the resync").register(registry);
        }
    }
}
