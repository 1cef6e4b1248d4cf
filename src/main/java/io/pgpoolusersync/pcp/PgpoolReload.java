package io.pgpoolusersync.pcp;

import io.pgpoolusersync.store.PoolPasswdChange;
import io.pgpoolusersync.tick.TickResult;

/**
 * Makes pgpool use the new pool_passwd. pgpool children keep the old file open until a reload, so a
 * reload is owed after every write and retried on every tick until one succeeds. One is owed at start
 * too: a previous run may have written the file and died before reloading.
 *
 * <p>A pgpool child that is serving a session when the reload arrives keeps the old file after that
 * session (measured on Pgpool-II 4.3.5), so after a change the reload is repeated on the next
 * {@code followUps} ticks: a child idle at any of them drops a removed user.
 */
public final class PgpoolReload {

    private final PcpClient client;
    private final int followUps;
    private boolean owed = true;
    private int followUpsLeft;

    /**
     * @param client null when no PCP endpoint is configured: reloads are then left to the operator
     * @param followUps reloads repeated on the ticks after a change
     */
    public PgpoolReload(PcpClient client, int followUps) {
        this.client = client;
        this.followUps = followUps;
    }

    /** Called by one tick at a time (the timer's thread). */
    public synchronized TickResult reloadIfOwed(PoolPasswdChange change) {
        if (change.contentChanged()) {
            owed = true;
            followUpsLeft = followUps;
        }
        if (client == null) {
            return new TickResult(change, TickResult.Reload.DISABLED, null, 0);
        }
        if (!owed && followUpsLeft == 0) {
            return new TickResult(change, TickResult.Reload.NOT_NEEDED, null, 0);
        }
        try {
            client.reload();
            if (owed) {
                owed = false;
            } else {
                followUpsLeft--;
            }
            return new TickResult(change, TickResult.Reload.OK, null, pending());
        } catch (PcpException e) {
            return new TickResult(change, TickResult.Reload.FAILED, e.getMessage(), pending());
        }
    }

    private int pending() {
        return (owed ? 1 : 0) + followUpsLeft;
    }
}
