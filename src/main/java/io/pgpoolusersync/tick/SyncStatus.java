package io.pgpoolusersync.tick;

import io.pgpoolusersync.secrets.RejectReason;
import io.pgpoolusersync.secrets.Rejection;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** How the ticks have gone: what health checks, metrics and the one-shot exit code read. */
public final class SyncStatus {

    private final Instant started = Instant.now();
    private final AtomicLong ticksOk = new AtomicLong();
    private final AtomicLong ticksFailed = new AtomicLong();
    private final AtomicLong tickNanosTotal = new AtomicLong();
    private volatile Instant lastTick;
    private volatile Instant lastSuccess;
    private volatile String lastError;
    private volatile Duration lastDuration = Duration.ZERO;
    private volatile int usersManaged;
    private volatile Map<RejectReason, Integer> rejected = Map.of();
    private final Set<RejectReason> reasonsSeen = ConcurrentHashMap.newKeySet();
    private volatile Consumer<RejectReason> newReason = reason -> { };

    public void succeeded(TickResult result, Duration duration) {
        lastError = null;
        counted(result);
        finished(duration, true);
    }

    /** A tick that wrote but could not reach pgpool, or failed before writing. */
    public void failed(String error, Duration duration, TickResult result) {
        lastError = error;
        if (result != null) {
            counted(result);
        }
        finished(duration, false);
    }

    /** Last, so that a one-shot run woken here reads the whole outcome of its tick. */
    private synchronized void finished(Duration duration, boolean ok) {
        lastTick = Instant.now();
        if (ok) {
            lastSuccess = lastTick;
        }
        lastDuration = duration;
        tickNanosTotal.addAndGet(duration.toNanos());
        (ok ? ticksOk : ticksFailed).incrementAndGet();
        notifyAll();
    }

    /** Waits until {@code count} ticks have ended, successful or not (a one-shot run's single tick). */
    public synchronized void awaitTicks(long count) throws InterruptedException {
        while (ticksEnded() < count) {
            wait();
        }
    }

    private void counted(TickResult result) {
        usersManaged = result.change().managedAfter().users().size();
        rejected = countByReason(result.change().rejections());
    }

    private Map<RejectReason, Integer> countByReason(List<Rejection> rejections) {
        Map<RejectReason, Integer> counts = new HashMap<>();
        for (Rejection rejection : rejections) {
            counts.merge(rejection.reason(), 1, Integer::sum);
            if (!rejection.reason().builtIn() && reasonsSeen.add(rejection.reason())) {
                newReason.accept(rejection.reason());
            }
        }
        return counts;
    }

    /** Told once of each reason of a route's own (a policy) when first counted: metrics add its label. */
    public void onNewReason(Consumer<RejectReason> listener) {
        newReason = listener;
    }

    public Instant started() {
        return started;
    }

    public long ticksOk() {
        return ticksOk.get();
    }

    public long ticksFailed() {
        return ticksFailed.get();
    }

    /** Ticks ended, successful or not. */
    public long ticksEnded() {
        return ticksOk.get() + ticksFailed.get();
    }

    public double tickSecondsTotal() {
        return tickNanosTotal.get() / 1e9;
    }

    /** Null before the first tick ends. */
    public Instant lastTick() {
        return lastTick;
    }

    /** Null before the first successful tick. */
    public Instant lastSuccess() {
        return lastSuccess;
    }

    /** Null when the last tick succeeded. */
    public String lastError() {
        return lastError;
    }

    public Duration lastDuration() {
        return lastDuration;
    }

    public int usersManaged() {
        return usersManaged;
    }

    /** Secrets rejected by the last tick that got that far, by reason. */
    public int rejected(RejectReason reason) {
        return rejected.getOrDefault(reason, 0);
    }
}
