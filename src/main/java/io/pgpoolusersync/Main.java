package io.pgpoolusersync;

import io.pgpoolusersync.pgpool.Convergence;
import io.pgpoolusersync.tick.DryRunReport;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The command line. Exit codes: 0 success (rejected Secrets are reported, not fatal; also a daemon
 * stopped by SIGTERM), 1 a tick failed (I/O, API or pgpool reload error), 2 a usage error or a route that
 * does not load or start (file, line and reason printed), 3 a dry run whose plan would change pool_passwd
 * (0: nothing would).
 */
public final class Main {

    private static final Set<String> TRUE_OR_FALSE = Set.of("true", "false", "yes", "no", "on", "off", "1", "0");
    private static final String HELP = "help";
    private static final String VERSION = "version";

    private Main() {
    }

    /** How long a SIGTERM waits for the clean shutdown to end before the JVM exits with 143 anyway. */
    private static final long SHUTDOWN_GRACE_SECONDS = 30;
    private static final CountDownLatch FINISHED = new CountDownLatch(1);
    private static volatile int exitCode = 1;
    private static volatile boolean daemon;
    private static volatile boolean exiting;

    public static void main(String[] args) {
        Runtime.getRuntime().addShutdownHook(new Thread(Main::exitWithRunsCode, "pgpool-user-sync-exit-code"));
        exitCode = run(args, System.getenv());
        FINISHED.countDown();
        exiting = true;
        System.exit(exitCode);
    }

    /**
     * SIGTERM (or SIGINT) starts the JVM's shutdown with status 143 (130), though stopping is what a daemon
     * is for. Camel's own shutdown hook stops the routes, run() returns and closes everything; then this
     * hook ends the process with run()'s code, 0 for a clean stop. A one-shot run stopped early keeps 143.
     */
    private static void exitWithRunsCode() {
        if (exiting || !daemon) {
            return;
        }
        try {
            if (FINISHED.await(SHUTDOWN_GRACE_SECONDS, TimeUnit.SECONDS)) {
                Runtime.getRuntime().halt(exitCode);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static int run(String[] args, Map<String, String> environment) {
        Settings settings;
        try {
            Map<String, String> flags = parse(args);
            if (flags.containsKey(HELP)) {
                System.out.println(usage());
                return 0;
            }
            if (flags.containsKey(VERSION)) {
                System.out.println("pgpool-user-sync " + version());
                return 0;
            }
            settings = Settings.load(flags, environment);
            daemon = !settings.once();
        } catch (IllegalArgumentException e) {
            System.err.println("pgpool-user-sync: " + e.getMessage() + " (--help lists the settings)");
            return 2;
        }
        try (SyncApplication application = new SyncApplication(settings, null)) {
            application.run();
            if (!settings.once()) {
                return 0;
            }
            if (settings.dryRun()) {
                return printDryRun(application, settings.output());
            }
            if (application.status().lastError() != null || application.status().lastSuccess() == null) {
                System.err.println("pgpool-user-sync: " + application.status().lastError());
                return 1;
            }
            Convergence.Status pgpool = application.convergence().status();
            if (pgpool.pending()) {
                // Written, but pgpool does not use it everywhere yet: do not claim it does.
                System.err.println("pgpool-user-sync: pool_passwd written, but " + (pgpool.error() != null
                        ? "pgpool could not be reached to take it up: " + pgpool.error()
                        : pgpool.staleChildren() + " pgpool children still use the previous file after "
                                + settings.convergeWarnAfter().toSeconds() + " s (busy sessions)"));
                return 1;
            }
            return 0;
        } catch (RouteFailure e) {
            System.err.println("pgpool-user-sync: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            System.err.println("pgpool-user-sync: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return 1;
        }
    }

    private static int printDryRun(SyncApplication application, Settings.Output output) {
        DryRunReport report = application.dryRunReport();
        if (application.status().lastError() != null || report == null) {
            System.err.println("pgpool-user-sync: dry run failed: " + application.status().lastError());
            return 1;
        }
        System.out.println(output == Settings.Output.JSON ? report.json() : report.text());
        return report.exitCode();
    }

    /**
     * {@code --key value}, {@code --key=value}; a boolean setting alone ({@code --once}) is true, and takes
     * the next argument only when that is a boolean ({@code --watch false}). {@code -h}, {@code --help},
     * {@code --version}.
     */
    static Map<String, String> parse(String[] args) {
        Map<String, String> flags = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("-h") || arg.equals("--help")) {
                flags.put(HELP, "true");
                continue;
            }
            if (arg.equals("--version")) {
                flags.put(VERSION, "true");
                continue;
            }
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + arg + "'");
            }
            String key = arg.substring(2);
            String value = null;
            int eq = key.indexOf('=');
            if (eq >= 0) {
                value = key.substring(eq + 1);
                key = key.substring(0, eq);
            }
            Settings.Declared setting = declared(key);
            if (setting == null) {
                throw new IllegalArgumentException("unknown flag --" + key);
            }
            if (value == null && setting.isBoolean()) {
                boolean next = i + 1 < args.length && TRUE_OR_FALSE.contains(args[i + 1].toLowerCase(java.util.Locale.ROOT));
                value = next ? args[++i] : "true";
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("--" + key + " needs a value");
                }
                value = args[++i];
            }
            flags.put(key, value);
        }
        return flags;
    }

    private static Settings.Declared declared(String key) {
        return Settings.DECLARED.stream().filter(d -> d.key().equals(key)).findFirst().orElse(null);
    }

    /** Generated from application.properties, the one list of settings. */
    static String usage() {
        StringBuilder out = new StringBuilder("""
                usage: java -jar pgpool-user-sync.jar [--once] [--FLAG VALUE]...
                Keeps pgpool's pool_passwd equal to what labeled Kubernetes Secrets declare.

                """);
        int width = 0;
        for (Settings.Declared setting : Settings.DECLARED) {
            width = Math.max(width, synopsis(setting).length());
        }
        for (Settings.Declared setting : Settings.DECLARED) {
            String help = setting.help() + (setting.defaultValue().isEmpty() ? "" : " (default " + setting.defaultValue() + ")");
            out.append(String.format("  %-" + width + "s  %s%n  %-" + width + "s  env %s%n", synopsis(setting), help, "",
                    setting.environmentVariable()));
        }
        out.append(String.format("  %-" + width + "s  %s%n", "-h, --help", "this text"));
        out.append(String.format("  %-" + width + "s  %s%n", "--version", "the version"));
        out.append("""

                A flag wins over its environment variable, which wins over the default.
                Without --manifests, Secrets are read from the cluster (kubeconfig or the pod's service account).
                Exit codes: 0 done (also after SIGTERM), 1 a --once tick failed, 2 a usage error or a route
                that does not load, 3 --dry-run: pool_passwd would change (0: nothing would).""");
        return out.toString();
    }

    private static String synopsis(Settings.Declared setting) {
        return setting.isBoolean() ? setting.flag() + "[=" + setting.value() + "]" : setting.flag() + " " + setting.value();
    }

    /** The project's version, filled in by the build. */
    static String version() {
        Properties properties = new Properties();
        try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            // reported as unknown below
        }
        return properties.getProperty("version", "unknown");
    }
}
