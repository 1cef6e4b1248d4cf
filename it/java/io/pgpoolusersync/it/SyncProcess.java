package io.pgpoolusersync.it;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The sync's command line ({@code io.pgpoolusersync.Main}) in a child JVM, so that a test can SIGKILL it.
 * Its output goes line by line to the suite's {@link LogCapture}; each tick summary line is counted and
 * reported to a listener.
 */
final class SyncProcess implements AutoCloseable {

    private final Process process;
    private final Thread reader;
    private final AtomicInteger ticks = new AtomicInteger();

    private SyncProcess(Process process, LogCapture logs, String prefix, Runnable onTick) {
        this.process = process;
        this.reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    logs.addChildLine(prefix, line);
                    if (line.contains("TickReport - tick: ")) {
                        ticks.incrementAndGet();
                        onTick.run();
                    }
                }
            } catch (IOException e) {
                // the process was killed: its output ends here
            }
        }, "sync-process-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts {@code java ... io.pgpoolusersync.Main args} with this JVM's class path. */
    static SyncProcess start(List<String> args, LogCapture logs, String prefix, Runnable onTick) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // A short-lived JVM: C1 only and the serial GC start it faster on a small machine.
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"),
                "io.pgpoolusersync.Main"));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("SYNC_")); // flags only
        try {
            Process process = builder.start();
            process.getOutputStream().close();
            return new SyncProcess(process, logs, prefix, onTick);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int ticks() {
        return ticks.get();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL (what destroyForcibly sends on Linux): no shutdown hook, no finally block runs. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        reader.join(TimeUnit.SECONDS.toMillis(10));
    }

    /** Waits for a process that ends by itself (--once); returns its exit code. */
    int waitFor(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            kill();
            throw new IllegalStateException("sync process still running after " + seconds + " s");
        }
        reader.join(TimeUnit.SECONDS.toMillis(10));
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
