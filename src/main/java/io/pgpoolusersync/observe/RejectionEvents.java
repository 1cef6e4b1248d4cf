package io.pgpoolusersync.observe;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.pgpoolusersync.secrets.Rejection;
import io.pgpoolusersync.tick.TickReport;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Warning Event on each rejected Secret, so that {@code kubectl describe secret} says why its user is
 * missing. Told only about new or changed rejections (see TickReport), so an unchanged bad Secret gets
 * one Event, not one per tick.
 *
 * <p>Events leave the tick: {@link #rejected} only queues (bounded; when full, the Event is dropped and
 * counted), and one thread of its own sends them, one request each (its client does not retry). When the
 * API refuses or fails (403 without RBAC for events, 5xx, no connection), that thread keeps the Event and
 * tries again after a back-off that doubles up to {@code maxBackoff}: never a storm, and never switched
 * off for good, so that RBAC granted later works without a restart. Outages are logged on change.
 */
public final class RejectionEvents implements TickReport.RejectionListener, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RejectionEvents.class);
    static final String COMPONENT = "pgpool-user-sync";
    static final int QUEUE = 100;

    private final KubernetesClient client;
    private final Duration minBackoff;
    private final Duration maxBackoff;
    private final BlockingQueue<Event> queue = new ArrayBlockingQueue<>(QUEUE);
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private final Thread sender;
    private String failing; // the last failure logged, null while Events go through

    public RejectionEvents(KubernetesClient client) {
        this(client, Duration.ofSeconds(10), Duration.ofMinutes(5));
    }

    RejectionEvents(KubernetesClient client, Duration minBackoff, Duration maxBackoff) {
        this.client = client;
        this.minBackoff = minBackoff;
        this.maxBackoff = maxBackoff;
        this.sender = new Thread(this::send, "pgpool-user-sync-events");
        sender.setDaemon(true);
        sender.start();
    }

    @Override
    public void rejected(Rejection rejection) {
        if (!queue.offer(event(rejection))) {
            dropped.incrementAndGet();
            LOG.debug("Event queue full: no Event for {}", rejection.source());
        }
    }

    /** Events not recorded because the queue was full. */
    public long dropped() {
        return dropped.get();
    }

    /** Events the API accepted. */
    public long sent() {
        return sent.get();
    }

    private static Event event(Rejection rejection) {
        String now = Instant.now().toString();
        return new EventBuilder()
                .withNewMetadata().withNamespace(rejection.source().namespace())
                .withGenerateName(rejection.source().name() + ".").endMetadata()
                .withNewInvolvedObject().withApiVersion("v1").withKind("Secret")
                .withNamespace(rejection.source().namespace()).withName(rejection.source().name())
                .withUid(rejection.source().uid()).withResourceVersion(rejection.source().resourceVersion())
                .endInvolvedObject()
                .withType("Warning")
                .withReason(rejection.reason().name())
                .withMessage("not synced to pgpool: " + rejection.detail())
                .withNewSource().withComponent(COMPONENT).endSource()
                .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
                .build();
    }

    private void send() {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                Event event = queue.take();
                Duration backoff = minBackoff;
                while (!create(event)) {
                    TimeUnit.MILLISECONDS.sleep(backoff.toMillis());
                    backoff = backoff.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff : backoff.multipliedBy(2);
                }
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    /** True when done with this Event (created, or refused for good); false to try it again later. */
    private boolean create(Event event) {
        String namespace = event.getMetadata().getNamespace();
        try {
            client.v1().events().inNamespace(namespace).resource(event).create();
            sent.incrementAndGet();
            if (failing != null) {
                LOG.info("Events are recorded again in {}", namespace);
                failing = null;
            }
            return true;
        } catch (KubernetesClientException e) {
            int code = e.getCode();
            String problem = code == 403 ? "not allowed to create Events in " + namespace
                    + " (RBAC: create on events); rejections are only logged meanwhile"
                    : "cannot record Events in " + namespace + ": " + (code > 0 ? "HTTP " + code + " " : "")
                            + e.getMessage();
            if (!problem.equals(failing)) {
                LOG.warn("{}; trying again with back-off", problem);
                failing = problem;
            }
            // 403, 429, 5xx and connection failures may pass later; any other 4xx is this Event's fault.
            boolean later = code == 0 || code == 403 || code == 429 || code >= 500;
            return !later;
        } catch (RuntimeException e) {
            LOG.warn("cannot record an Event in {}: {}", namespace, e.toString());
            return true;
        }
    }

    @Override
    public void close() {
        sender.interrupt();
    }
}
