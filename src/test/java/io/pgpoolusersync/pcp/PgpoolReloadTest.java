package io.pgpoolusersync.pcp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgpoolusersync.store.ManagedUsers;
import io.pgpoolusersync.store.PoolPasswdChange;
import io.pgpoolusersync.tick.TickResult.Reload;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** When reloads are sent; the PCP bytes themselves are tested against the real pgpool in it/. */
class PgpoolReloadTest {

    private static PoolPasswdChange change(boolean changed) {
        return new PoolPasswdChange(new byte[0], changed, ManagedUsers.none(), ManagedUsers.none(), 0, 0, 0, 0, List.of());
    }

    @Test
    void owedAtStartThenAfterEachChangeWithFollowUps() throws IOException {
        try (ServerSocket closed = new ServerSocket(0)) {
            int port = closed.getLocalPort();
            closed.close();
            // Nothing listens: every attempt fails, so we see what is attempted and what stays owed.
            PgpoolReload reload = new PgpoolReload(new PcpClient("127.0.0.1", port, "u", "p", Duration.ofSeconds(1)), 2);
            assertEquals(Reload.FAILED, reload.reloadIfOwed(change(false)).reload(), "owed at start");
            assertEquals(1, reload.reloadIfOwed(change(false)).reloadsPending(), "still owed after a failure");
            assertEquals(3, reload.reloadIfOwed(change(true)).reloadsPending(), "owed + 2 follow-ups");
        }
    }

    @Test
    void withoutPcpNothingIsSent() {
        PgpoolReload reload = new PgpoolReload(null, 2);
        assertEquals(Reload.DISABLED, reload.reloadIfOwed(change(true)).reload());
        assertEquals(0, reload.reloadIfOwed(change(true)).reloadsPending());
    }
}
