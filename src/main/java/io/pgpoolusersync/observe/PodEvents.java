package io.pgpoolusersync.observe;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warning Events about pgpool itself (it must restart to use a new key), recorded on the pod this sync
 * runs in ({@code HOSTNAME} is the pod's name in Kubernetes), so that {@code kubectl describe pod} and
 * {@code kubectl get events} show them. Sent from a thread of its own: the API never delays a tick.
 */
public final class PodEvents implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PodEvents.class);

    private final KubernetesClient client;
    private final String namespace;
    private final String pod = System.getenv("HOSTNAME");
    private final ExecutorService sender = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "pgpool-user-sync-pod-events");
        t.setDaemon(true);
        return t;
    });

    public PodEvents(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
    }

    public void warn(String reason, String message) {
        if (pod == null || pod.isBlank()) {
            return; // not in a pod: the log line is all there is
        }
        String now = Instant.now().toString();
        sender.execute(() -> {
            try {
                client.v1().events().inNamespace(namespace).resource(new EventBuilder()
                        .withNewMetadata().withGenerateName(pod + ".").endMetadata()
                        .withNewInvolvedObject().withApiVersion("v1").withKind("Pod")
                        .withNamespace(namespace).withName(pod).endInvolvedObject()
                        .withType("Warning").withReason(reason).withMessage(message)
                        .withNewSource().withComponent(RejectionEvents.COMPONENT).endSource()
                        .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
                        .build()).create();
            } catch (KubernetesClientException e) {
                LOG.warn("could not record a {} Event on pod {}/{}: {}", reason, namespace, pod, e.getMessage());
            }
        });
    }

    @Override
    public void close() {
        sender.shutdownNow();
    }
}
