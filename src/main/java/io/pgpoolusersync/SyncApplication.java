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
import io.pgpoolusersync.tick.TickReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
        pgpoolKey = settings.keyFile() == null ? null : new PgpoolKey(settings.keyFile(), pcp, restartNeeded);
        main.bind("poolPasswdStore", new PoolPasswdStore(settings.poolPasswd(), pgpoolKey, settings.format()));
        main.bind("tickReport", new TickReport(status, convergence, events, settings.heartbeat()));
        observe(settings);

        main.configure().withRoutesIncludePattern(routes(settings.routesDir(), "tick")
                + "," + routes(settings.routesDir(), "secrets-from-" + source)
                + (watch == null ? "" : "," + routes(settings.routesDir(), "secrets-watch")));
        // The routes read the checked values ({{sync.period}}, in ms), not the raw text again.
        settings.properties().forEach(main::addOverrideProperty);
        main.addOverrideProperty("sync.repeat-count", settings.once() ? "1" : "0");
        this.once = settings.once();
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

    /** The route file from the routes folder, or the built-in copy when the folder lacks it. */
    private static String routes(Path folder, String name) {
        Path file = folder.resolve(name + ".camel.yaml");
        if (Files.isRegularFile(file)) {
            return "file:" + file.toAbsolutePath();
        }
        LOG.info("{} not found: using the built-in {}.camel.yaml", file, name);
        return "classpath:routes/" + name + ".camel.yaml";
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
        main.start();
        startWatch();
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
        main.run();
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
