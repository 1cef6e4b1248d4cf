package io.pgpoolusersync;

import io.pgpoolusersync.pgpool.Convergence;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The command line. Exit codes: 0 success (rejected Secrets are reported, not fatal), 1 a tick failed
 * (I/O, API or pgpool reload error), 2 a usage error or a route that does not load or start (file, line
 * and reason printed).
 */
public final class Main {

    static final String USAGE = """
            usage: java -jar pgpool-user-sync.jar [--once] [--manifests DIR] --namespace NS --postgres-name NAME
                     --pool-passwd FILE --key-file FILE [--format aes|md5|text] [--period 10s]
                     [--pcp-host H --pcp-port P --pcp-user U --pcp-password-file F]
                     [--extra-labels k=v,...] [--routes-dir DIR] [--extensions-dir DIR] [--pcp-timeout 5s] [--converge-interval 250ms]
                     [--converge-warn-after 30s] [--watch=false]
                     [--management-port 9876]
            Every flag can also be set by an environment variable: --pool-passwd -> SYNC_POOL_PASSWD.
            Without --manifests, Secrets are read from the cluster (kubeconfig or the pod's service account).
            Without --pcp-host, pgpool is not reloaded.""";

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.getenv()));
    }

    static int run(String[] args, Map<String, String> environment) {
        Settings settings;
        try {
            Map<String, String> flags = parse(args);
            if (flags.containsKey("help")) {
                System.out.println(USAGE);
                return 0;
            }
            settings = Settings.load(flags, environment);
        } catch (IllegalArgumentException e) {
            System.err.println("pgpool-user-sync: " + e.getMessage());
            System.err.println(USAGE);
            return 2;
        }
        try (SyncApplication application = new SyncApplication(settings, null)) {
            application.run();
            if (!settings.once()) {
                return 0;
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
                                + settings.convergeWarnAfterMillis() / 1000 + " s (busy sessions)"));
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

    /** {@code --key value}, {@code --key=value}, and the switches {@code --once} and {@code --help}. */
    static Map<String, String> parse(String[] args) {
        Map<String, String> flags = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
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
            if (key.equals("once") || key.equals("help")) {
                flags.put(key, value == null ? "true" : value);
                continue;
            }
            if (!Settings.KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown flag --" + key);
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
}
