package io.pgpoolusersync.store;

import io.pgpoolusersync.passwd.EntryFormat;
import io.pgpoolusersync.passwd.KeySource;
import io.pgpoolusersync.secrets.DeclaredUsers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * pool_passwd on disk and its ownership record beside it. {@link #plan} only reads; {@link #write}
 * replaces files atomically, so an error at any step leaves pool_passwd as it was.
 *
 * <p>One writer at a time: {@link #plan} takes the lock {@code <pool_passwd>.lock} and keeps it when
 * there is something to write; {@link #write} releases it, and so does {@link #unlock} (the tick calls
 * it whatever happened, so an error never leaves it held). Another run waits for it up to
 * {@link #LOCK_TIMEOUT}, then fails.
 */
public final class PoolPasswdStore {

    /** Far longer than a tick holds it (milliseconds), far shorter than "forever". */
    public static final Duration LOCK_TIMEOUT = Duration.ofSeconds(30);

    private final Path poolPasswd;
    private final Path record;
    private final KeySource key;
    private final EntryFormat format;
    private final WriteLock lock;
    private final boolean planOnly;
    private boolean leftoversRemoved;

    public PoolPasswdStore(Path poolPasswd, KeySource key, EntryFormat format) {
        this(poolPasswd, key, format, LOCK_TIMEOUT);
    }

    PoolPasswdStore(Path poolPasswd, KeySource key, EntryFormat format, Duration lockTimeout) {
        this(poolPasswd, key, format, lockTimeout, false);
    }

    private PoolPasswdStore(Path poolPasswd, KeySource key, EntryFormat format, Duration lockTimeout,
            boolean planOnly) {
        this.planOnly = planOnly;
        this.poolPasswd = poolPasswd;
        this.record = poolPasswd.resolveSibling(poolPasswd.getFileName() + ".managed");
        this.key = key;
        this.format = format;
        this.lock = new WriteLock(poolPasswd.resolveSibling(poolPasswd.getFileName() + ".lock"), lockTimeout);
    }

    /**
     * A dry run's store: {@link #plan} reads (no lock, no clean-up of a killed writer's temp files),
     * {@link #write} does nothing.
     */
    public static PoolPasswdStore planOnly(Path poolPasswd, KeySource key, EntryFormat format) {
        return new PoolPasswdStore(poolPasswd, key, format, LOCK_TIMEOUT, true);
    }

    /**
     * The change the declared users make to the current file. The key is asked for on every tick. The
     * lock stays held when there is something to write.
     */
    public PoolPasswdChange plan(DeclaredUsers declared) throws IOException {
        if (planOnly) {
            leftoversRemoved = true;
            return planLocked(declared);
        }
        lock.acquire();
        boolean keep = false;
        try {
            PoolPasswdChange change = planLocked(declared);
            keep = change.changed();
            return change;
        } finally {
            if (!keep) {
                lock.release();
            }
        }
    }

    private PoolPasswdChange planLocked(DeclaredUsers declared) throws IOException {
        if (!leftoversRemoved) {
            AtomicFile.removeLeftovers(poolPasswd);
            AtomicFile.removeLeftovers(record); // beside pool_passwd's link, when pool_passwd is one
            leftoversRemoved = true;
        }
        byte[] current;
        try {
            current = Files.readAllBytes(poolPasswd);
        } catch (NoSuchFileException e) {
            current = new byte[0]; // nothing there to keep; the write creates it
        } catch (IOException e) {
            // The JDK's message alone ("Is a directory") does not say which file.
            throw new IOException("cannot read pool_passwd " + poolPasswd + ": " + AtomicFile.reason(e), e);
        }
        boolean recordLost = !Files.exists(record, LinkOption.NOFOLLOW_LINKS) && current.length > 0;
        return PoolPasswdMerge.merge(current, ManagedUsers.read(record), declared, format.encoder(key), recordLost);
    }

    /**
     * The record claims both old and new users while pool_passwd is replaced, so a crash between the
     * two writes can never make one of our users look unmanaged.
     */
    public void write(PoolPasswdChange change) throws IOException {
        if (planOnly) {
            return;
        }
        lock.acquire(); // held since plan, unless a route calls write alone
        try {
            writeLocked(change);
        } finally {
            lock.release();
        }
    }

    /** Releases the lock if a tick still holds it; the tick's last step, whatever happened. */
    public void unlock() {
        if (!planOnly) {
            lock.release();
        }
    }

    boolean locked() {
        return lock.held();
    }

    private void writeLocked(PoolPasswdChange change) throws IOException {
        ManagedUsers during = change.managedBefore().union(change.managedAfter());
        if (!during.equals(change.managedBefore())) {
            AtomicFile.write(record, during.render());
        }
        if (change.contentChanged()) {
            AtomicFile.write(poolPasswd, change.content());
        }
        if (!change.managedAfter().equals(during)) {
            AtomicFile.write(record, change.managedAfter().render());
        }
    }

    public Path poolPasswd() {
        return poolPasswd;
    }

    public Path record() {
        return record;
    }
}
