package io.pgpoolusersync.tick;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.MalformedInputException;
import java.nio.file.AccessDeniedException;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

/** A failed tick says what failed, where, and the root cause, in one line. */
class ErrorTextTest {

    private static String failedTick(Throwable error) {
        SyncStatus status = new SyncStatus();
        Exchange exchange = new DefaultExchange(new DefaultCamelContext());
        exchange.setProperty(Exchange.EXCEPTION_CAUGHT, error);
        new TickReport(status, null, rejection -> { }, java.time.Duration.ofMinutes(10)).failed(exchange);
        return status.lastError();
    }

    @Test
    void anUnreachableApiServerGivesTheRootCauseNotAnErrorHasOccurred() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort(); // closed again: nothing listens there
        }
        KubernetesClientException error;
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(new ConfigBuilder()
                .withMasterUrl("http://127.0.0.1:" + port).withRequestRetryBackoffLimit(0).build()).build()) {
            error = assertThrows(KubernetesClientException.class,
                    () -> client.secrets().inNamespace("demo").list());
        }
        String text = failedTick(error);
        assertTrue(text.contains("Connection refused"), text);
        assertTrue(text.contains("127.0.0.1") || text.contains(Integer.toString(port)), "where: " + text);
        assertFalse(text.lines().count() > 1, text);
    }

    @Test
    void fileErrorsSayWhatWentWrongNotOnlyThePath() {
        String denied = failedTick(new IOException("cannot replace pool_passwd",
                new AccessDeniedException("/var/lib/pgpool/.pool_passwd.123.tmp")));
        assertTrue(denied.contains("permission denied") && denied.contains("/var/lib/pgpool"), denied);

        String charset = failedTick(new IOException(new MalformedInputException(1)));
        assertTrue(charset.contains("UTF-8") && !charset.contains("Input length"), charset);
    }
}
