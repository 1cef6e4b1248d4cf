package io.pgpoolusersync.pcp;

import java.util.List;

/**
 * One pgpool child process, from a {@code pcp_proc_info} row: its PID, when it started (pgpool's local
 * time, to the second), how many client sessions it has finished, and its status. The row's field order
 * is fixed from 4.3 to 4.6 (pool_report_pools_offsets): pid, start time, connection count, ..., status
 * 17th; later releases only append fields.
 */
public record PgpoolChild(int pid, String started, long sessions, String status) {

    /**
     * pgpool's words for a child waiting in accept() for its next client; before 4.4 also for a child
     * authenticating a client it has accepted (4.4 and later say "Connecting" there).
     */
    public static final String WAITING = "Wait for connection";

    private static final int STATUS = 16;

    static PgpoolChild of(List<String> row) throws PcpException {
        if (row.size() <= STATUS) {
            throw new PcpException.Refused("PCP process info row has " + row.size() + " fields, expected at least "
                    + (STATUS + 1));
        }
        try {
            // "2026-11-25 10:41:10 (5:00 before process restarting)": the suffix counts down; keep the time.
            String started = row.get(1);
            int suffix = started.indexOf(" (");
            return new PgpoolChild(Integer.parseInt(row.get(0)), suffix < 0 ? started : started.substring(0, suffix),
                    Long.parseLong(row.get(2)), row.get(STATUS));
        } catch (NumberFormatException e) {
            throw new PcpException.Refused("PCP process info row has a bad number: " + e.getMessage());
        }
    }

    /**
     * Between sessions: a reload now makes it reopen pool_passwd at its next client; unless (before 4.4)
     * it is authenticating one, which PCP does not show.
     */
    public boolean waiting() {
        return WAITING.equals(status);
    }
}
