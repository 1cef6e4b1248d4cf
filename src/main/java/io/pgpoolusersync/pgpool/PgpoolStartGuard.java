package io.pgpoolusersync.pgpool;

import io.pgpoolusersync.pcp.PcpClient;
import io.pgpoolusersync.pcp.PcpException;
import io.pgpoolusersync.pcp.PcpSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps the sync's writes out of pgpool's start-up. The pgpool images' start-up scripts (Bitnami's
 * libpgpool.sh, pgpool2_on_k8s's entrypoint.sh) run {@code pg_enc -m} or {@code pg_md5 -m} for their users
 * before pgpool listens, and each run reads pool_passwd and writes it back in place. A rename of ours
 * between such a read and its write loses their line, or ours.
 *
 * <p>With PCP, pool_passwd is written only when pgpool answers on PCP right before: pgpool listens only
 * once those scripts are done. A refused login is an answer too (pgpool is up); an unreachable port is
 * not. This holds for every entry format, and after a pgpool restart under a sync that kept running, not
 * only at the sync's start. Without PCP the sync cannot tell; it waits until pool_passwd and the key file
 * have been left alone by others for {@link #STABLE_FOR} (at most five times that, then the tick fails;
 * its own last write does not count), which keeps
 * it out of the middle of a start-up that writes several entries, but not out of the window between a
 * script's first read and its write.
 */
public final class PgpoolStartGuard {

    /** Without PCP: how long pool_passwd and the key file must have been left alone before a write. */
    public static final Duration STABLE_FOR = Duration.ofSeconds(1);

    private final PcpClient pcp;
    private final List<Path> files;
    private final Clock clock;
    private final Pause pause;
    /** The files as this sync left them after its last write: a change of its own is no reason to wait. */
    private final Map<Path, List<Object>> ownWrite = new HashMap<>();

    /** Waiting, replaceable in tests. */
    @FunctionalInterface
    public interface Pause {
        void sleep(Duration duration) throws IOException;
    }

    /**
     * @param pcp null without a PCP endpoint
     * @param files pool_passwd, and the key file when there is one: watched when there is no PCP
     */
    public PgpoolStartGuard(PcpClient pcp, List<Path> files, Clock clock, Pause pause) {
        this.pcp = pcp;
        this.files = List.copyOf(files);
        this.clock = clock;
        this.pause = pause;
    }

    /** With the system clock, pausing the calling thread. */
    public PgpoolStartGuard(PcpClient pcp, List<Path> files) {
        this(pcp, files, Clock.systemUTC(), duration -> {
            try {
                Thread.sleep(Math.max(1, duration.toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for pool_passwd to be left alone", e);
            }
        });
    }

    /** Returns when writing pool_passwd now cannot race pgpool's start-up; throws why not otherwise. */
    public void check() throws IOException {
        if (pcp != null) {
            try (PcpSession answered = pcp.open()) {
                return; // pgpool answered and let us in
            } catch (PcpException.Unreachable e) {
                throw new IOException("pgpool does not answer on PCP (" + e.getMessage() + "): pool_passwd is not"
                        + " written while pgpool may be starting, because its start-up rewrites the file", e);
            } catch (PcpException e) {
                return; // pgpool answered (a refused login, an error): it is up, its start-up scripts are done
            }
        }
        // Without PCP: wait, within bounds, until the files have been left alone for STABLE_FOR.
        Instant giveUp = clock.instant().plus(STABLE_FOR.multipliedBy(5));
        while (true) {
            Instant now = clock.instant();
            Duration quiet = quietFor(now);
            if (quiet.compareTo(STABLE_FOR) >= 0) {
                return;
            }
            if (now.isAfter(giveUp)) {
                throw new IOException("pool_passwd or the key file keeps changing (last " + quiet.toMillis() + " ms ago):"
                        + " without PCP the sync cannot tell whether pgpool's start-up is rewriting it, so it writes"
                        + " pool_passwd only once the files have been left alone for " + STABLE_FOR.toMillis() + " ms");
            }
            pause.sleep(STABLE_FOR.minus(quiet));
        }
    }

    /** After this sync wrote pool_passwd: remembers the files as they are, so that the next write need not wait. */
    public void written() throws IOException {
        if (pcp == null) {
            for (Path file : files) {
                ownWrite.put(file, state(file));
            }
        }
    }

    /** How long ago the youngest of the watched files was modified by someone else. */
    private Duration quietFor(Instant now) throws IOException {
        Duration quiet = STABLE_FOR;
        for (Path file : files) {
            try {
                if (state(file).equals(ownWrite.get(file))) {
                    continue; // as this sync left it
                }
                Duration age = Duration.between(Files.getLastModifiedTime(file).toInstant(), now);
                quiet = age.compareTo(quiet) < 0 ? age : quiet;
            } catch (NoSuchFileException e) {
                // nothing there for a start-up to be rewriting
            }
        }
        return quiet.isNegative() ? Duration.ZERO : quiet;
    }

    /** Which file (inode), when modified, how long: a rewrite in place or a rename changes it. */
    private static List<Object> state(Path file) throws IOException {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return Arrays.asList(a.fileKey(), a.lastModifiedTime(), a.size());
        } catch (NoSuchFileException e) {
            return List.of();
        }
    }
}
