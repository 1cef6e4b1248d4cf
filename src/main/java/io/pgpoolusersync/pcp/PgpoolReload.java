package io.pgpoolusersync.pcp;

import io.pgpoolusersync.store.PoolPasswdChange;
import io.pgpoolusersync.tick.TickResult;

/**
 * Makes pgpool use the new pool_passwd. pgpool children keep the old file open until a reload, so a
 * reload is owed after every write and retried on every tick until one succeeds. One is owed at start
 * too: a previous run may have written the file and died before reloading.
 */
public final class PgpoolReload {

    private final PcpClient client;
    private volatile boolean owed = true;

    /** @param client null when no PCP endpoint is configured: reloads are then left to the operator */
    public PgpoolReload(PcpClient client) {
        this.client = client;
    }

    public TickResult reloadIfOwed(PoolPasswdChange change) {
        if (change.contentChanged()) {
            owed = true;
        }
        if (client == null) {
            return new TickResult(change, TickResult.Reload.DISABLED, null);
        }
        if (!owed) {
            return new TickResult(change, TickResult.Reload.NOT_NEEDED, null);
        }
        try {
            client.reload();
            owed = false;
            return new TickResult(change, TickResult.Reload.OK, null);
        } catch (PcpException e) {
            return new TickResult(change, TickResult.Reload.FAILED, e.getMessage());
        }
    }

    public boolean owed() {
        return owed;
    }
}
