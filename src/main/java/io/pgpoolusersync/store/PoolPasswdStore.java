package io.pgpoolusersync.store;

import io.pgpoolusersync.passwd.EntryFormat;
import io.pgpoolusersync.passwd.KeySource;
import io.pgpoolusersync.secrets.DeclaredUsers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * pool_passwd on disk and its ownership record beside it. {@link #plan} only reads; {@link #write}
 * replaces files atomically, so an error at any step leaves pool_passwd as it was.
 */
public final class PoolPasswdStore {

    private final Path poolPasswd;
    private final Path record;
    private final KeySource key;
    private final EntryFormat format;
    private boolean leftoversRemoved;

    public PoolPasswdStore(Path poolPasswd, KeySource key, EntryFormat format) {
        this.poolPasswd = poolPasswd;
        this.record = poolPasswd.resolveSibling(poolPasswd.getFileName() + ".managed");
        this.key = key;
        this.format = format;
    }

    /** The change the declared users make to the current file. The key is asked for on every tick. */
    public PoolPasswdChange plan(DeclaredUsers declared) throws IOException {
        if (!leftoversRemoved) {
            AtomicFile.removeLeftovers(poolPasswd); // also the record's: same prefix
            leftoversRemoved = true;
        }
        byte[] current;
        try {
            current = Files.readAllBytes(poolPasswd);
        } catch (NoSuchFileException e) {
            current = new byte[0]; // nothing there to keep; the write creates it
        }
        boolean recordLost = !Files.exists(record, LinkOption.NOFOLLOW_LINKS) && current.length > 0;
        return PoolPasswdMerge.merge(current, ManagedUsers.read(record), declared, format.encoder(key), recordLost);
    }

    /**
     * The record claims both old and new users while pool_passwd is replaced, so a crash between the
     * two writes can never make one of our users look unmanaged.
     */
    public void write(PoolPasswdChange change) throws IOException {
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
