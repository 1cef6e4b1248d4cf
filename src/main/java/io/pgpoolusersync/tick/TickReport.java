package io.pgpoolusersync.tick;

import io.pgpoolusersync.pgpool.Convergence;
import io.pgpoolusersync.secrets.Rejection;
import io.pgpoolusersync.store.PoolPasswdChange;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of a tick: one summary line, the rejections, the status. The log says what changed: a tick that
 * writes, a new or changed rejection, a new failure and the recovery are logged (INFO, WARN); an idle tick,
 * an unchanged rejection and the same failure again go to debug, with an INFO heartbeat at least every
 * {@code heartbeat} so that a quiet log still shows the sync alive. Nothing here ever prints a password or
 * an entry. Routes see the {@link TickSummary} it returns.
 */
public final class TickReport {

    private static final Logger LOG = LoggerFactory.getLogger(TickReport.class);

    private final SyncStatus status;
    private final Convergence convergence;
    private final RejectionListener listener;
    private final Duration heartbeat;
    private final boolean dryRun;
    private Map<String, String> reported = Map.of();
    private Instant lastInfo = Instant.MIN;
    private long quietTicks;
    private String lastPgpool;
    private String failure; // the failure last logged; null while ticks succeed
    private Instant failingSince;
    private long failedTicks;
    private volatile TickSummary lastSummary;
    private volatile boolean lastPlanWrites;

    public TickReport(SyncStatus status, Convergence convergence, RejectionListener listener, Duration heartbeat) {
        this(status, convergence, listener, heartbeat, false);
    }

    /** @param dryRun the change is only planned: the summary line says "would", never "written" */
    public TickReport(SyncStatus status, Convergence convergence, RejectionListener listener, Duration heartbeat,
            boolean dryRun) {
        this.status = status;
        this.convergence = convergence;
        this.listener = listener;
        this.heartbeat = heartbeat;
        this.dryRun = dryRun;
    }

    /** Told once per new or changed rejection: where Events and metrics hook in. */
    public interface RejectionListener {
        void rejected(Rejection rejection);
    }

    /**
     * Whether the last tick's plan writes pool_passwd or its ownership record: what a dry run would have
     * written (its summary says {@code written=false}, as nothing was).
     */
    public boolean lastPlanWrites() {
        return lastPlanWrites;
    }

    /** How the last tick went; null before the first one ended. */
    public TickSummary lastSummary() {
        return lastSummary;
    }

    /**
     * The tick's change, with where pgpool stands now (the write's first convergence round has run).
     * Stable for routes; the body after it is the {@link TickSummary}.
     */
    public synchronized TickSummary succeeded(PoolPasswdChange change, Exchange exchange) {
        TickResult result = new TickResult(change, convergence.status());
        int newRejections = reportRejections(change.rejections());
        String line = (dryRun ? "dry run, nothing written: would add=" : "tick: added=") + change.added()
                + " updated=" + change.updated() + " removed=" + change.removed() + " unchanged="
                + change.unchanged() + " rejected=" + change.rejections().size()
                + (dryRun ? "" : " written=" + (change.changed() ? "yes" : "no") + " pgpool=" + result.pgpoolSummary());
        Duration duration = elapsed(exchange);
        // Before the status: a one-shot run that the status wakes reads it.
        lastPlanWrites = change.changed();
        lastSummary = TickSummary.succeeded(result, newRejections, dryRun);
        if (!result.succeeded()) {
            failure("pgpool unreachable: " + result.pgpool().error(), line);
            status.failed("pgpool unreachable: " + result.pgpool().error(), duration, result);
            return lastSummary;
        }
        recovered();
        boolean changed = change.changed() || change.added() + change.updated() + change.removed() > 0
                || newRejections > 0 || !result.pgpoolSummary().equals(lastPgpool);
        lastPgpool = result.pgpoolSummary();
        Instant now = Instant.now();
        if (changed || Duration.between(lastInfo, now).compareTo(heartbeat) >= 0) {
            LOG.info(quietTicks == 0 || changed ? line : line + " (" + quietTicks + " idle ticks since the last line)");
            lastInfo = now;
            quietTicks = 0;
        } else {
            LOG.debug(line);
            quietTicks++;
        }
        status.succeeded(result, duration);
        return lastSummary;
    }

    /**
     * Any error before the rename left pool_passwd as it was; say so, with the cause. Stable for routes;
     * the body after it is the {@link TickSummary} of the failed tick.
     */
    public synchronized TickSummary failed(Exchange exchange) {
        Throwable error = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String message = error == null ? "unknown error" : ErrorText.of(error);
        failure(message, "tick failed, pool_passwd left as it was: " + message);
        lastPlanWrites = false;
        lastSummary = TickSummary.failed(message, dryRun);
        status.failed(message, elapsed(exchange), null);
        return lastSummary;
    }

    /** A failure is logged when it starts or changes, not on every tick it lasts. */
    private void failure(String what, String line) {
        failedTicks++;
        if (what.equals(failure)) {
            LOG.debug(line);
            return;
        }
        LOG.warn(failure == null ? line : line + " (the failure changed; failing since " + failingSince + ")");
        if (failure == null) {
            failingSince = Instant.now();
        }
        failure = what;
        lastInfo = Instant.now();
    }

    private void recovered() {
        if (failure != null) {
            LOG.info("ticks succeed again, after {} failed since {}", failedTicks, failingSince);
            failure = null;
            failingSince = null;
            lastPgpool = null; // the next line says where things stand
        }
        failedTicks = 0;
    }

    /** @return how many rejections are new or changed (logged as warnings and told to the listener) */
    private int reportRejections(List<Rejection> rejections) {
        int fresh = 0;
        Map<String, String> now = new HashMap<>();
        for (Rejection rejection : rejections) {
            String key = rejection.source().toString();
            String fingerprint = rejection.reason() + " " + rejection.detail() + " "
                    + rejection.source().resourceVersion();
            now.put(key, fingerprint);
            if (fingerprint.equals(reported.get(key))) {
                LOG.debug("{}", rejection);
            } else {
                LOG.warn("{}", rejection);
                listener.rejected(rejection);
                fresh++;
            }
        }
        reported = now;
        return fresh;
    }

    private static Duration elapsed(Exchange exchange) {
        return Duration.ofMillis(Math.max(0, System.currentTimeMillis() - exchange.getClock().getCreated()));
    }
}
