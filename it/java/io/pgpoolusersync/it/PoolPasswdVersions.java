package io.pgpoolusersync.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Every version of pool_passwd seen while watching (polled every millisecond): when it was seen, its inode
 * (the sync replaces the file by a rename, a new inode; {@code pg_enc -m} rewrites it in place) and its
 * bytes. A test reads them after {@link #stop}; they hold entries, never printed.
 */
final class PoolPasswdVersions implements AutoCloseable {

    record Version(Instant seen, Object inode, byte[] content) {
    }

    private final Path file;
    private final List<Version> versions = new ArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    private PoolPasswdVersions(Path file) {
        this.file = file;
        this.thread = new Thread(this::poll, "pool-passwd-versions");
        this.thread.setDaemon(true);
    }

    static PoolPasswdVersions watch(Path file) throws IOException {
        PoolPasswdVersions watcher = new PoolPasswdVersions(file);
        watcher.record(); // the version before anything happens
        watcher.thread.start();
        return watcher;
    }

    private void poll() {
        while (running.get()) {
            try {
                record();
            } catch (IOException e) {
                // a file replaced between stat and read: the next poll sees the new one
            }
            LockSupport.parkNanos(Duration.ofMillis(1).toNanos()); // polling interval
        }
    }

    private synchronized void record() throws IOException {
        Object inode;
        byte[] content;
        try {
            inode = Files.getAttribute(file, "unix:ino");
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return;
        }
        Version last = versions.isEmpty() ? null : versions.get(versions.size() - 1);
        if (last == null || !last.inode().equals(inode) || !Arrays.equals(last.content(), content)) {
            versions.add(new Version(Instant.now(), inode, content));
        }
    }

    synchronized Version first() {
        return versions.get(0);
    }

    /** Stops watching; the versions seen, oldest first. */
    List<Version> stop() throws InterruptedException {
        running.set(false);
        thread.join(5_000);
        synchronized (this) {
            return List.copyOf(versions);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
