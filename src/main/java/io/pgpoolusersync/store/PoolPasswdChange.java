package io.pgpoolusersync.store;

import io.pgpoolusersync.secrets.Rejection;
import java.util.List;

/**
 * What one tick would do to pool_passwd: the new content and ownership record, whether either differs
 * from what is on disk, the counts for the summary, and every rejection (including takeovers refused).
 */
public record PoolPasswdChange(
        byte[] content,
        boolean contentChanged,
        ManagedUsers managedBefore,
        ManagedUsers managedAfter,
        int added,
        int updated,
        int removed,
        int unchanged,
        List<Rejection> rejections) {

    public PoolPasswdChange {
        rejections = List.copyOf(rejections);
    }

    /** Something to write: the file, or only the ownership record (a user moved to another Secret). */
    public boolean changed() {
        return contentChanged || !managedBefore.equals(managedAfter);
    }

    @Override
    public String toString() {
        return "PoolPasswdChange[added=" + added + ", updated=" + updated + ", removed=" + removed
                + ", unchanged=" + unchanged + ", rejected=" + rejections.size() + ", changed=" + changed() + "]";
    }
}
