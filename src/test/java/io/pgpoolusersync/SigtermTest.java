package io.pgpoolusersync;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon in a real child JVM, stopped as Kubernetes stops a container: SIGTERM. */
class SigtermTest {

    @TempDir
    Path dir;

    @Test
    void sigtermAfterACleanShutdownExitsZero() throws Exception {
        Path poolPasswd = dir.resolve("pool_passwd");
        Files.copy(Path.of("examples/pool_passwd"), poolPasswd);
        ProcessBuilder builder = new ProcessBuilder(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "--manifests", "examples/secrets", "--namespace", "demo", "--postgres-name", "ha-postgres",
                "--pool-passwd", poolPasswd.toString(), "--key-file", "examples/pgpoolkey",
                "--management-port", "0", "--routes-dir", Path.of("routes").toAbsolutePath().toString()))
                .redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("SYNC_"));
        Process process = builder.start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8))) {
            StringBuilder seen = new StringBuilder();
            String line;
            while ((line = out.readLine()) != null && !line.contains("TickReport - tick: ")) {
                seen.append(line).append('\n');
            }
            assertTrue(line != null, "the daemon ended before its first tick:\n" + seen);
            process.destroy(); // SIGTERM on Linux
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "still running 60 s after SIGTERM");
        } finally {
            process.destroyForcibly();
        }
        assertEquals(0, process.exitValue(), "a clean stop on SIGTERM is a success, not 143");
    }
}
