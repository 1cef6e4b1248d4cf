package io.pgpoolusersync.cluster;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/**
 * The sync's fabric8 clients. fabric8's defaults retry a failed request 10 times with back-off (one failed
 * list: 11 requests over about 19 s), inside the tick. Here a failed request is not retried: the next
 * tick (or the watch's own reconnect back-off) is the retry, and a 429's Retry-After is kept by
 * {@link RetryAfter} for the next list. Events get a client of their own with shorter timeouts: they are
 * a courtesy and must never hold anything up.
 */
public final class ApiClients {

    /** The list of Secrets and the watch (the client the camel-kubernetes route uses). */
    static final int LIST_CONNECT_TIMEOUT_MS = 5_000;
    static final int LIST_REQUEST_TIMEOUT_MS = 10_000;
    static final int EVENT_CONNECT_TIMEOUT_MS = 2_000;
    static final int EVENT_REQUEST_TIMEOUT_MS = 5_000;

    private ApiClients() {
    }

    /** kubeconfig, or the pod's service account, as fabric8 finds them. */
    public static Config discovered() {
        return Config.autoConfigure(null);
    }

    /** For listing and watching Secrets: one request per list, Retry-After noted in {@code retryAfter}. */
    public static KubernetesClient forSecrets(Config base, RetryAfter retryAfter) {
        return new KubernetesClientBuilder()
                .withConfig(once(base, LIST_CONNECT_TIMEOUT_MS, LIST_REQUEST_TIMEOUT_MS))
                .withHttpClientBuilderConsumer(http -> http.addOrReplaceInterceptor(RetryAfter.NAME, retryAfter))
                .build();
    }

    /** For Events: one request each, short timeouts. */
    public static KubernetesClient forEvents(Config base) {
        return new KubernetesClientBuilder()
                .withConfig(once(base, EVENT_CONNECT_TIMEOUT_MS, EVENT_REQUEST_TIMEOUT_MS))
                .build();
    }

    private static Config once(Config base, int connectTimeoutMs, int requestTimeoutMs) {
        return new ConfigBuilder(base)
                .withRequestRetryBackoffLimit(0)
                .withConnectionTimeout(connectTimeoutMs)
                .withRequestTimeout(requestTimeoutMs)
                .build();
    }
}
