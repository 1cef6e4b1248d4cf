package io.pgpoolusersync.pgpool;

import io.pgpoolusersync.pcp.PcpException;
import io.pgpoolusersync.pcp.PcpSession;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads pgpool's running configuration once ({@code pcp_pool_status}) and warns about settings under
 * which a written pool_passwd does not take effect.
 */
final class PgpoolCheck {

    private static final Logger LOG = LoggerFactory.getLogger(PgpoolCheck.class);

    private volatile Map<String, String> warnings;

    void once(PcpSession session) throws PcpException {
        if (warnings != null) {
            return;
        }
        Map<String, String> found = warningsFor(session.settings());
        found.values().forEach(LOG::warn);
        warnings = Map.copyOf(found);
    }

    /** What the running configuration says, as warnings by setting; no I/O. */
    static Map<String, String> warningsFor(Map<String, String> settings) {
        Map<String, String> found = new LinkedHashMap<>();
        String hba = settings.get("enable_pool_hba");
        if (hba != null && !hba.equals("1") && !hba.equalsIgnoreCase("on") && !hba.equalsIgnoreCase("true")) {
            // check_config_reload (src/protocol/child.c) reopens pool_passwd only with pool_hba on
            // before these releases.
            found.put("enable_pool_hba", "pgpool runs with enable_pool_hba = off: Pgpool-II before 4.3.13, 4.4.10,"
                    + " 4.5.5 and 4.6.0 then never reopens pool_passwd on a reload, and only children started after"
                    + " a write use it; set enable_pool_hba = on");
        }
        String file = settings.get("pool_passwd");
        if (file != null && file.isEmpty()) {
            found.put("pool_passwd", "pgpool runs with pool_passwd = '' (no password file): it does not read the"
                    + " file this sync writes");
        }
        // process_management_mode came with 4.4, and so did the "Connecting" status of a child that
        // authenticates a client; before it such a child shows "Wait for connection" (src/protocol/child.c).
        if (!settings.isEmpty() && !settings.containsKey("process_management_mode")) {
            found.put("authenticating_children", "pgpool is older than 4.4: over PCP a child authenticating a"
                    + " client looks like one waiting for a client. A client that holds its authentication across"
                    + " a reload (a slow client, or one stalling on purpose) logs in with the old pool_passwd, and"
                    + " its child keeps the old file after that session, until the next write's reload finds it"
                    + " waiting; this sync cannot see it. Upgrade to 4.4 or later; child_max_connections bounds how"
                    + " many sessions such a child serves");
        }
        return found;
    }

    Map<String, String> warnings() {
        Map<String, String> w = warnings;
        return w == null ? Map.of() : w;
    }
}
