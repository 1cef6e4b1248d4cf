package io.pgpoolusersync;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Config;
import io.pgpoolusersync.cluster.ApiClients;
import io.pgpoolusersync.cluster.RetryAfter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgpoolusersync.observe.RejectionEvents;
import io.pgpoolusersync.observe.SyncMetrics;
import io.pgpoolusersync.observe.TickHealthCheck;
import io.pgpoolusersync.pcp.PcpClient;
import io.pgpoolusersync.pcp.PcpPasswordFile;
import io.pgpoolusersync.pgpool.Convergence;
import io.pgpoolusersync.pgpool.PgpoolKey;
import io.pgpoolusersync.pgpool.PgpoolStartGuard;
import io.pgpoolusersync.observe.PodEvents;
import java.util.function.Consumer;
import io.pgpoolusersync.secrets.ManifestFolder;
import io.pgpoolusersync.secrets.SecretWatch;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.MainListenerSupport;
import io.pgpoolusersync.secrets.SecretSelector;
import io.pgpoolusersync.secrets.UserSecrets;
import io.pgpoolusersync.store.PoolPasswdStore;
import io.pgpoolusersync.tick.SyncStatus;
import io.pgpoolusersync.tick.DryRunReport;
import io.pgpoolusersync.tick.TickReport;
import io.pgpoolusersync.tick.TickSummary;
import io.pgpoolusersync.passwd.EntryFormat;
import io.pgpoolusersync.passwd.KeyFile;
import io.pgpoolusersync.passwd.KeySource;
import java.nio.charset.StandardCharsets;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.apache.camel.main.Main;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Camel Main with the YAML routes and the beans they call. The routes are read from a folder so that
 * users edit them ({@code routes/} by default); the copies built into the jar serve when it is absent.
 */
public final class SyncApplication implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SyncApplication.class);

    private final Main main = new Main();
    private final SyncStatus status = new SyncStatus();
    private final KubernetesClient ownedClient;
    private KubernetesClient eventsClient;
    private RejectionEvents rejectionEvents;
    private final Convergence convergence;
    private final PgpoolKey pgpoolKey;
    private final boolean once;
    private final TickReport tickReport;
    private final List<String> dryRunNotChecked = new ArrayList<>();
    private boolean dryRunKeyKnown = true;
    private PodEvents podEvents;
    private SecretWatch watch;
    private volatile ProducerTemplate changes;

    /** @param kubernetesClient the API to read Secrets from; null to build one from kubeconfig or the pod */
    public SyncApplication(Settings settings, KubernetesClient kubernetesClient) throws IOException {
        SecretSelector selector = new SecretSelector(settings.namespace(), settings.postgresName(),
                settings.extraLabels());
        main.bind("secretSelector", selector);
        main.bind("userSecrets", new UserSecrets(settings.format()));
        PcpClient pcp = pcpClient(settings);
        convergence = new Convergence(pcp, settings.convergeInterval(), settings.convergeWarnAfter(),
                settings.period());
        main.bind("convergence", convergence);
        main.bind("syncStatus", status);

        String source;
        TickReport.RejectionListener events;
        Consumer<String> restartNeeded;
        if (settings.manifests() != null) {
            source = "manifests";
            main.bind("manifestFolder", new ManifestFolder(settings.manifests(), selector));
            ownedClient = null;
            events = rejection -> { };
            restartNeeded = message -> { };
        } else {
            source = "cluster";
            // Our own clients, configured for the sync (ApiClients), also when a test hands us one.
            Config base = kubernetesClient == null ? ApiClients.discovered() : kubernetesClient.getConfiguration();
            RetryAfter retryAfter = new RetryAfter();
            ownedClient = ApiClients.forSecrets(base, retryAfter);
            eventsClient = ApiClients.forEvents(base);
            main.bind("kubernetesClient", ownedClient);
            main.bind("retryAfter", retryAfter);
            rejectionEvents = new RejectionEvents(eventsClient);
            events = rejectionEvents;
            if (settings.watch() && !settings.once()) {
                watch = new SecretWatch(ownedClient, selector, this::secretChanged);
            }
            podEvents = new PodEvents(eventsClient, settings.namespace());
            restartNeeded = message -> podEvents.warn("PgpoolRestartNeeded", message);
        }
        if (settings.dryRun()) {
            pgpoolKey = null;
            main.bind("poolPasswdStore", dryRunStore(settings));
            main.bind("pgpoolStartGuard", new PgpoolStartGuard(null, List.of())); // nothing is written
        } else {
            pgpoolKey = settings.keyFile() == null ? null : new PgpoolKey(settings.keyFile(), pcp, restartNeeded);
            main.bind("poolPasswdStore", new PoolPasswdStore(settings.poolPasswd(), pgpoolKey, settings.format()));
            main.bind("pgpoolStartGuard", new PgpoolStartGuard(pcp, settings.keyFile() == null
                    ? List.of(settings.poolPasswd()) : List.of(settings.poolPasswd(), settings.keyFile())));
        }
        tickReport = new TickReport(status, convergence, events, settings.heartbeat(), settings.dryRun());
        main.bind("tickReport", tickReport);
        observe(settings);

        extensions(settings.extensionsDir());
        main.configure().withRoutesIncludePattern(String.join(",",
                routes(settings.routesDir(), source, watch != null)));
        // The routes read the checked values ({{sync.period}}, in ms), not the raw text again.
        settings.properties().forEach(main::addOverrideProperty);
        main.addOverrideProperty("sync.repeat-count", settings.once() ? "1" : "0");
        this.once = settings.once();
    }

    /**
     * The jars of the extensions folder join the classpath of the routes: Camel finds components,
     * languages, data formats and bean classes through the context's application class loader.
     */
    private void extensions(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            LOG.debug("no extensions folder {}", folder);
            return;
        }
        List<Path> jars;
        try (Stream<Path> files = Files.list(folder)) {
            jars = files.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().toList();
        }
        if (jars.isEmpty()) {
            return;
        }
        URL[] urls = new URL[jars.size()];
        for (int i = 0; i < urls.length; i++) {
            urls[i] = jars.get(i).toUri().toURL();
        }
        LOG.info("extensions: {}", jars);
        ClassLoader loader = new URLClassLoader("extensions", urls, SyncApplication.class.getClassLoader());
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void beforeConfigure(BaseMainSupport configured) {
                configured.getCamelContext().setApplicationContextClassLoader(loader);
            }
        });
    }

    /** Health checks and metrics on Camel's management port (platform-http-main, micrometer-prometheus). */
    private void observe(Settings settings) {
        Duration stall = Duration.ofMillis(Math.max(5 * settings.period().toMillis(), 60_000));
        main.bind("tickReadiness", TickHealthCheck.readiness(status, convergence, pgpoolKey, watch));
        main.bind("tickLiveness", TickHealthCheck.liveness(status, stall));
        if (settings.managementPort() == 0) {
            return;
        }
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new SyncMetrics(status, convergence, pgpoolKey, watch, rejectionEvents).bindTo(metrics);
        main.bind(MicrometerConstants.METRICS_REGISTRY_NAME, metrics);
        main.addOverrideProperty("camel.management.enabled", "true");
        main.addOverrideProperty("camel.management.host", "0.0.0.0");
        main.addOverrideProperty("camel.management.port", Integer.toString(settings.managementPort()));
        main.addOverrideProperty("camel.management.health-check-enabled", "true");
        main.addOverrideProperty("camel.management.metrics-enabled", "true");
        main.addOverrideProperty("camel.metrics.enabled", "true");
    }

    /**
     * The route files: tick, the source's and (with the watch) secrets-watch, from the routes folder or
     * built in when it lacks them; and every other {@code *.camel.yaml} of the folder (the routes of the
     * user: a policy, a notification), except the route of the other source and, without the watch, its route.
     */
    static List<String> routes(Path folder, String source, boolean watch) throws IOException {
        List<String> core = new ArrayList<>(List.of("tick", "secrets-from-" + source));
        if (watch) {
            core.add("secrets-watch");
        }
        Set<String> unused = new HashSet<>(Set.of("secrets-from-cluster", "secrets-from-manifests", "secrets-watch"));
        unused.removeAll(core);
        List<String> patterns = new ArrayList<>();
        for (String name : core) {
            Path file = folder.resolve(name + ".camel.yaml");
            if (Files.isRegularFile(file)) {
                patterns.add("file:" + file.toAbsolutePath());
            } else {
                LOG.info("{} not found: using the built-in {}.camel.yaml", file, name);
                patterns.add("classpath:routes/" + name + ".camel.yaml");
            }
        }
        if (Files.isDirectory(folder)) {
            List<Path> own;
            try (Stream<Path> files = Files.list(folder)) {
                own = files.filter(f -> f.getFileName().toString().endsWith(".camel.yaml"))
                        .filter(f -> !core.contains(baseName(f)) && !unused.contains(baseName(f)))
                        .sorted().toList();
            }
            for (Path file : own) {
                LOG.info("routes of your own: {}", file);
                patterns.add("file:" + file.toAbsolutePath());
            }
        }
        return patterns;
    }

    private static String baseName(Path file) {
        String name = file.getFileName().toString();
        return name.substring(0, name.length() - ".camel.yaml".length());
    }

    /**
     * A dry run plans against what it is given; a pipeline may hold no pool_passwd and no key. What it
     * then cannot check is said in the report, never guessed.
     */
    private PoolPasswdStore dryRunStore(Settings settings) throws IOException {
        Path poolPasswd = settings.poolPasswd();
        if (poolPasswd == null || !Files.exists(poolPasswd)) {
            dryRunNotChecked.add((poolPasswd == null ? "no --pool-passwd given" : poolPasswd + " does not exist")
                    + ": every declared user counts as added, and entries that this sync does not manage"
                    + " (which would block a Secret) are unknown");
            if (poolPasswd == null) {
                poolPasswd = Files.createTempDirectory("pgpool-user-sync-dry-run").resolve("pool_passwd");
                poolPasswd.getParent().toFile().deleteOnExit();
            }
        }
        KeySource key = null;
        if (settings.format() == EntryFormat.AES) {
            Path keyFile = settings.keyFile();
            if (keyFile != null && Files.exists(keyFile)) {
                key = () -> KeyFile.read(keyFile);
            } else {
                dryRunKeyKnown = false;
                dryRunNotChecked.add((keyFile == null ? "no --key-file given" : keyFile + " does not exist")
                        + ": entries already in pool_passwd are not compared (listed as not compared), and an"
                        + " entry that lost its ownership record cannot be recognised as ours");
                byte[] standIn = "pgpool-user-sync dry run: stand-in key".getBytes(StandardCharsets.US_ASCII);
                key = () -> standIn;
            }
        }
        return PoolPasswdStore.planOnly(poolPasswd, key, settings.format());
    }

    /** A dry run's plan, once its tick has ended; null before. */
    public DryRunReport dryRunReport() {
        TickSummary tick = tickReport.lastSummary();
        return tick == null ? null : DryRunReport.of(tick, tickReport.lastPlanWrites(), dryRunKeyKnown,
                dryRunNotChecked);
    }

    private static PcpClient pcpClient(Settings settings) throws IOException {
        if (!settings.pcpEnabled()) {
            LOG.info("no PCP endpoint configured (--pcp-host): pgpool will not be reloaded after a change");
            return null;
        }
        PcpPasswordFile password = new PcpPasswordFile(settings.pcpPasswordFile());
        password.get(); // a usage error, reported at start; read again at every connection
        return new PcpClient(settings.pcpHost(), settings.pcpPort(), settings.pcpUser(), password,
                settings.pcpTimeout());
    }

    /** For tests: a bean in Camel's registry before the start (an InterceptStrategy, for one). */
    void bind(String name, Object bean) {
        main.bind(name, bean);
    }

    public SyncStatus status() {
        return status;
    }

    /** The key pgpool holds; null when the entry format needs none. */
    public PgpoolKey pgpoolKey() {
        return pgpoolKey;
    }

    /** Where pgpool's children stand with the last written pool_passwd. */
    public Convergence convergence() {
        return convergence;
    }

    /** Starts the timer and the watch, and returns; ticks run in the background. */
    public void start() throws Exception {
        convergence.start();
        try {
            main.start();
        } catch (Exception e) {
            throw routeFailure(e);
        }
        startWatch();
    }

    /** A route that does not load or start: file, line and reason (RouteFailure); anything else as it is. */
    private Exception routeFailure(Exception error) {
        RouteFailure failure = RouteFailure.of(main.getCamelContext(), error);
        return failure == null ? error : failure;
    }

    private void startWatch() {
        if (watch != null) {
            changes = main.getCamelContext().createProducerTemplate();
            watch.start();
        }
    }

    /** From the watch: ask for a tick now (secrets-watch.camel.yaml; seda:tick coalesces). */
    private void secretChanged() {
        ProducerTemplate template = changes;
        if (template != null) {
            template.sendBody("direct:secret-changed", null);
        }
    }

    /**
     * Runs until the JVM is asked to stop; with {@code --once}, one tick, then convergence rounds until
     * every pgpool child uses what it wrote (bounded by converge-warn-after).
     */
    public void run() throws Exception {
        if (once) {
            start();
            status.awaitTicks(1);
            convergence.awaitConverged();
            return;
        }
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void afterStart(BaseMainSupport started) {
                try {
                    startWatch();
                } catch (RuntimeException e) {
                    LOG.warn("could not start the watch of Secrets: {}; the resync alone keeps pool_passwd right",
                            e.getMessage());
                }
            }
        });
        convergence.start();
        try {
            main.run();
        } catch (Exception e) {
            throw routeFailure(e);
        }
    }

    @Override
    public void close() {
        if (watch != null) {
            watch.close();
        }
        main.stop();
        convergence.close();
        if (podEvents != null) {
            podEvents.close();
        }
        if (rejectionEvents != null) {
            rejectionEvents.close();
        }
        if (eventsClient != null) {
            eventsClient.close();
        }
        if (ownedClient != null) {
            ownedClient.close();
        }
    }
}
