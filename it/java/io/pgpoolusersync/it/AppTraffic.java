package io.pgpoolusersync.it;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Traffic through pgpool as an application pool makes it: long sessions that keep pgpool children busy
 * (each session holds one child), and short connections that come and go on the children left. Long
 * sessions run a query every 100 ms, as a pool's keep-alive or its work would.
 */
final class AppTraffic implements AutoCloseable {

    private final PgpoolHarness harness;
    private final List<Connection> sessions = new ArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger shortConnections = new AtomicInteger();
    private final AtomicInteger errors = new AtomicInteger();
    private final List<Thread> threads = new ArrayList<>();

    private AppTraffic(PgpoolHarness harness) {
        this.harness = harness;
    }

    /** {@code longSessions} sessions held open, and one thread opening a short connection every {@code gapMillis}. */
    static AppTraffic start(PgpoolHarness harness, int longSessions, long gapMillis) throws SQLException {
        AppTraffic traffic = new AppTraffic(harness);
        for (int i = 0; i < longSessions; i++) {
            traffic.sessions.add(harness.connectThroughPgpool(harness.adminUser(), harness.adminPassword()));
        }
        traffic.thread("app-keepalive", () -> {
            for (Connection c : traffic.sessions) {
                try (Statement s = c.createStatement()) {
                    s.execute("SELECT 1");
                }
            }
            LockSupport.parkNanos(100_000_000L); // the pool's own pace, not a wait for an outcome
        });
        traffic.thread("app-short", () -> {
            try (Connection c = harness.connectThroughPgpool(harness.adminUser(), harness.adminPassword());
                    Statement s = c.createStatement()) {
                s.execute("SELECT 1");
            }
            traffic.shortConnections.incrementAndGet();
            LockSupport.parkNanos(gapMillis * 1_000_000L);
        });
        return traffic;
    }

    private interface Step {
        void run() throws SQLException;
    }

    private void thread(String name, Step step) {
        Thread t = new Thread(() -> {
            while (running.get()) {
                try {
                    step.run();
                } catch (SQLException e) {
                    if (running.get()) {
                        errors.incrementAndGet();
                    }
                }
            }
        }, name);
        t.setDaemon(true);
        t.start();
        threads.add(t);
    }

    int shortConnections() {
        return shortConnections.get();
    }

    int errors() {
        return errors.get();
    }

    /** Ends the short connections and closes the long sessions; returns once all are closed. */
    @Override
    public void close() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join(10_000);
        }
        for (Connection c : sessions) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing is best effort
            }
        }
    }
}
