package io.pgpoolusersync.it;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * pgpool's PCP port for the 10k benchmark, where no real pgpool runs: md5 login, process info ('P': four
 * children, always waiting for a client, so that a reload makes them current as an idle pgpool's do),
 * node info ('I': one backend whose status changed when this fake started, i.e. "pgpool started after
 * the key file was written"), pool status ('B') and reload ('Z'). Byte layout as PcpSession reads it
 * (pgpool2 src/pcp_con/pcp_worker.c); one write per packet, as pgpool does. Counts connections and
 * reloads.
 */
final class FakePcp implements AutoCloseable {

    private static final int CHILDREN = 4;

    private final ServerSocket server;
    private final String user;
    private final String passwordMd5;
    private final String started = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss"));
    private final long startedEpoch = System.currentTimeMillis() / 1000;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger reloads = new AtomicInteger();

    FakePcp(String user, String password) throws IOException {
        this.user = user;
        this.passwordMd5 = md5hex(password.getBytes(UTF_8));
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "fake-pcp");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    int connections() {
        return connections.get();
    }

    int reloads() {
        return reloads.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try (Socket socket = server.accept()) {
                connections.incrementAndGet();
                serve(new DataInputStream(new BufferedInputStream(socket.getInputStream())), socket.getOutputStream());
            } catch (IOException e) {
                // a client that went away; the next one is served
            }
        }
    }

    private void serve(DataInputStream in, OutputStream out) throws IOException {
        byte[] salt = {1, 2, 3, 4};
        boolean authenticated = false;
        while (true) {
            int type;
            byte[] body;
            try {
                type = in.readUnsignedByte();
                body = new byte[in.readInt() - 4];
                in.readFully(body);
            } catch (EOFException e) {
                return;
            }
            if (type == 'X') {
                return;
            }
            if (type == 'M') {
                send(out, 'm', salt);
                continue;
            }
            if (type == 'R') {
                String twice = md5hex((passwordMd5 + user).getBytes(UTF_8));
                byte[] salted = ByteBuffer.allocate(36).put(twice.getBytes(US_ASCII)).put(salt).array();
                authenticated = new String(body, UTF_8).equals(user + "\0" + md5hex(salted) + "\0");
                send(out, authenticated ? 'r' : 'E', fields(authenticated ? "AuthenticationOK" : "MAuthentication failed"));
                if (!authenticated) {
                    return;
                }
                continue;
            }
            if (!authenticated) {
                send(out, 'E', fields("Mnot authenticated"));
                return;
            }
            switch (type) {
                case 'Z' -> {
                    reloads.incrementAndGet();
                    send(out, 'z', fields("CommandComplete"));
                }
                case 'P' -> {
                    send(out, 'p', fields("ArraySize", Integer.toString(CHILDREN)));
                    for (int i = 0; i < CHILDREN; i++) {
                        // pid, start time, sessions done, 13 fields the client skips, status (17th)
                        String[] row = new String[18];
                        java.util.Arrays.fill(row, "0");
                        row[0] = "ProcessInfo";
                        row[1] = Integer.toString(40_000 + i);
                        row[2] = started;
                        row[17] = "Wait for connection";
                        send(out, 'p', fields(row));
                    }
                    send(out, 'p', fields("CommandComplete"));
                }
                case 'I' -> {
                    send(out, 'i', fields("ArraySize", "1"));
                    send(out, 'i', fields("NodeInfo", "127.0.0.1", "5432", "2", "1.0", "up", "primary",
                            Long.toString(startedEpoch)));
                    send(out, 'i', fields("CommandComplete"));
                }
                case 'B' -> {
                    List<String[]> settings = List.of(new String[] {"enable_pool_hba", "1"},
                            new String[] {"pool_passwd", "pool_passwd"});
                    send(out, 'b', fields("ArraySize", Integer.toString(settings.size())));
                    for (String[] s : settings) {
                        send(out, 'b', fields("ProcessConfig", s[0], s[1], ""));
                    }
                    send(out, 'b', fields("CommandComplete"));
                }
                default -> {
                    send(out, 'E', fields("Munexpected packet " + (char) type));
                    return;
                }
            }
        }
    }

    private static byte[] fields(String... fields) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (String f : fields) {
            body.writeBytes(f.getBytes(UTF_8));
            body.write(0);
        }
        return body.toByteArray();
    }

    /** One packet, one write(2). */
    private static void send(OutputStream out, char type, byte[] body) throws IOException {
        out.write(ByteBuffer.allocate(5 + body.length).put((byte) type).putInt(4 + body.length).put(body).array());
        out.flush();
    }

    private static String md5hex(byte[] input) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(input));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
