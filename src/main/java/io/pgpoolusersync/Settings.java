package io.pgpoolusersync;

import io.pgpoolusersync.passwd.EntryFormat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.camel.util.TimeUtils;

/**
 * The configuration, in layers: application.properties in the jar, then environment variables
 * ({@code sync.pool-passwd} -> {@code SYNC_POOL_PASSWD}), then command-line flags ({@code --pool-passwd}).
 * Checked once at start, so that a usage error is reported before anything runs.
 */
public record Settings(Map<String, String> values) {

    /** Every key we read; a flag is the key without {@code sync.}. */
    public static final List<String> KEYS = List.of("namespace", "postgres-name", "extra-labels", "pool-passwd",
            "key-file", "format", "period", "pcp-host", "pcp-port", "pcp-user", "pcp-password-file",
            "pcp-timeout", "converge-interval", "converge-warn-after", "watch", "manifests", "routes-dir", "extensions-dir", "management-port", "once");

    public Settings {
        values = Map.copyOf(values);
    }

    public static Settings load(Map<String, String> flags, Map<String, String> environment) {
        Map<String, String> values = new LinkedHashMap<>();
        Properties defaults = new Properties();
        try (InputStream in = Settings.class.getResourceAsStream("/application.properties")) {
            if (in != null) {
                defaults.load(in);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the built-in application.properties", e);
        }
        for (String key : KEYS) {
            String value = defaults.getProperty("sync." + key, "");
            String env = environment.get(envName(key));
            if (env != null) {
                value = env;
            }
            if (flags.containsKey(key)) {
                value = flags.get(key);
            }
            values.put(key, value.trim());
        }
        Settings settings = new Settings(values);
        settings.check();
        return settings;
    }

    public static String envName(String key) {
        return "SYNC_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    private void check() {
        require("namespace");
        require("postgres-name");
        require("pool-passwd");
        format();
        if (format() == EntryFormat.AES) {
            require("key-file");
        }
        periodMillis();
        managementPort();
        if (pcpEnabled()) {
            convergeIntervalMillis();
            convergeWarnAfterMillis();
            require("pcp-user");
            require("pcp-password-file");
            pcpPort();
        }
    }

    private String require(String key) {
        String value = get(key);
        if (value.isEmpty()) {
            throw new IllegalArgumentException("--" + key + " (or " + envName(key) + ") is required");
        }
        return value;
    }

    public String get(String key) {
        return values.getOrDefault(key, "");
    }

    public String namespace() {
        return get("namespace");
    }

    public String postgresName() {
        return get("postgres-name");
    }

    public String extraLabels() {
        return get("extra-labels");
    }

    public Path poolPasswd() {
        return Path.of(get("pool-passwd"));
    }

    public Path keyFile() {
        return get("key-file").isEmpty() ? null : Path.of(get("key-file"));
    }

    public EntryFormat format() {
        return EntryFormat.parse(get("format"));
    }

    public long periodMillis() {
        return duration("period");
    }

    public boolean pcpEnabled() {
        return !get("pcp-host").isEmpty();
    }

    public String pcpHost() {
        return get("pcp-host");
    }

    public int pcpPort() {
        try {
            return Integer.parseInt(get("pcp-port"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--pcp-port '" + get("pcp-port") + "' is not a port number");
        }
    }

    public String pcpUser() {
        return get("pcp-user");
    }

    public Path pcpPasswordFile() {
        return Path.of(get("pcp-password-file"));
    }

    public long pcpTimeoutMillis() {
        return duration("pcp-timeout");
    }

    /** Time between convergence rounds while pgpool children may still hold the old pool_passwd. */
    public long convergeIntervalMillis() {
        return duration("converge-interval");
    }

    /** After this long, a write that pgpool children have not all taken up is reported as overdue. */
    public long convergeWarnAfterMillis() {
        return duration("converge-warn-after");
    }

    /** Null: read Secrets from the cluster. */
    public Path manifests() {
        return get("manifests").isEmpty() ? null : Path.of(get("manifests"));
    }

    /** 0 turns the management port (health, metrics) off; a one-shot run never opens it. */
    public int managementPort() {
        try {
            return once() ? 0 : Integer.parseInt(get("management-port"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--management-port '" + get("management-port") + "' is not a port number");
        }
    }

    public Path routesDir() {
        return Path.of(get("routes-dir"));
    }

    /** Jars that join the classpath of the routes (components of one's own choice); absent: none. */
    public Path extensionsDir() {
        return Path.of(get("extensions-dir"));
    }

    public boolean once() {
        return Boolean.parseBoolean(get("once"));
    }

    /** In a cluster, watch the Secrets for a tick as soon as one changes; the timer stays the resync. */
    public boolean watch() {
        return !get("watch").equalsIgnoreCase("false");
    }

    private long duration(String key) {
        long millis;
        try {
            millis = TimeUtils.toMilliSeconds(get(key));
        } catch (RuntimeException e) {
            millis = -1;
        }
        if (millis <= 0) {
            throw new IllegalArgumentException("--" + key + " '" + get(key) + "' is not a duration such as 10s or 500ms");
        }
        return millis;
    }
}
