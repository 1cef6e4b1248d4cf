package io.pgpoolusersync.it;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The shaded jar in its own JVM, as the sidecar runs it: what the benchmark measures. Its log goes to a
 * file; tick lines and "pgpool converged" lines are timestamped as they arrive. CPU and RSS are read from
 * /proc.
 */
final class Sidecar implements AutoCloseable {

    /** A convergence the sidecar logged: the write it was for, and when the line arrived here. */
    record Converged(Instant writtenAt, long arrivedNanos) {
    }

    final long startedNanos = System.nanoTime();
    private final Process process;
    private final AtomicInteger ticks = new AtomicInteger();
    private final List<Converged> converged = new ArrayList<>();
    private volatile long firstTickNanos;
    private volatile long lastTickNanos;

    private Sidecar(Process process, Path log) throws IOException {
        this.process = process;
        PrintWriter out = new PrintWriter(Files.newBufferedWriter(log, UTF_8), true);
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    long now = System.nanoTime();
                    out.println(line);
                    if (line.contains("TickReport - tick: ") && !line.contains(" WARN ") && firstTickNanos == 0) {
                        firstTickNanos = now;
                    }
                    if (line.contains("TickReport - tick")) {
                        lastTickNanos = now;
                        ticks.incrementAndGet();
                    }
                    int at = line.indexOf("pgpool converged: every child uses pool_passwd as of ");
                    if (at >= 0) {
                        String rest = line.substring(at + "pgpool converged: every child uses pool_passwd as of ".length());
                        synchronized (converged) {
                            converged.add(new Converged(Instant.parse(rest.substring(0, rest.indexOf(' '))), now));
                            converged.notifyAll();
                        }
                    }
                }
            } catch (IOException e) {
                // the process ended
            } finally {
                out.close();
            }
        }, "sidecar-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** {@code java jvmFlags -jar jar args}, output to {@code log}. */
    static Sidecar start(Path jar, List<String> jvmFlags, List<String> args, Path log) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmFlags);
        command.addAll(List.of("-jar", jar.toString()));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("SYNC_") || name.startsWith("KUBE"));
        try {
            Process p = builder.start();
            p.getOutputStream().close();
            return new Sidecar(p, log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int ticks() {
        return ticks.get();
    }

    /** Waits until no tick has ended for {@code quietMillis}, at most {@code timeoutMillis}. */
    void awaitQuiet(long quietMillis, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        while (System.nanoTime() < deadline && System.nanoTime() - lastTickNanos < quietMillis * 1_000_000) {
            Thread.sleep(50);
        }
    }

    /** Nanoseconds from start to the first successful tick's line; 0 while there is none. */
    long firstTickNanos() {
        long t = firstTickNanos;
        return t == 0 ? 0 : t - startedNanos;
    }

    /** The first convergence logged for a write at or after {@code since}; null after the timeout. */
    Converged awaitConverged(Instant since, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        synchronized (converged) {
            while (true) {
                for (Converged c : converged) {
                    if (!c.writtenAt().isBefore(since)) {
                        return c;
                    }
                }
                long left = deadline - System.currentTimeMillis();
                if (left <= 0 || !process.isAlive()) {
                    return null;
                }
                converged.wait(left);
            }
        }
    }

    int convergedCount() {
        synchronized (converged) {
            return converged.size();
        }
    }

    /**
     * CPU time of the process, every thread including those that ended, in nanoseconds: utime + stime of
     * /proc/PID/stat, counted in clock ticks (10 ms), fine enough over a window of whole periods.
     */
    long cpuNanos() {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A field of /proc/PID/status in MiB, e.g. VmRSS or VmHWM. */
    double memoryMiB(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
            }
        }
        throw new IOException("no " + field + " in /proc/" + process.pid() + "/status");
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for a process that ends by itself (--once); returns its exit code. */
    int waitFor(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            close();
            throw new IllegalStateException("still running after " + seconds + " s");
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
        }
    }
}
