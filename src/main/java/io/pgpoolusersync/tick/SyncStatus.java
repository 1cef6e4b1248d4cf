package io.pgpoolusersync.tick;

import io.pgpoolusersync.secrets.RejectReason;
import io.pgpoolusersync.secrets.Rejection;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
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
    private volatile Map<RejectReason, Integer> rejected = new EnumMap<>(RejectReason.class);

    /** Synchronized whole: a one-shot run woken by {@link #awaitTicks} must see the tick's outcome. */
    public synchronized void succeeded(TickResult result, Duration duration) {
        lastTick = Instant.now();
        lastSuccess = lastTick;
        lastError = null;
        counted(result);
        ticksOk.incrementAndGet();
        finished(duration);
    }

    /** A tick that wrote but could not reach pgpool, or failed before writing. */
    public synchronized void failed(String error, Duration duration, TickResult result) {
        lastTick = Instant.now();
        lastError = error;
        if (result != null) {
            counted(result);
        }
        ticksFailed.incrementAndGet();
        finished(duration);
    }

    private void finished(Duration duration) {
        lastDuration = duration;
        tickNanosTotal.addAndGet(duration.toNanos());
        notifyAll();
    }

    /** Waits until {@code count} ticks have ended, successful or not (a one-shot run's single tick). */
    public synchronized void awaitTicks(long count) throws InterruptedException {
        while (ticksOk.get() + ticksFailed.get() < count) {
            wait();
        }
    }

    private void counted(TickResult result) {
        usersManaged = result.change().managedAfter().users().size();
        rejected = countByReason(result.change().rejections());
    }

    private static Map<RejectReason, Integer> countByReason(List<Rejection> rejections) {
        Map<RejectReason, Integer> counts = new EnumMap<>(RejectReason.class);
        for (RejectReason reason : RejectReason.values()) {
            counts.put(reason, 0);
        }
        rejections.forEach(r -> counts.merge(r.reason(), 1, Integer::sum));
        return counts;
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
