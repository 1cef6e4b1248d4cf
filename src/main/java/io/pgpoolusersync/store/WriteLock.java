package io.pgpoolusersync.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One writer of pool_passwd at a time: an exclusive lock ({@link FileChannel#tryLock}, fcntl on Linux) on
 * a lock file beside it, across processes (a {@code --once} run beside the daemon, overlapping cron runs)
 * and across stores in one JVM. The lock file is never deleted: deleting it would let two runs lock two
 * different files. The operating system drops the lock when its process dies.
 */
final class WriteLock {

    private static final long POLL_MILLIS = 50;

    private final Path file;
    private final Duration timeout;
    private FileChannel channel;
    private FileLock lock;

    WriteLock(Path file, Duration timeout) {
        this.file = file;
        this.timeout = timeout;
    }

    /** Takes the lock, waiting up to the timeout; does nothing when this instance holds it already. */
    synchronized void acquire() throws IOException {
        if (lock != null && lock.isValid()) {
            return;
        }
        FileChannel opened;
        try {
            opened = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (IOException e) {
            throw new IOException("cannot open the lock file " + file + ": " + AtomicFile.reason(e), e);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                FileLock taken;
                try {
                    taken = opened.tryLock();
                } catch (OverlappingFileLockException e) {
                    taken = null; // another store of this JVM holds it
                }
                if (taken != null) {
                    channel = opened;
                    lock = taken;
                    return;
                }
                if (System.nanoTime() - deadline >= 0) {
                    throw new IOException("pool_passwd is being written by another pgpool-user-sync run: its lock "
                            + file + " was still held after " + timeout.toSeconds() + " s; nothing was written");
                }
                TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            opened.close();
            throw new IOException("interrupted while waiting for the lock " + file, e);
        } catch (IOException | RuntimeException e) {
            if (lock == null) {
                opened.close();
            }
            throw e;
        }
    }

    /** Releases the lock if held; safe to call any number of times. */
    synchronized void release() {
        try {
            if (channel != null) {
                channel.close(); // releases the lock too
            }
        } catch (IOException e) {
            // Closing a lock file cannot lose data; the lock goes with the descriptor.
        } finally {
            channel = null;
            lock = null;
        }
    }

    synchronized boolean held() {
        return lock != null && lock.isValid();
    }
}
