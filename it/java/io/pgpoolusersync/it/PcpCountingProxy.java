package io.pgpoolusersync.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay in front of pgpool's PCP port that counts the connections made through it: the app opens
 * one PCP connection per reload, so this counts reload attempts without trusting the app's own report.
 * When pgpool does not listen, the relay resets the client's connection, which the client sees as an
 * unreachable pgpool, as it would without the relay.
 */
final class PcpCountingProxy implements AutoCloseable {

    private final int targetPort;
    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "pcp-proxy");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger forwarded = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();

    PcpCountingProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.execute(this::acceptLoop);
    }

    int port() {
        return server.getLocalPort();
    }

    /** Connections relayed to pgpool. */
    int forwarded() {
        return forwarded.get();
    }

    /** Connections reset because pgpool did not accept them (stopped). */
    int refused() {
        return refused.get();
    }

    /** Every connection attempt the app made. */
    int connections() {
        return forwarded() + refused();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            threads.execute(() -> relay(client));
        }
    }

    private void relay(Socket client) {
        Socket upstream = new Socket();
        try {
            upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 2000);
        } catch (IOException e) {
            refused.incrementAndGet();
            try {
                client.setSoLinger(true, 0); // RST, like a closed port
                client.close();
                upstream.close();
            } catch (IOException ignored) {
                // nothing left to do
            }
            return;
        }
        forwarded.incrementAndGet();
        threads.execute(() -> pump(upstream, client));
        pump(client, upstream);
    }

    /** Copies until either side ends, then closes both. */
    private static void pump(Socket from, Socket to) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException ignored) {
            // one side went away
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
    }
}
