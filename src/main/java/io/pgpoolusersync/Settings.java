package io.pgpoolusersync;

import io.pgpoolusersync.passwd.EntryFormat;
import io.pgpoolusersync.secrets.SecretSelector;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.camel.util.IOHelper;
import org.apache.camel.util.TimeUtils;

/**
 * Every setting, parsed and checked once at start. The list of settings, their defaults and their help
 * are application.properties ({@link #DECLARED}); this record holds their typed values. A value comes
 * from the flag {@code --KEY}, else from the environment variable Camel derives from {@code sync.KEY}
 * ({@code SYNC_POOL_PASSWD}), else from the default. A bad value is an {@link IllegalArgumentException}
 * naming the flag (or variable) and why, before anything runs.
 *
 * @param keyFile null when none is given (only aes needs one)
 * @param pcpHost null: pgpool is not reloaded
 * @param manifests null: Secrets are read from the cluster
 * @param managementPort 0 when off (always with --once)
 * @param properties the checked values as {@code sync.KEY} properties for the routes ({@code {{sync.period}}}
 *                   is in milliseconds, as every duration)
 */
public record Settings(String namespace, String postgresName, Map<String, String> extraLabels, Path poolPasswd,
        Path keyFile, EntryFormat format, Duration period, String pcpHost, int pcpPort, String pcpUser,
        Path pcpPasswordFile, Duration pcpTimeout, Duration convergeInterval, Duration convergeWarnAfter,
        boolean watch, Path manifests, Path routesDir, Path extensionsDir, int managementPort, Duration heartbeat, boolean once,
        boolean dryRun, Output output, Map<String, String> properties) {

    /** How a dry run prints its plan. */
    public enum Output {
        TEXT, JSON;

        static Output parse(String text) {
            for (Output output : values()) {
                if (output.name().equalsIgnoreCase(text)) {
                    return output;
                }
            }
            throw new IllegalArgumentException("not an output: text or json");
        }
    }

    /** One setting as application.properties declares it. */
    public record Declared(String key, String value, String help, String defaultValue) {

        public String flag() {
            return "--" + key;
        }

        /** Camel's own rule: {@code sync.pool-passwd} -> {@code SYNC_POOL_PASSWD}. */
        public String environmentVariable() {
            return IOHelper.normalizeEnvironmentVariable("sync." + key);
        }

        /** A switch: {@code --once} alone means true. */
        public boolean isBoolean() {
            return value.equals("true|false");
        }
    }

    public static final String RESOURCE = "/application.properties";

    /** The settings, in the order of application.properties. */
    public static final List<Declared> DECLARED = declared();

    /** A period shorter than this lists the Secrets of the API server too often. */
    static final Duration MIN_PERIOD = Duration.ofSeconds(1);
    /** From a folder, a fast period costs no one else anything (the crash test writes every 50 ms). */
    static final Duration MIN_PERIOD_MANIFESTS = Duration.ofMillis(10);

    public Settings {
        extraLabels = Map.copyOf(extraLabels);
        properties = Map.copyOf(properties);
    }

    public boolean pcpEnabled() {
        return pcpHost != null;
    }

    /** Settings from flags (keys without {@code --}), the environment, and the defaults. */
    public static Settings load(Map<String, String> flags, Map<String, String> environment) {
        Values values = new Values();
        for (String key : flags.keySet()) {
            if (find(key) == null) {
                throw new IllegalArgumentException("unknown flag --" + key);
            }
        }
        for (Declared setting : DECLARED) {
            String env = setting.environmentVariable();
            if (flags.containsKey(setting.key())) {
                values.put(setting, flags.get(setting.key()), setting.flag());
            } else if (environment.containsKey(env)) {
                values.put(setting, environment.get(env), env);
            } else {
                values.put(setting, setting.defaultValue(), "sync." + setting.key() + " in " + RESOURCE.substring(1));
            }
        }
        Settings settings = parse(values);
        values.checkAllRead();
        return settings;
    }

    /** Reads every declared setting: a new one is read here, with its type and its checks. */
    private static Settings parse(Values v) {
        String namespace = v.required("namespace");
        String postgresName = v.required("postgres-name");
        Map<String, String> extraLabels = v.parse("extra-labels", SecretSelector::parseLabels);
        Path manifests = v.path("manifests", false);
        boolean dryRun = v.bool("dry-run");
        Output output = v.parse("output", Output::parse);
        if (dryRun && manifests == null) {
            // Named as it was set: SYNC_DRY_RUN in a Deployment's environment reads as a flag never given.
            throw v.bad("dry-run", "a dry run plans from a folder of manifests: give --manifests DIR (or SYNC_MANIFESTS)");
        }
        // A pipeline may have neither: the dry run then says what it could not check.
        Path poolPasswd = v.path("pool-passwd", !dryRun);
        EntryFormat format = v.parse("format", EntryFormat::parse);
        Path keyFile = v.path("key-file", format == EntryFormat.AES && !dryRun);
        Duration period = v.duration("period", manifests == null ? MIN_PERIOD : MIN_PERIOD_MANIFESTS);
        String pcpHost = v.optional("pcp-host");
        if (dryRun) {
            pcpHost = null; // a dry run never talks to pgpool
        }
        int pcpPort = v.port("pcp-port", 1);
        String pcpUser = pcpHost == null ? v.optional("pcp-user") : v.required("pcp-user");
        Path pcpPasswordFile = v.path("pcp-password-file", pcpHost != null);
        Duration pcpTimeout = v.duration("pcp-timeout", Duration.ofMillis(100));
        Duration convergeInterval = v.duration("converge-interval", Duration.ofMillis(10));
        Duration convergeWarnAfter = v.duration("converge-warn-after", Duration.ofMillis(100));
        boolean watch = v.bool("watch");
        Path routesDir = v.path("routes-dir", true);
        Path extensionsDir = v.path("extensions-dir", true);
        int managementPort = v.port("management-port", 0);
        Duration heartbeat = v.duration("heartbeat", Duration.ofSeconds(1));
        boolean once = v.bool("once") || dryRun;
        return new Settings(namespace, postgresName, extraLabels, poolPasswd, keyFile, format, period, pcpHost,
                pcpPort, pcpUser, pcpPasswordFile, pcpTimeout, convergeInterval, convergeWarnAfter, watch,
                manifests, routesDir, extensionsDir, once ? 0 : managementPort, heartbeat, once, dryRun, output, v.properties());
    }

    private static Declared find(String key) {
        return DECLARED.stream().filter(d -> d.key().equals(key)).findFirst().orElse(null);
    }

    /** {@code sync.*} keys of application.properties, each with the comment line right above it. */
    private static List<Declared> declared() {
        String text;
        try (InputStream in = Settings.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the class path");
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the built-in " + RESOURCE + ": " + e.getMessage(), e);
        }
        Properties defaults = new Properties();
        List<Declared> declared = new ArrayList<>();
        try (BufferedReader lines = new BufferedReader(new StringReader(text))) {
            defaults.load(new StringReader(text));
            String comment = null;
            int number = 0;
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                number++;
                if (line.startsWith("#")) {
                    comment = line.substring(1).trim();
                    continue;
                }
                if (line.startsWith("sync.")) {
                    String key = line.substring("sync.".length(), line.indexOf('='));
                    int colon = comment == null ? -1 : comment.indexOf(": ");
                    if (colon <= 0) {
                        throw new IllegalStateException(RESOURCE + ":" + number + ": sync." + key
                                + " needs a help line right above it: '# VALUE: what it does'");
                    }
                    declared.add(new Declared(key, comment.substring(0, colon), comment.substring(colon + 2),
                            defaults.getProperty("sync." + key).trim()));
                }
                comment = null;
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return List.copyOf(declared);
    }

    /** The raw values, where each came from, and which ones the parse has read. */
    private static final class Values {
        private static final Pattern DURATION = Pattern.compile("(\\d+(ms|s|m|h|d))+");
        private static final Set<String> TRUE = Set.of("true", "yes", "on", "1");
        private static final Set<String> FALSE = Set.of("false", "no", "off", "0");

        private final Map<String, String> raw = new LinkedHashMap<>();
        private final Map<String, String> source = new LinkedHashMap<>();
        private final Map<String, String> properties = new LinkedHashMap<>();
        private final Set<String> read = new HashSet<>();

        void put(Declared setting, String value, String from) {
            raw.put(setting.key(), value == null ? "" : value.trim());
            source.put(setting.key(), from);
        }

        private String get(String key) {
            Declared setting = find(key);
            if (setting == null) {
                throw new IllegalStateException("sync." + key + " is read but not declared in " + RESOURCE);
            }
            read.add(key);
            String value = raw.get(key);
            properties.put("sync." + key, value);
            return value;
        }

        private IllegalArgumentException bad(String key, String why) {
            return new IllegalArgumentException(source.get(key) + " '" + raw.get(key) + "': " + why);
        }

        /** Null when empty. */
        String optional(String key) {
            String value = get(key);
            return value.isEmpty() ? null : value;
        }

        String required(String key) {
            String value = get(key);
            if (value.isEmpty()) {
                Declared setting = find(key);
                throw new IllegalArgumentException(setting.flag() + " (or " + setting.environmentVariable()
                        + ") is required");
            }
            return value;
        }

        <T> T parse(String key, Function<String, T> parser) {
            String value = get(key);
            try {
                return parser.apply(value);
            } catch (IllegalArgumentException e) {
                throw bad(key, e.getMessage());
            }
        }

        /** Null when empty and not required. */
        Path path(String key, boolean required) {
            String value = required ? required(key) : optional(key);
            try {
                return value == null ? null : Path.of(value);
            } catch (InvalidPathException e) {
                throw bad(key, "not a path: " + e.getReason());
            }
        }

        Duration duration(String key, Duration floor) {
            String value = get(key);
            if (!DURATION.matcher(value).matches()) {
                throw bad(key, "not a duration: a number with a unit, such as 500ms, 10s, 1m or 1m30s");
            }
            Duration duration = Duration.ofMillis(TimeUtils.toMilliSeconds(value));
            if (duration.compareTo(floor) < 0) {
                throw bad(key, "shorter than the least allowed, " + (floor.toMillis() % 1000 == 0
                        ? floor.toSeconds() + "s" : floor.toMillis() + "ms"));
            }
            properties.put("sync." + key, Long.toString(duration.toMillis()));
            return duration;
        }

        int port(String key, int min) {
            String value = get(key);
            try {
                int port = Integer.parseInt(value);
                if (port >= min && port <= 65535) {
                    return port;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw bad(key, "not a port number (" + min + " to 65535)");
        }

        boolean bool(String key) {
            if (!find(key).isBoolean()) {
                throw new IllegalStateException("sync." + key + " is read as a boolean: its help must start with"
                        + " 'true|false: ' in " + RESOURCE);
            }
            String value = get(key).toLowerCase(Locale.ROOT);
            if (TRUE.contains(value) || FALSE.contains(value)) {
                properties.put("sync." + key, Boolean.toString(TRUE.contains(value)));
                return TRUE.contains(value);
            }
            throw bad(key, "not a boolean: true/false, yes/no, on/off or 1/0");
        }

        Map<String, String> properties() {
            return properties;
        }

        /** A declared setting that parse() does not read would be silently ignored: refuse to start. */
        void checkAllRead() {
            List<String> unread = DECLARED.stream().map(Declared::key).filter(k -> !read.contains(k)).toList();
            if (!unread.isEmpty()) {
                throw new IllegalStateException("declared in " + RESOURCE + " but never read: " + unread);
            }
        }
    }
}
