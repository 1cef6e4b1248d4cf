package io.pgpoolusersync;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgpoolusersync.observe.RejectionEvents;
import io.pgpoolusersync.observe.SyncMetrics;
import io.pgpoolusersync.observe.TickHealthCheck;
import io.pgpoolusersync.pcp.PcpClient;
import io.pgpoolusersync.pcp.PgpoolReload;
import io.pgpoolusersync.secrets.ManifestFolder;
import io.pgpoolusersync.secrets.SecretSelector;
import io.pgpoolusersync.secrets.UserSecrets;
import io.pgpoolusersync.store.PoolPasswdStore;
import io.pgpoolusersync.tick.SyncStatus;
import io.pgpoolusersync.tick.TickReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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

    /** @param kubernetesClient the API to read Secrets from; null to build one from kubeconfig or the pod */
    public SyncApplication(Settings settings, KubernetesClient kubernetesClient) throws IOException {
        SecretSelector selector = new SecretSelector(settings.namespace(), settings.postgresName(),
                settings.extraLabels());
        main.bind("secretSelector", selector);
        main.bind("userSecrets", new UserSecrets(settings.format()));
        main.bind("poolPasswdStore", new PoolPasswdStore(settings.poolPasswd(), settings.keyFile(), settings.format()));
        main.bind("pgpoolReload", new PgpoolReload(pcpClient(settings),
                settings.pcpEnabled() ? settings.reloadFollowUps() : 0));
        main.bind("syncStatus", status);

        String source;
        TickReport.RejectionListener events;
        if (settings.manifests() != null) {
            source = "manifests";
            main.bind("manifestFolder", new ManifestFolder(settings.manifests(), selector));
            ownedClient = null;
            events = rejection -> { };
        } else {
            source = "cluster";
            ownedClient = kubernetesClient == null ? new KubernetesClientBuilder().build() : null;
            KubernetesClient client = kubernetesClient == null ? ownedClient : kubernetesClient;
            main.bind("kubernetesClient", client);
            events = new RejectionEvents(client);
        }
        main.bind("tickReport", new TickReport(status, events));
        observe(settings);

        main.configure().withRoutesIncludePattern(routes(settings.routesDir(), "tick")
                + "," + routes(settings.routesDir(), "secrets-from-" + source));
        main.addOverrideProperty("sync.namespace", settings.namespace());
        main.addOverrideProperty("sync.period", Long.toString(settings.periodMillis()));
        main.addOverrideProperty("sync.repeat-count", settings.once() ? "1" : "0");
        if (settings.once()) {
            main.configure().withDurationMaxMessages(1);
        }
    }

    /** Health checks and metrics on Camel's management port (platform-http-main, micrometer-prometheus). */
    private void observe(Settings settings) {
        Duration stall = Duration.ofMillis(Math.max(5 * settings.periodMillis(), 60_000));
        main.bind("tickReadiness", TickHealthCheck.readiness(status));
        main.bind("tickLiveness", TickHealthCheck.liveness(status, stall));
        if (settings.managementPort() == 0) {
            return;
        }
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new SyncMetrics(status).bindTo(metrics);
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
        return new PcpClient(settings.pcpHost(), settings.pcpPort(), settings.pcpUser(),
                firstLine(settings.pcpPasswordFile()), Duration.ofMillis(settings.pcpTimeoutMillis()));
    }

    /** A Secret key mounted as a file: the password is its first line, without the line end. */
    static String firstLine(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IOException("cannot read PCP password file " + file + ": " + e.getClass().getSimpleName(), e);
        }
        String line = text.lines().findFirst().orElse("");
        if (line.isEmpty()) {
            throw new IOException("PCP password file " + file + " is empty");
        }
        return line;
    }

    public SyncStatus status() {
        return status;
    }

    /** Starts the timer and returns; ticks run in the background. */
    public void start() throws Exception {
        main.start();
    }

    /** Runs until the JVM is asked to stop, or after one tick with {@code --once}. */
    public void run() throws Exception {
        main.run();
    }

    @Override
    public void close() {
        main.stop();
        if (ownedClient != null) {
            ownedClient.close();
        }
    }
}
