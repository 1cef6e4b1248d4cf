package io.pgpoolusersync.tick;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/** How the ticks have gone: what health checks, metrics and the one-shot exit code read. */
public final class SyncStatus {

    private final AtomicLong ticksOk = new AtomicLong();
    private final AtomicLong ticksFailed = new AtomicLong();
    private volatile Instant lastTick;
    private volatile Instant lastSuccess;
    private volatile String lastError;
    private volatile TickResult lastResult;
    private volatile Duration lastDuration = Duration.ZERO;

    public void succeeded(TickResult result, Duration duration) {
        ticksOk.incrementAndGet();
        lastTick = Instant.now();
        lastSuccess = lastTick;
        lastResult = result;
        lastError = null;
        lastDuration = duration;
    }

    public void failed(String error, Duration duration) {
        ticksFailed.incrementAndGet();
        lastTick = Instant.now();
        lastError = error;
        lastDuration = duration;
    }

    public long ticksOk() {
        return ticksOk.get();
    }

    public long ticksFailed() {
        return ticksFailed.get();
    }

    public Instant lastTick() {
        return lastTick;
    }

    public Instant lastSuccess() {
        return lastSuccess;
    }

    /** Null when the last tick succeeded. */
    public String lastError() {
        return lastError;
    }

    public TickResult lastResult() {
        return lastResult;
    }

    public Duration lastDuration() {
        return lastDuration;
    }
}
