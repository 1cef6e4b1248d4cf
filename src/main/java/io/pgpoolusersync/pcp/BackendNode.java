package io.pgpoolusersync.pcp;

import java.util.List;

/**
 * One backend of pgpool, from a {@code pcp_node_info} row. {@code statusChanged} (Unix seconds) is set
 * for every node when pgpool's main process starts, and again for a node whose status changes
 * (failover, attach, detach). The row ends with it from 4.3 to 4.6.
 */
public record BackendNode(String host, String port, long statusChanged) {

    static BackendNode of(List<String> row) throws PcpException {
        if (row.size() < 3) {
            throw new PcpException.Refused("PCP node info row has " + row.size() + " fields");
        }
        try {
            return new BackendNode(row.get(0), row.get(1), Long.parseLong(row.get(row.size() - 1)));
        } catch (NumberFormatException e) {
            throw new PcpException.Refused("PCP node info row ends with '" + row.get(row.size() - 1)
                    + "', not a status change time");
        }
    }
}
