package io.pgpoolusersync.it;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A TCP relay in front of pgpool's client port for one connection, which a client's authentication
 * stalls in: it forwards the client's startup packet, then holds every further byte from the client
 * (its answer to pgpool's password request) until {@link #release()}. pgpool's bytes flow freely, so
 * the client has its password request and answers; pgpool waits. A slow client, or one that stalls on
 * purpose, does the same.
 */
final class StallingRelay implements AutoCloseable {

    private final int targetPort;
    private final ServerSocket server;
    private final CountDownLatch passwordRequested = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);
    private final AtomicBoolean pgpoolClosed = new AtomicBoolean();
    private volatile int authRequest = -1;
    private volatile Socket client;
    private volatile Socket upstream;

    StallingRelay(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::relay, "stalling-relay");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /** Waits until pgpool has asked the client for its password; returns the request's code (10: SASL). */
    int awaitPasswordRequest(long seconds) throws InterruptedException {
        if (!passwordRequested.await(seconds, TimeUnit.SECONDS)) {
            throw new IllegalStateException("pgpool did not ask for a password within " + seconds + " s");
        }
        return authRequest;
    }

    /** Lets the client's answer through. */
    void release() {
        released.countDown();
    }

    /** pgpool closed its end (an authentication timeout would). */
    boolean pgpoolClosed() {
        return pgpoolClosed.get();
    }

    private void relay() {
        try {
            client = server.accept();
            upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
            Thread down = new Thread(this::pgpoolToClient, "stalling-relay-down");
            down.setDaemon(true);
            down.start();
            DataInputStream in = new DataInputStream(client.getInputStream());
            OutputStream out = upstream.getOutputStream();
            int length = in.readInt(); // the startup packet: length (counting itself), then its body
            byte[] body = new byte[length - 4];
            in.readFully(body);
            out.write(new byte[] {(byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length});
            out.write(body);
            out.flush();
            released.await();
            in.transferTo(out);
        } catch (IOException | InterruptedException e) {
            // the test closed the relay, or a side hung up
        } finally {
            closeQuietly();
        }
    }

    private void pgpoolToClient() {
        try {
            DataInputStream in = new DataInputStream(upstream.getInputStream());
            OutputStream out = client.getOutputStream();
            byte type = in.readByte();
            int length = in.readInt();
            byte[] body = new byte[length - 4];
            in.readFully(body);
            if (type == 'R' && body.length >= 4) {
                authRequest = ((body[0] & 0xff) << 24) | ((body[1] & 0xff) << 16) | ((body[2] & 0xff) << 8) | (body[3] & 0xff);
            }
            out.write(type);
            out.write(new byte[] {(byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length});
            out.write(body);
            out.flush();
            passwordRequested.countDown();
            InputStream rest = in;
            rest.transferTo(out);
            pgpoolClosed.set(true);
        } catch (IOException e) {
            pgpoolClosed.set(true);
        }
    }

    private void closeQuietly() {
        for (Socket s : new Socket[] {client, upstream}) {
            if (s != null) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        released.countDown();
        server.close();
        closeQuietly();
    }
}
