package io.pgpoolusersync.pgpool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgpoolusersync.pcp.PgpoolChild;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which children may still read a replaced pool_passwd, from process-info snapshots and reloads. */
class StaleChildrenTest {

    static PgpoolChild waiting(int pid, long sessions) {
        return new PgpoolChild(pid, "2026-11-25 10:00:00", sessions, PgpoolChild.WAITING);
    }

    static PgpoolChild busy(int pid, long sessions) {
        return new PgpoolChild(pid, "2026-11-25 10:00:00", sessions, "Idle");
    }

    @Test
    void everyChildOfTheFirstSnapshotIsSuspect() {
        StaleChildren stale = new StaleChildren();
        assertEquals(-1, stale.count(), "unknown before the first snapshot");
        assertFalse(stale.converged());
        stale.observe(List.of(waiting(1, 0), busy(2, 3)));
        assertEquals(List.of(1, 2), stale.pids());
        assertTrue(stale.reloadHelps(), "child 1 waits: a reload reaches it");
    }

    @Test
    void aChildThatWaitedUntouchedAcrossAReloadIsCurrent() {
        StaleChildren stale = new StaleChildren();
        stale.observe(List.of(waiting(1, 5), waiting(2, 7)));
        stale.reloaded();
        stale.observe(List.of(waiting(1, 5), waiting(2, 8)));
        assertEquals(List.of(2), stale.pids(), "child 2 served a session in between: it may have taken the"
                + " reload mid-session");
        assertTrue(stale.progress());
    }

    @Test
    void waitingAcrossSnapshotsWithoutAReloadProvesNothing() {
        StaleChildren stale = new StaleChildren();
        stale.observe(List.of(waiting(1, 5)));
        stale.observe(List.of(waiting(1, 5)));
        assertEquals(List.of(1), stale.pids());
        assertFalse(stale.progress());
    }

    @Test
    void aBusyChildStaysSuspectAndAReloadCannotHelpIt() {
        StaleChildren stale = new StaleChildren();
        stale.observe(List.of(busy(1, 0)));
        assertFalse(stale.reloadHelps(), "a busy child drops a reload's pool_passwd part");
        stale.reloaded();
        stale.observe(List.of(busy(1, 0)));
        assertEquals(List.of(1), stale.pids());
        assertFalse(stale.progress());
    }

    @Test
    void theEndOfALongSessionIsProgress() {
        StaleChildren stale = new StaleChildren();
        stale.observe(List.of(busy(1, 0)));
        stale.observe(List.of(busy(1, 0)));
        stale.observe(List.of(waiting(1, 1)));
        assertTrue(stale.progress(), "busy in two snapshots, now waiting: reload it soon");
        assertTrue(stale.reloadHelps());
        stale.reloaded();
        stale.observe(List.of(waiting(1, 1)));
        assertTrue(stale.converged());
    }

    @Test
    void aChildThatExitedIsGoneAndNewChildrenAreNotSuspects() {
        StaleChildren stale = new StaleChildren();
        stale.observe(List.of(busy(1, 0), busy(2, 0)));
        stale.observe(List.of(busy(2, 0), busy(3, 0)));
        assertEquals(List.of(2), stale.pids(), "1 exited; 3 started after the write and opened the new file");
        stale.observe(List.of(busy(3, 0)));
        assertTrue(stale.converged());
    }

    @Test
    void aReusedPidWithAnotherStartTimeIsAnotherChild() {
        StaleChildren stale = new StaleChildren();
        stale.observe(List.of(busy(1, 9)));
        stale.observe(List.of(new PgpoolChild(1, "2026-11-25 10:05:00", 0, "Idle")));
        assertTrue(stale.converged());
    }
}
