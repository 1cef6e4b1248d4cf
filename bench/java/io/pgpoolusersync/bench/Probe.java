package io.pgpoolusersync.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/** Readings of this process from /proc and the JVM, for the worker JVM. Linux only. */
final class Probe {

    private Probe() {
    }

    /**
     * CPU time of the whole process in nanoseconds: the sum of {@code /proc/self/task/<tid>/schedstat}
     * over every thread (Java, GC, JIT, I/O). The JVM's own getProcessCpuTime counts in 10 ms clock
     * ticks on Linux, too coarse for a 30 ms tick. Time of a thread that exits between two readings is
     * lost, so {@link #processCpuTicksNanos()} is kept as a cross-check over whole runs.
     */
    static long cpuNanos() {
        long total = 0;
        for (long ns : threadCpu().values()) {
            total += ns;
        }
        return total;
    }

    private static final Map<String, String> NAMES = new java.util.concurrent.ConcurrentHashMap<>();

    /** CPU nanoseconds by thread id (the {@code /proc/self/task} entries), from schedstat. */
    static Map<String, Long> threadCpu() {
        Map<String, Long> cpu = new java.util.HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                try {
                    String text = Files.readString(task.resolve("schedstat"), StandardCharsets.US_ASCII);
                    int space = text.indexOf(' ');
                    cpu.put(task.getFileName().toString(),
                            Long.parseLong(space < 0 ? text.trim() : text.substring(0, space)));
                } catch (NoSuchFileException e) {
                    // the thread exited while we listed
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self/task", e);
        }
        return cpu;
    }

    /** The kernel's name of a thread (15 characters of the Java name), digits folded: "C2 CompilerThreN". */
    static String threadName(String tid) {
        return NAMES.computeIfAbsent(tid, t -> {
            try {
                return Files.readString(Path.of("/proc/self/task", t, "comm"), StandardCharsets.UTF_8).trim()
                        .replaceAll("[0-9]+", "N");
            } catch (IOException e) {
                return "exited";
            }
        });
    }

    /** Adds the CPU each thread used between two readings to {@code into}, by thread name. */
    static void addByName(Map<String, Long> before, Map<String, Long> after, Map<String, Long> into) {
        after.forEach((tid, ns) -> {
            long delta = ns - before.getOrDefault(tid, 0L);
            if (delta > 0) {
                into.merge(threadName(tid), delta, Long::sum);
            }
        });
    }

    /** The JVM's figure (user + system, in 10 ms clock ticks). */
    static long processCpuTicksNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** A field of /proc/self/status in KiB, e.g. VmHWM (peak RSS) or VmRSS. */
    static long statusKib(String field) {
        return procField("/proc/self/status", field);
    }

    /** A field of /proc/self/io in bytes: wchar counts every byte passed to write(2), files, sockets and pipes. */
    static long io(String field) {
        return procField("/proc/self/io", field);
    }

    private static long procField(String file, String field) {
        try {
            for (String line : Files.readAllLines(Path.of(file), StandardCharsets.US_ASCII)) {
                if (line.startsWith(field + ":")) {
                    String value = line.substring(field.length() + 1).trim();
                    int space = value.indexOf(' ');
                    return Long.parseLong(space < 0 ? value : value.substring(0, space));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file, e);
        }
        throw new IllegalStateException(file + " has no " + field);
    }

    /** Identity and times of a file: a replaced file has a new inode, a rewritten one a new mtime/ctime. */
    record FileState(boolean exists, long inode, long size, long mtimeNanos, long ctimeNanos) {

        static FileState of(Path file) {
            try {
                Map<String, Object> a = Files.readAttributes(file, "unix:ino,size,lastModifiedTime,ctime");
                return new FileState(true, (Long) a.get("ino"), (Long) a.get("size"),
                        nanos(a.get("lastModifiedTime")), nanos(a.get("ctime")));
            } catch (NoSuchFileException e) {
                return new FileState(false, 0, 0, 0, 0);
            } catch (IOException e) {
                throw new IllegalStateException("cannot stat " + file, e);
            }
        }

        private static long nanos(Object time) {
            java.time.Instant i = ((java.nio.file.attribute.FileTime) time).toInstant();
            return i.getEpochSecond() * 1_000_000_000L + i.getNano();
        }

        /** Written (or created, or removed) between the two readings. */
        boolean touchedSince(FileState before) {
            return !equals(before);
        }
    }
}
