package io.pgpoolusersync.pcp;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.bouncycastle.crypto.digests.MD5Digest;
import org.bouncycastle.util.encoders.Hex;

/**
 * The part of pgpool's PCP protocol we need: md5 login and reload (what {@code pcp_reload_config}
 * does). No Java library speaks PCP. Packet: a type byte, a big-endian int32 length counting itself,
 * the body. Source: pgpool2 src/libs/pcp/pcp.c and src/pcp_con/pcp_worker.c.
 */
public final class PcpClient {

    private final String host;
    private final int port;
    private final String user;
    private final String password;
    private final int timeoutMillis;

    public PcpClient(String host, int port, String user, String password, Duration timeout) {
        this.host = host;
        this.port = port;
        this.user = user;
        this.password = password;
        this.timeoutMillis = (int) timeout.toMillis();
    }

    /** Makes pgpool reread its configuration; every child reopens pool_passwd at its next connection. */
    public void reload() throws PcpException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            // Buffered, so that each packet leaves in one write: written a field at a time, the length
            // waited for the ACK of the type byte (Nagle against delayed ACK), about 30 ms per packet.
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));

            send(out, 'M', new byte[0]);
            byte[] salt = expect(in, 'm', "salt");
            if (salt.length < 4) {
                throw new PcpException.Refused("PCP salt reply too short: " + salt.length + " bytes");
            }
            send(out, 'R', authBody(salt));
            expect(in, 'r', "authentication");

            send(out, 'Z', new byte[] {'l'}); // 'l': this pgpool node only
            expect(in, 'z', "reload");
            send(out, 'X', new byte[0]);
        } catch (PcpException e) {
            throw e;
        } catch (IOException e) {
            throw new PcpException.Unreachable("cannot reach pgpool PCP at " + host + ":" + port + ": " + e, e);
        }
    }

    /** {@code user\0} + md5hex(md5hex(md5hex(password) + user) + salt) + {@code \0}. */
    private byte[] authBody(byte[] salt) {
        String once = md5hex(password.getBytes(StandardCharsets.UTF_8));
        String twice = md5hex((once + user).getBytes(StandardCharsets.UTF_8));
        ByteArrayOutputStream salted = new ByteArrayOutputStream();
        salted.writeBytes(twice.getBytes(StandardCharsets.US_ASCII));
        salted.write(salt, 0, 4);
        String hash = md5hex(salted.toByteArray());
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(user.getBytes(StandardCharsets.UTF_8));
        body.write(0);
        body.writeBytes(hash.getBytes(StandardCharsets.US_ASCII));
        body.write(0);
        return body.toByteArray();
    }

    private static void send(DataOutputStream out, char type, byte[] body) throws IOException {
        out.writeByte(type);
        out.writeInt(4 + body.length);
        out.write(body);
        out.flush();
    }

    /** Reads one packet; an 'E' packet becomes a typed error carrying pgpool's message. */
    private byte[] expect(DataInputStream in, char type, String step) throws IOException {
        int actual;
        byte[] body;
        try {
            actual = in.readUnsignedByte();
            int length = in.readInt();
            if (length < 4 || length > 1 << 20) {
                throw new PcpException.Refused("PCP " + step + " reply has a bad length " + length);
            }
            body = new byte[length - 4];
            in.readFully(body);
        } catch (EOFException e) {
            throw new PcpException.Refused("pgpool closed the PCP connection during " + step);
        }
        if (actual == 'E' || actual == 'e') {
            String message = errorMessage(body);
            if (step.equals("authentication")) {
                throw new PcpException.AuthenticationFailed("pgpool refused PCP user " + user + ": " + message);
            }
            throw new PcpException.Refused("pgpool refused the " + step + ": " + message);
        }
        if (actual != type) {
            throw new PcpException.Refused("unexpected PCP reply '" + (char) actual + "' during " + step);
        }
        return body;
    }

    /** Error fields are a type byte then NUL-terminated text; 'M' holds the message. */
    static String errorMessage(byte[] body) {
        int i = 0;
        String message = null;
        while (i < body.length && body[i] != 0) {
            char field = (char) body[i++];
            int end = i;
            while (end < body.length && body[end] != 0) {
                end++;
            }
            String value = new String(body, i, end - i, StandardCharsets.UTF_8);
            if (field == 'M') {
                message = value;
            }
            i = end + 1;
        }
        return message != null ? message : new String(body, StandardCharsets.UTF_8).replace('\0', ' ').trim();
    }

    private static String md5hex(byte[] input) {
        MD5Digest digest = new MD5Digest();
        digest.update(input, 0, input.length);
        byte[] hash = new byte[digest.getDigestSize()];
        digest.doFinal(hash, 0);
        return Hex.toHexString(hash);
    }
}
