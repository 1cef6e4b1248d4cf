package io.pgpoolusersync.pgpool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgpoolusersync.pcp.PcpClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** When a write may race pgpool's start-up: PCP unreachable, or (without PCP) files changed just now. */
class PgpoolStartGuardTest {

    @TempDir
    Path dir;

    final Instant now = Instant.parse("2026-12-03T12:00:00Z");
    Instant clockAt = now;
    final List<Duration> pauses = new ArrayList<>();

    Clock clock() {
        return new Clock() {
            @Override
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return clockAt;
            }
        };
    }

    Path file(String name, Duration age) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, "x");
        Files.setLastModifiedTime(file, FileTime.from(now.minus(age)));
        return file;
    }

    PgpoolStartGuard withoutPcp(List<Path> files, PgpoolStartGuard.Pause onPause) {
        return new PgpoolStartGuard(null, files, clock(), d -> {
            pauses.add(d);
            clockAt = clockAt.plus(d);
            onPause.sleep(d);
        });
    }

    @Test
    void withoutPcpFilesLeftAloneAreWrittenAtOnce() throws IOException {
        withoutPcp(List.of(file("pool_passwd", Duration.ofSeconds(3)), file("key", Duration.ofHours(1))), d -> { }).check();
        assertEquals(List.of(), pauses);
    }

    @Test
    void withoutPcpAFreshChangeIsWaitedOut() throws IOException {
        Path key = file("key", Duration.ofMillis(500));
        withoutPcp(List.of(file("pool_passwd", Duration.ofSeconds(30)), key), d -> { }).check();
        assertEquals(List.of(Duration.ofMillis(500)), pauses, "until the key file has been left alone for 1 s");
    }

    @Test
    void withoutPcpAFileThatKeepsChangingFailsTheTick() throws IOException {
        Path passwd = file("pool_passwd", Duration.ZERO);
        IOException e = assertThrows(IOException.class, () -> withoutPcp(List.of(passwd), d ->
                Files.setLastModifiedTime(passwd, FileTime.from(clockAt.minusMillis(100)))).check());
        assertTrue(e.getMessage().contains("keeps changing"), e.getMessage());
        assertTrue(pauses.size() >= 5, "waited a bounded number of times: " + pauses);
    }

    @Test
    void withoutPcpItsOwnLastWriteIsNoReasonToWait() throws IOException {
        Path passwd = file("pool_passwd", Duration.ZERO);
        PgpoolStartGuard guard = withoutPcp(List.of(passwd), d -> { });
        guard.written();
        guard.check();
        assertEquals(List.of(), pauses, "as the sync left it");
        Files.writeString(passwd, "rewritten in place by pg_enc -m");
        Files.setLastModifiedTime(passwd, FileTime.from(now));
        guard.check();
        assertEquals(List.of(Duration.ofSeconds(1)), pauses, "changed by someone else since");
    }

    @Test
    void withoutPcpAMissingFileIsNoReasonToWait() throws IOException {
        withoutPcp(List.of(dir.resolve("pool_passwd")), d -> { }).check();
        assertEquals(List.of(), pauses);
    }

    @Test
    void anUnreachablePcpMeansPgpoolMayBeStarting() throws IOException {
        int port;
        try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = closed.getLocalPort();
        }
        PcpClient pcp = new PcpClient("127.0.0.1", port, "pcp", () -> "secret", Duration.ofSeconds(2));
        // Files changed just now do not matter with PCP: pgpool's answer decides.
        PgpoolStartGuard guard = new PgpoolStartGuard(pcp, List.of(file("pool_passwd", Duration.ZERO)), clock(), d -> {
            throw new AssertionError("no waiting with PCP");
        });
        IOException e = assertThrows(IOException.class, guard::check);
        assertTrue(e.getMessage().contains("pgpool does not answer on PCP"), e.getMessage());
        assertTrue(e.getMessage().contains("127.0.0.1:" + port), "names where: " + e.getMessage());
    }
}
