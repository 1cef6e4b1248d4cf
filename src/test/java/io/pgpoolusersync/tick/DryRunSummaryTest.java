package io.pgpoolusersync.tick;

import static io.pgpoolusersync.secrets.SecretsFixture.user;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgpoolusersync.passwd.EntryFormat;
import io.pgpoolusersync.pgpool.Convergence;
import io.pgpoolusersync.secrets.UserSecrets;
import io.pgpoolusersync.store.PoolPasswdChange;
import io.pgpoolusersync.store.PoolPasswdStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Routes of one's own (a webhook on seda:tick-ended) run in a dry run too: the summary they get must not
 * say that pool_passwd was written, nor ask for a notification, while the dry run's own report still
 * says that it would change.
 */
class DryRunSummaryTest {

    @TempDir
    Path dir;

    @Test
    void aDryRunsSummaryClaimsNoWrite() throws Exception {
        PoolPasswdChange change = PoolPasswdStore.planOnly(dir.resolve("pool_passwd"), null, EntryFormat.MD5)
                .plan(new UserSecrets(EntryFormat.MD5).review(List.of(user("s", "john", "12345"))));
        assertTrue(change.changed());
        Convergence convergence = new Convergence(null, Duration.ofMillis(10), Duration.ofMillis(100),
                Duration.ofSeconds(1)); // never started: no PCP in a dry run
        try (DefaultCamelContext camel = new DefaultCamelContext()) {
            TickReport report = new TickReport(new SyncStatus(), convergence, r -> { }, Duration.ofSeconds(1), true);
            TickSummary summary = report.succeeded(change, new DefaultExchange(camel));
            assertFalse(summary.written(), "nothing was written");
            assertTrue(summary.dryRun());
            assertFalse(summary.noteworthy(), "a plan is no news for a notification");
            assertEquals(List.of("john"), summary.added());
            assertTrue(DryRunReport.of(summary, report.lastPlanWrites(), true, List.of()).changes());
        }
    }
}
