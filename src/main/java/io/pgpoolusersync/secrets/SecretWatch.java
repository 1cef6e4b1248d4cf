package io.pgpoolusersync.secrets;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.ReducedStateItemStore;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says "now" when a selected Secret is added, changed or deleted, so that a change need not wait for
 * the next resync. A fabric8 informer (camel-kubernetes has no Secret consumer) with the namespace and
 * the server-side label selector of the list: it reconnects with back-off when the watch closes or the
 * API vanishes, and lists again after 410 Gone. It keeps only each Secret's name and resourceVersion
 * (no data), and it never feeds a tick its view of the Secrets: the tick lists them itself.
 */
public final class SecretWatch implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SecretWatch.class);

    private final KubernetesClient client;
    private final SecretSelector selector;
    private final Runnable changed;
    private SharedIndexInformer<Secret> informer;
    private Instant downSince;
    /** fabric8 reconnects quietly: a look every few seconds turns its state into a log line. */
    private final ScheduledExecutorService health = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pgpool-user-sync-watch-health");
        t.setDaemon(true);
        return t;
    });

    /** @param changed called on every change; it must be quick and coalesce (see the tick's seda queue) */
    public SecretWatch(KubernetesClient client, SecretSelector selector, Runnable changed) {
        this.client = client;
        this.selector = selector;
        this.changed = changed;
    }

    /** Starts listing and watching in the background; returns at once. */
    public synchronized void start() {
        informer = client.secrets().inNamespace(selector.namespace()).withLabels(selector.labels())
                .runnableInformer(0);
        informer.itemStore(new ReducedStateItemStore<>(ReducedStateItemStore.NAME_KEY_STATE, Secret.class,
                client.getKubernetesSerialization(), "metadata.resourceVersion"));
        informer.exceptionHandler((started, error) -> {
            LOG.debug("watch of Secrets in {} failed: {}", selector.namespace(), error.getMessage());
            return true; // retry, with fabric8's back-off
        });
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Secret secret) {
                event();
            }

            @Override
            public void onUpdate(Secret before, Secret after) {
                event();
            }

            @Override
            public void onDelete(Secret secret, boolean finalStateUnknown) {
                event();
            }
        });
        informer.start();
        health.scheduleWithFixedDelay(this::check, 5, 5, TimeUnit.SECONDS);
    }

    private void event() {
        changed.run();
    }

    /** Logs when the watch goes down and when it is back: once each, not every retry. */
    private synchronized void check() {
        boolean up = watching();
        if (!up && downSince == null) {
            downSince = Instant.now();
            LOG.warn("the watch of Secrets in {} is down, fabric8 reconnects with back-off; meanwhile changes wait"
                    + " for the resync", selector.namespace());
        } else if (up && downSince != null) {
            LOG.info("watching Secrets in {} again, after {} s", selector.namespace(),
                    Duration.between(downSince, Instant.now()).toSeconds());
            downSince = null;
        }
    }

    /** True while the watch is open. */
    public boolean watching() {
        SharedIndexInformer<Secret> i = informer;
        return i != null && i.isWatching();
    }

    @Override
    public synchronized void close() {
        health.shutdownNow();
        if (informer != null) {
            informer.stop();
        }
    }
}
