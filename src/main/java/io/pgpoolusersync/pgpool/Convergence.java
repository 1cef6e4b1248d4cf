package io.pgpoolusersync.pgpool;

import io.pgpoolusersync.pcp.PcpClient;
import io.pgpoolusersync.pcp.PcpException;
import io.pgpoolusersync.pcp.PcpSession;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes every pgpool child use the pool_passwd last written, and knows when they all do.
 *
 * <p>A round is one PCP connection: the children ({@code pcp_proc_info}), then a reload when a suspect
 * child is waiting for a client (see {@link StaleChildren}). The first round runs in the tick that wrote
 * (or at the sync's start: a previous run may have written and died before pgpool used the file); the
 * next ones run on a thread of their own, {@code interval} apart, until no child may hold the old file;
 * then nothing is sent until the next write. The interval is also the time a reload is given to reach
 * the children: pgpool answers it before its main process has signalled them.
 *
 * <p>A reload is sent only when a suspect child is waiting: a busy one would drop it. While nothing moves
 * (long sessions, or a child taking client after client) rounds come every two intervals: when a long
 * session ends, a round finds its child waiting within that bound (the window in which a removed user
 * could start a session there), then goes back to one interval to confirm it. After {@code warnAfter}
 * the write is overdue: reported once, and rounds slow to one per {@code maxBackoff} (the tick period),
 * so that a child that never has a quiet moment (a client after client, no gap of an interval) does not
 * cost pgpool a reload every interval for good. A failed round waits twice as long as the one before,
 * up to {@code maxBackoff}.
 */
public final class Convergence {

    private static final Logger LOG = LoggerFactory.getLogger(Convergence.class);

    /** What the last round found. */
    public enum State {
        /** No PCP endpoint: pgpool is not reloaded and nothing is known of its children. */
        DISABLED,
        /** Every child uses the last written file; nothing is sent. */
        CONVERGED,
        /** Some children may still hold the old file; rounds go on. */
        PENDING,
        /** The last round could not talk to pgpool; retried with back-off. */
        FAILED
    }

    /** A snapshot for the tick, metrics and health; {@code staleChildren} is -1 when not known yet. */
    public record Status(State state, int staleChildren, Instant writtenAt, boolean overdue, String error) {
        public boolean pending() {
            return state == State.PENDING || state == State.FAILED;
        }
    }

    private final PcpClient pcp;
    private final long intervalNanos;
    private final long warnAfterNanos;
    private final long maxBackoffNanos;
    private final PgpoolCheck check;

    private final ScheduledExecutorService rounds = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "pgpool-user-sync-convergence");
        thread.setDaemon(true);
        return thread;
    });
    private ScheduledFuture<?> next;
    private StaleChildren stale;
    private Instant writtenAt;
    private long writtenNanos;
    private long waitNanos;
    private int roundCount;
    private int reloads;
    private int failures;
    private boolean overdueWarned;
    private volatile Status status;

    private final AtomicLong roundsTotal = new AtomicLong();
    private final AtomicLong reloadsTotal = new AtomicLong();
    private final AtomicLong failedRoundsTotal = new AtomicLong();
    private final AtomicLong convergedTotal = new AtomicLong();
    private final DoubleAdder convergenceSecondsTotal = new DoubleAdder();
    private volatile double lastConvergenceSeconds;

    /**
     * @param pcp null when no PCP endpoint is configured
     * @param interval time between rounds while children may hold the old file
     * @param warnAfter when a convergence still pending is reported as overdue
     * @param maxBackoff the longest wait after failed rounds
     */
    public Convergence(PcpClient pcp, Duration interval, Duration warnAfter, Duration maxBackoff) {
        this.pcp = pcp;
        this.intervalNanos = interval.toNanos();
        this.warnAfterNanos = warnAfter.toNanos();
        this.maxBackoffNanos = Math.max(maxBackoff.toNanos(), intervalNanos);
        this.check = new PgpoolCheck();
        if (pcp == null) {
            status = new Status(State.DISABLED, 0, null, false, null);
        } else {
            begin(); // owed at start
        }
    }

    /** Starts the rounds owed at start. */
    public synchronized void start() {
        if (stale != null) {
            schedule(0);
        }
    }

    /** pool_passwd was replaced: every child present may hold the old file. Then a first round, now. */
    public synchronized void written() {
        if (pcp != null) {
            begin();
            round();
        }
    }

    /**
     * For a one-shot run: waits until every child uses the file, a round fails (a one-shot run does not
     * wait out an outage), or {@code warnAfter} has passed since the write.
     */
    public synchronized Status awaitConverged() throws InterruptedException {
        while (stale != null && !overdueWarned && status.state() != State.FAILED) {
            wait();
        }
        return status;
    }

    /** Stops the rounds. */
    public void close() {
        rounds.shutdownNow();
    }

    public Status status() {
        return status;
    }

    private void begin() {
        stale = new StaleChildren();
        writtenAt = Instant.now();
        writtenNanos = System.nanoTime();
        waitNanos = intervalNanos;
        roundCount = 0;
        reloads = 0;
        overdueWarned = false;
        status = new Status(State.PENDING, -1, writtenAt, false, null);
    }

    private synchronized void scheduledRound() {
        if (stale != null) {
            round();
        }
    }

    private void schedule(long delayNanos) {
        if (next != null) {
            next.cancel(false);
        }
        if (!rounds.isShutdown()) {
            next = rounds.schedule(this::scheduledRound, delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** One round; the next is scheduled while children may still hold the old file. */
    private void round() {
        long now = System.nanoTime();
        roundCount++;
        roundsTotal.incrementAndGet();
        try (PcpSession session = pcp.open()) {
            check.once(session);
            stale.observe(session.children());
            if (stale.converged()) {
                converged(now);
                return;
            }
            if (stale.reloadHelps()) {
                session.reload();
                stale.reloaded();
                reloads++;
                reloadsTotal.incrementAndGet();
            }
            // Nothing moved since the last round (sessions still open, or a child taking client after
            // client): wait twice as long, up to two intervals. A child done, gone, or out of a long
            // session: back to one, to reload it or confirm it soon. Overdue: once a period.
            waitNanos = stale.progress() ? intervalNanos : Math.min(waitNanos * 2, 2 * intervalNanos);
            if (overdue(now)) {
                waitNanos = Math.max(waitNanos, maxBackoffNanos);
            }
            if (failures > 0) {
                LOG.info("pgpool PCP at {} answers again", pcp.where());
                failures = 0;
            }
            schedule(waitNanos);
        } catch (PcpException e) {
            failedRoundsTotal.incrementAndGet();
            if (failures++ == 0) {
                LOG.warn("pgpool children may still use the old pool_passwd: {}; retrying", e.getMessage());
            } else {
                LOG.debug("round {} failed again: {}", roundCount, e.getMessage());
            }
            schedule(Math.min(intervalNanos << Math.min(failures, 20), maxBackoffNanos));
            status = new Status(State.FAILED, stale.count(), writtenAt, overdue(now), e.getMessage());
            notifyAll();
            return;
        }
        status = new Status(State.PENDING, stale.count(), writtenAt, overdue(now), null);
        notifyAll();
    }

    private void converged(long now) {
        double seconds = (now - writtenNanos) / 1e9;
        lastConvergenceSeconds = seconds;
        convergenceSecondsTotal.add(seconds);
        convergedTotal.incrementAndGet();
        LOG.info("pgpool converged: every child uses pool_passwd as of {} ({} s later, {} rounds, {} reloads)",
                writtenAt, String.format("%.2f", seconds), roundCount, reloads);
        failures = 0;
        stale = null;
        status = new Status(State.CONVERGED, 0, writtenAt, false, null);
        notifyAll();
    }

    /** Warns once per write, when children are still suspect {@code warnAfter} after it. */
    private boolean overdue(long now) {
        if (now - writtenNanos < warnAfterNanos) {
            return false;
        }
        if (!overdueWarned) {
            overdueWarned = true;
            LOG.warn("pgpool has not converged {} s after pool_passwd was written ({}): {} children may still use"
                    + " the old file (PIDs {}), serving sessions that began before it; once those end, a removed or"
                    + " changed user could still log in there. Reloads go on.",
                    TimeUnit.NANOSECONDS.toSeconds(now - writtenNanos), writtenAt,
                    stale.count() < 0 ? "all" : stale.count(), stale.pids());
        }
        return true;
    }

    // ---- metrics ----

    public long roundsTotal() {
        return roundsTotal.get();
    }

    public long reloadsTotal() {
        return reloadsTotal.get();
    }

    public long failedRoundsTotal() {
        return failedRoundsTotal.get();
    }

    public long convergedTotal() {
        return convergedTotal.get();
    }

    public double convergenceSecondsTotal() {
        return convergenceSecondsTotal.sum();
    }

    public double lastConvergenceSeconds() {
        return lastConvergenceSeconds;
    }

    /** What pgpool's running configuration says about whether our writes can take effect. */
    public Map<String, String> warnings() {
        return check.warnings();
    }
}
