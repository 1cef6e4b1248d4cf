package io.pgpoolusersync.tick;

import io.pgpoolusersync.pgpool.Convergence;
import io.pgpoolusersync.secrets.Rejection;
import io.pgpoolusersync.store.PoolPasswdChange;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of a tick: one summary line, the rejections, the status. A rejection is logged as a warning
 * when it is new or its reason changed, and at debug level on later ticks, so that an unchanged bad
 * Secret does not flood the log every period. Nothing here ever prints a password or an entry.
 */
public final class TickReport {

    private static final Logger LOG = LoggerFactory.getLogger(TickReport.class);

    private final SyncStatus status;
    private final Convergence convergence;
    private final RejectionListener listener;
    private Map<String, String> reported = Map.of();

    private volatile TickSummary lastSummary;
    private final boolean dryRun;

    public TickReport(SyncStatus status, Convergence convergence, RejectionListener listener) {
        this(status, convergence, listener, false);
    }

    /** @param dryRun the change is only planned: the summary line says "would", never "written" */
    public TickReport(SyncStatus status, Convergence convergence, RejectionListener listener, boolean dryRun) {
        this.status = status;
        this.convergence = convergence;
        this.listener = listener;
        this.dryRun = dryRun;
    }

    /** How the last tick went; null before the first one ended. */
    public TickSummary lastSummary() {
        return lastSummary;
    }

    /** Told once per new or changed rejection: where Events and metrics hook in. */
    public interface RejectionListener {
        void rejected(Rejection rejection);
    }

    /**
     * The tick's change, with where pgpool stands now (the write's first convergence round has run).
     * Stable for routes; the body after it is the {@link TickSummary}.
     */
    public TickSummary succeeded(PoolPasswdChange change, Exchange exchange) {
        TickResult result = new TickResult(change, convergence.status());
        int newRejections = reportRejections(change.rejections());
        String line = (dryRun ? "dry run, nothing written: would add=" : "tick: added=") + change.added()
                + " updated=" + change.updated() + " removed=" + change.removed() + " unchanged="
                + change.unchanged() + " rejected=" + change.rejections().size()
                + (dryRun ? "" : " written=" + (change.changed() ? "yes" : "no") + " pgpool=" + result.pgpoolSummary());
        Duration duration = elapsed(exchange);
        // Before the status: a one-shot run that the status wakes reads it.
        lastSummary = TickSummary.succeeded(result, newRejections);
        if (result.succeeded()) {
            LOG.info(line);
            status.succeeded(result, duration);
        } else {
            LOG.warn(line);
            status.failed("pgpool unreachable: " + result.pgpool().error(), duration, result);
        }
        return lastSummary;
    }

    /**
     * Any error before the rename left pool_passwd as it was; say so, with the cause. Stable for routes;
     * the body after it is the {@link TickSummary} of the failed tick.
     */
    public TickSummary failed(Exchange exchange) {
        Throwable error = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String message = error == null ? "unknown error" : ErrorText.of(error);
        LOG.warn("tick failed, pool_passwd left as it was: {}", message);
        lastSummary = TickSummary.failed(message);
        status.failed(message, elapsed(exchange), null);
        return lastSummary;
    }

    /** @return how many rejections are new or changed */
    private synchronized int reportRejections(List<Rejection> rejections) {
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
