package io.pgpoolusersync.bench;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A stand-in for pgpool's PCP port, for the benchmark only: it answers the salt, md5 login and reload
 * packets the way pgpool does (src/pcp_con/pcp_worker.c), checks the login hash, and records when each
 * connection and each reload arrived, so that the benchmark can prove an idle tick sent none. It runs
 * in the orchestrating JVM, not in the JVM being measured.
 */
final class FakePcp implements AutoCloseable {

    private final ServerSocket server;
    private final String user;
    private final String passwordMd5;
    private final List<Long> connections = new ArrayList<>();
    private final List<Long> reloads = new ArrayList<>();
    private final List<String> errors = new ArrayList<>();
    private final Thread acceptor;

    FakePcp(String user, String password) throws IOException {
        this.user = user;
        this.passwordMd5 = md5hex(password.getBytes(StandardCharsets.UTF_8));
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::acceptLoop, "fake-pcp");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    synchronized List<Long> connectionTimes() {
        return List.copyOf(connections);
    }

    synchronized List<Long> reloadTimes() {
        return List.copyOf(reloads);
    }

    synchronized List<String> errors() {
        return List.copyOf(errors);
    }

    /** Reloads that arrived in (from, to], epoch milliseconds. */
    synchronized int reloadsBetween(long from, long to) {
        return (int) reloads.stream().filter(t -> t > from && t <= to).count();
    }

    synchronized int connectionsBetween(long from, long to) {
        return (int) connections.stream().filter(t -> t > from && t <= to).count();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try (Socket socket = server.accept()) {
                synchronized (this) {
                    connections.add(System.currentTimeMillis());
                }
                serve(socket);
            } catch (IOException e) {
                if (!server.isClosed()) {
                    synchronized (this) {
                        errors.add(e.toString());
                    }
                }
            }
        }
    }

    private void serve(Socket socket) throws IOException {
        DataInputStream in = new DataInputStream(socket.getInputStream());
        DataOutputStream out = new DataOutputStream(socket.getOutputStream());
        byte[] salt = new byte[4];
        new SecureRandom().nextBytes(salt);
        boolean authenticated = false;
        while (true) {
            int type;
            byte[] body;
            try {
                type = in.readUnsignedByte();
                int length = in.readInt();
                if (length < 4 || length >= 260) {
                    throw new IOException("bad PCP packet length " + length);
                }
                body = new byte[length - 4];
                in.readFully(body);
            } catch (EOFException e) {
                return;
            }
            switch (type) {
                case 'M' -> send(out, 'm', salt);
                case 'R' -> {
                    String expected = user + "\0" + md5hex(concat(
                            md5hex((passwordMd5 + user).getBytes(StandardCharsets.UTF_8))
                                    .getBytes(StandardCharsets.US_ASCII), salt)) + "\0";
                    if (!expected.equals(new String(body, StandardCharsets.UTF_8))) {
                        send(out, 'E', "SERROR\0MAuthentication failed\0\0".getBytes(StandardCharsets.US_ASCII));
                        return;
                    }
                    authenticated = true;
                    send(out, 'r', "AuthenticationOK\0".getBytes(StandardCharsets.US_ASCII));
                }
                case 'Z' -> {
                    if (!authenticated) {
                        send(out, 'E', "SERROR\0Mnot authenticated\0\0".getBytes(StandardCharsets.US_ASCII));
                        return;
                    }
                    synchronized (this) {
                        reloads.add(System.currentTimeMillis());
                    }
                    send(out, 'z', "CommandComplete\0".getBytes(StandardCharsets.US_ASCII));
                }
                case 'X' -> {
                    return;
                }
                default -> {
                    send(out, 'E', ("SERROR\0Munexpected packet " + (char) type + "\0\0").getBytes(StandardCharsets.US_ASCII));
                    return;
                }
            }
        }
    }

    /** One packet, one write(2), as pgpool's pcp_write + pcp_flush do. */
    private static void send(DataOutputStream out, char type, byte[] body) throws IOException {
        java.nio.ByteBuffer packet = java.nio.ByteBuffer.allocate(5 + body.length);
        packet.put((byte) type).putInt(4 + body.length).put(body);
        out.write(packet.array());
        out.flush();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] all = new byte[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    static String md5hex(byte[] input) {
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
