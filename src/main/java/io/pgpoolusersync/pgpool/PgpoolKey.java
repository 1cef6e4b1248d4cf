package io.pgpoolusersync.pgpool;

import io.pgpoolusersync.passwd.KeyFile;
import io.pgpoolusersync.passwd.KeySource;
import io.pgpoolusersync.pcp.BackendNode;
import io.pgpoolusersync.pcp.PcpClient;
import io.pgpoolusersync.pcp.PcpException;
import io.pgpoolusersync.pcp.PcpSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The AES key pgpool decrypts with. pgpool reads its key file once, when its main process starts; a
 * key file changed under a running pgpool is not its key until it restarts, and entries encrypted with
 * the new key would lock every user out. So the key in use changes only when pgpool has started since
 * the key file last changed.
 *
 * <p>When pgpool started is read over PCP, only when the key file differs from the key in use (and once
 * at the first tick): every backend node's status-change time is set when pgpool's main process starts,
 * and only moves forward later (first client, failover), so the earliest of them is the latest moment
 * pgpool can have started. A key file modified after that moment is certainly newer than pgpool's key.
 * Otherwise it is taken as pgpool's: wrongly so only if every node changed status after the key file
 * changed, without a restart (a failover of every node, or a pgpool that had no client yet).
 */
public final class PgpoolKey implements KeySource {

    private static final Logger LOG = LoggerFactory.getLogger(PgpoolKey.class);

    private final Path file;
    private final PcpClient pcp;
    private final Consumer<String> restartNeeded;
    private byte[] inUse;
    private volatile String restartPending;

    /**
     * @param pcp null without a PCP endpoint: the key file is then taken as pgpool's key at every tick
     * @param restartNeeded told once per key file change that pgpool must restart (log, Event)
     */
    public PgpoolKey(Path file, PcpClient pcp, Consumer<String> restartNeeded) {
        this.file = file;
        this.pcp = pcp;
        this.restartNeeded = restartNeeded;
    }

    /**
     * The key to encrypt with now.
     *
     * @throws IOException when the key file cannot be read, or pgpool holds a key this sync never read
     *     (it was started before the key file changed, and this sync started after that change)
     */
    @Override
    public synchronized byte[] key() throws IOException {
        byte[] inFile = KeyFile.read(file);
        if (inUse != null && Arrays.equals(inFile, inUse)) {
            restartPending = null;
            return inUse;
        }
        if (pcp == null) {
            if (inUse != null) {
                LOG.warn("key file {} changed: pgpool uses a new key only after a restart; without a PCP endpoint this"
                        + " sync cannot tell when that happens and encrypts with the new key from now on", file);
            }
            inUse = inFile;
            return inUse;
        }
        Instant changed = Files.getLastModifiedTime(file).toInstant();
        long pgpoolStartedBy = pgpoolStartedBy(inUse == null ? "cannot tell which key pgpool holds"
                : "cannot tell whether pgpool has restarted since key file " + file + " changed");
        if (changed.getEpochSecond() <= pgpoolStartedBy) {
            if (inUse != null) {
                LOG.info("pgpool started after key file {} changed: entries are encrypted with the new key from now on",
                        file);
            }
            inUse = inFile;
            restartPending = null;
            return inUse;
        }
        String message = "key file " + file + " changed at " + changed + ", after pgpool started (by "
                + Instant.ofEpochSecond(pgpoolStartedBy) + "): pgpool still decrypts with the key it read at its"
                + " start. Restart pgpool to use the new key";
        if (inUse == null) {
            // This sync started after the change: it never read the key pgpool holds, so it cannot write.
            throw new IOException(message + "; until then nothing is written, because this sync never read the key"
                    + " pgpool holds");
        }
        if (restartPending == null) {
            restartPending = message;
            LOG.warn("{}; until then entries stay encrypted with the key pgpool holds", message);
            restartNeeded.accept(message);
        }
        return inUse;
    }

    /** Null, or why pgpool must restart to use the key file. */
    public String restartPending() {
        return restartPending;
    }

    /** The earliest status-change time of pgpool's backend nodes, in Unix seconds. */
    private long pgpoolStartedBy(String unknown) throws IOException {
        List<BackendNode> nodes;
        try (PcpSession session = pcp.open()) {
            nodes = session.nodes();
        } catch (PcpException e) {
            throw new IOException(unknown + ": " + e.getMessage(), e);
        }
        return nodes.stream().mapToLong(BackendNode::statusChanged).min()
                .orElseThrow(() -> new IOException("pgpool reports no backend node: cannot tell when it started"));
    }
}
