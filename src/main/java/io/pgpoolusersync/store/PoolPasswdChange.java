package io.pgpoolusersync.store;

import io.pgpoolusersync.secrets.Rejection;
import java.util.List;

/**
 * What one tick would do to pool_passwd: the new content and ownership record, whether either differs
 * from what is on disk, the users added, updated and removed (names), and every rejection (including
 * takeovers refused). The content is readable only in this package (by the write): a route step that
 * holds this change sees names and counts, never an entry.
 */
public final class PoolPasswdChange {

    private final byte[] content;
    private final boolean contentChanged;
    private final ManagedUsers managedBefore;
    private final ManagedUsers managedAfter;
    private final List<String> addedUsers;
    private final List<String> updatedUsers;
    private final List<String> removedUsers;
    private final int unchanged;
    private final List<Rejection> rejections;

    public PoolPasswdChange(byte[] content, boolean contentChanged, ManagedUsers managedBefore,
            ManagedUsers managedAfter, List<String> addedUsers, List<String> updatedUsers,
            List<String> removedUsers, int unchanged, List<Rejection> rejections) {
        this.content = content;
        this.contentChanged = contentChanged;
        this.managedBefore = managedBefore;
        this.managedAfter = managedAfter;
        this.addedUsers = List.copyOf(addedUsers);
        this.updatedUsers = List.copyOf(updatedUsers);
        this.removedUsers = List.copyOf(removedUsers);
        this.unchanged = unchanged;
        this.rejections = List.copyOf(rejections);
    }

    /** The new pool_passwd: for the write, and tests, in this package only. */
    byte[] content() {
        return content;
    }

    public boolean contentChanged() {
        return contentChanged;
    }

    public ManagedUsers managedBefore() {
        return managedBefore;
    }

    public ManagedUsers managedAfter() {
        return managedAfter;
    }

    /** The users given an entry, by name, sorted. */
    public List<String> addedUsers() {
        return addedUsers;
    }

    /** The users whose entry changes, by name, sorted. */
    public List<String> updatedUsers() {
        return updatedUsers;
    }

    /** The users whose entry goes, by name, sorted. */
    public List<String> removedUsers() {
        return removedUsers;
    }

    public int added() {
        return addedUsers.size();
    }

    public int updated() {
        return updatedUsers.size();
    }

    public int removed() {
        return removedUsers.size();
    }

    public int unchanged() {
        return unchanged;
    }

    public List<Rejection> rejections() {
        return rejections;
    }

    /** Something to write: the file, or only the ownership record (a user moved to another Secret). */
    public boolean changed() {
        return contentChanged || !managedBefore.equals(managedAfter);
    }

    @Override
    public String toString() {
        return "PoolPasswdChange[added=" + added() + ", updated=" + updated() + ", removed=" + removed()
                + ", unchanged=" + unchanged + ", rejected=" + rejections.size() + ", changed=" + changed() + "]";
    }
}
