package io.pgpoolusersync.observe;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.pgpoolusersync.secrets.Rejection;
import io.pgpoolusersync.tick.TickReport;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Warning Event on each rejected Secret, so that {@code kubectl describe secret} says why its user is
 * missing. Told only about new or changed rejections (see TickReport), so an unchanged bad Secret
 * gets one Event, not one per tick. Without RBAC for events, the log line is all there is.
 */
public final class RejectionEvents implements TickReport.RejectionListener {

    private static final Logger LOG = LoggerFactory.getLogger(RejectionEvents.class);
    static final String COMPONENT = "pgpool-user-sync";

    private final KubernetesClient client;
    private volatile boolean forbidden;

    public RejectionEvents(KubernetesClient client) {
        this.client = client;
    }

    @Override
    public void rejected(Rejection rejection) {
        if (forbidden) {
            return;
        }
        String now = Instant.now().toString();
        try {
            client.v1().events().inNamespace(rejection.source().namespace()).resource(new EventBuilder()
                    .withNewMetadata().withGenerateName(rejection.source().name() + ".").endMetadata()
                    .withNewInvolvedObject().withApiVersion("v1").withKind("Secret")
                    .withNamespace(rejection.source().namespace()).withName(rejection.source().name())
                    .withUid(rejection.source().uid()).withResourceVersion(rejection.source().resourceVersion())
                    .endInvolvedObject()
                    .withType("Warning")
                    .withReason(rejection.reason().camelCase())
                    .withMessage("not synced to pgpool: " + rejection.detail())
                    .withNewSource().withComponent(COMPONENT).endSource()
                    .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
                    .build()).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 403) {
                forbidden = true;
                LOG.info("not allowed to create Events in {}: rejections are only logged", rejection.source().namespace());
            } else {
                LOG.warn("could not record an Event for {}: {}", rejection.source(), e.getMessage());
            }
        }
    }
}
