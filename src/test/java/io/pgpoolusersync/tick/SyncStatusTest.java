package io.pgpoolusersync.tick;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SyncStatusTest {

    /**
     * A one-shot run reads the tick's outcome as soon as awaitTicks returns: the outcome must be set by
     * then. It once was set after the waiter was let go, and a --once run under load exited 1 with
     * "pgpool-user-sync: null". A race, so tried many times over.
     */
    @Test
    void theOutcomeIsSetWhenAwaitTicksReturns() throws Exception {
        for (int i = 0; i < 5000; i++) {
            SyncStatus status = new SyncStatus();
            Thread tick = new Thread(() -> status.failed("boom", Duration.ofMillis(1), null));
            tick.start();
            status.awaitTicks(1);
            assertEquals("boom", status.lastError(), "round " + i);
            tick.join();
        }
    }
}
