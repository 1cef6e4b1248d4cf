package io.pgpoolusersync.pgpool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Warnings from pgpool's running configuration, as pcp_pool_status lists it. */
class PgpoolCheckTest {

    /** A 4.4 or later pgpool, set up as the sync needs it. */
    static final Map<String, String> GOOD_44 = Map.of("enable_pool_hba", "1", "pool_passwd", "pool_passwd",
            "process_management_mode", "0");

    @Test
    void nothingToSayAboutAWellSetPgpool44() {
        assertEquals(Map.of(), PgpoolCheck.warningsFor(GOOD_44));
    }

    @Test
    void aPgpoolBefore44CannotShowAChildAuthenticatingAClient() {
        // 4.3.5 lists no process_management_mode (measured in SlowAuthenticationIT)
        Map<String, String> warnings = PgpoolCheck.warningsFor(Map.of("enable_pool_hba", "1", "pool_passwd", "x"));
        assertEquals(Set.of("authenticating_children"), warnings.keySet());
        assertTrue(warnings.get("authenticating_children").contains("Upgrade to 4.4"), warnings.toString());
    }

    @Test
    void poolHbaOffAndNoPasswordFileAreReported() {
        Map<String, String> warnings = PgpoolCheck.warningsFor(Map.of("enable_pool_hba", "off", "pool_passwd", "",
                "process_management_mode", "1"));
        assertEquals(Set.of("enable_pool_hba", "pool_passwd"), warnings.keySet());
    }

    @Test
    void noSettingsSaysNothing() {
        assertEquals(Map.of(), PgpoolCheck.warningsFor(Map.of()));
    }
}
