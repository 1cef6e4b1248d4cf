package io.pgpoolusersync.pcp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/**
 * Where pgpool's PCP listens and who we are there. Each {@link #open} is one TCP connection, logged in
 * with md5; the password is asked for at every connection, so that a rotated or corrected password
 * file is used without a restart. No Java library speaks PCP (pgpool2 src/libs/pcp/pcp.c and
 * src/pcp_con/pcp_worker.c are the reference).
 */
public final class PcpClient {

    /** The PCP password, read when a connection is opened. */
    @FunctionalInterface
    public interface Password {
        String get() throws IOException;
    }

    private final String host;
    private final int port;
    private final String user;
    private final Password password;
    private final int timeoutMillis;

    public PcpClient(String host, int port, String user, Password password, Duration timeout) {
        this.host = host;
        this.port = port;
        this.user = user;
        this.password = password;
        this.timeoutMillis = (int) timeout.toMillis();
    }

    /** Connects and logs in; the caller closes the session (one connection). */
    public PcpSession open() throws PcpException {
        String secret;
        try {
            secret = password.get();
        } catch (IOException e) {
            throw new PcpException.AuthenticationFailed("no PCP password for user " + user + ": " + e.getMessage());
        }
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(host, port), timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            socket.setTcpNoDelay(true);
            return PcpSession.login(socket, where(), user, secret);
        } catch (PcpException e) {
            closeQuietly(socket);
            throw e;
        } catch (IOException e) {
            closeQuietly(socket);
            throw new PcpException.Unreachable("cannot reach pgpool PCP at " + where() + ": " + e, e);
        }
    }

    /** One connection that only reloads: what {@code pcp_reload_config} does. */
    public void reload() throws PcpException {
        try (PcpSession session = open()) {
            session.reload();
        }
    }

    public String where() {
        return host + ":" + port;
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // the connection is being abandoned anyway
        }
    }
}
