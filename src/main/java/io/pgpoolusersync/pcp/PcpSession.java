package io.pgpoolusersync.pcp;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.crypto.digests.MD5Digest;
import org.bouncycastle.util.encoders.Hex;

/**
 * One logged-in PCP connection. Packet: a type byte, a big-endian int32 length counting itself, the
 * body; a reply's type is the request's in lower case, or 'E' for an error. Multi-row replies
 * ({@code pcp_proc_info}, {@code pcp_node_info}, {@code pcp_pool_status}) are "ArraySize", then one
 * packet per row, then "CommandComplete".
 */
public final class PcpSession implements AutoCloseable {

    private final Socket socket;
    private final String where;
    private final DataOutputStream out;
    private final DataInputStream in;

    private PcpSession(Socket socket, String where) throws IOException {
        this.socket = socket;
        this.where = where;
        // Buffered, so that each packet leaves in one write: written a field at a time, the length
        // waited for the ACK of the type byte (Nagle against delayed ACK), about 30 ms per packet.
        this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
        this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
    }

    static PcpSession login(Socket socket, String where, String user, String password) throws IOException {
        PcpSession session = new PcpSession(socket, where);
        session.send('M', new byte[0]);
        byte[] salt = session.expect('m', "salt", null);
        if (salt.length < 4) {
            throw new PcpException.Refused("PCP salt reply from " + where + " too short: " + salt.length + " bytes");
        }
        session.send('R', authBody(user, password, salt));
        session.expect('r', "authentication", user);
        return session;
    }

    /** Makes pgpool's main process reread its configuration and signal every child (SIGHUP). */
    public void reload() throws PcpException {
        send('Z', new byte[] {'l'}); // 'l': this pgpool node only
        expect('z', "reload", null);
    }

    /** Every child process, as {@code pcp_proc_info -a} lists them (one row per child). */
    public List<PgpoolChild> children() throws PcpException {
        send('P', cString("0")); // 0: all children
        Map<Integer, PgpoolChild> children = new LinkedHashMap<>();
        for (List<String> row : rows('p', "process info", "ProcessInfo")) {
            PgpoolChild child = PgpoolChild.of(row);
            if (child.pid() > 0) {
                children.putIfAbsent(child.pid(), child); // one row per pool slot and backend
            }
        }
        return List.copyOf(children.values());
    }

    /** Every backend node, as {@code pcp_node_info} lists them. */
    public List<BackendNode> nodes() throws PcpException {
        send('I', cString("-1")); // -1: all nodes
        List<BackendNode> nodes = new ArrayList<>();
        for (List<String> row : rows('i', "node info", "NodeInfo")) {
            nodes.add(BackendNode.of(row));
        }
        return nodes;
    }

    /** pgpool's running configuration ({@code pcp_pool_status}): parameter name to value. */
    public Map<String, String> settings() throws PcpException {
        send('B', new byte[0]);
        Map<String, String> settings = new LinkedHashMap<>();
        for (List<String> row : rows('b', "pool status", "ProcessConfig")) {
            if (row.size() >= 2) {
                settings.put(row.get(0), row.get(1));
            }
        }
        return settings;
    }

    /** Says goodbye ('X', no reply) and closes the connection. */
    @Override
    public void close() {
        try {
            send('X', new byte[0]);
        } catch (PcpException ignored) {
            // pgpool may have closed first
        }
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing more to do
        }
    }

    /** The rows of a multi-row reply, each without its leading record code. */
    private List<List<String>> rows(char type, String step, String rowCode) throws PcpException {
        List<List<String>> rows = new ArrayList<>();
        while (true) {
            byte[] body = expect(type, step, null);
            List<String> fields = fields(body);
            String code = fields.isEmpty() ? "" : fields.get(0);
            if (code.equals("CommandComplete")) {
                return rows;
            }
            if (code.equals(rowCode)) {
                rows.add(fields.subList(1, fields.size()));
            } else if (!code.equals("ArraySize")) {
                throw new PcpException.Refused("unexpected PCP " + step + " record '" + code + "' from " + where);
            }
        }
    }

    /** NUL-terminated strings; the "ArraySize" count of pcp_pool_status is a binary int, skipped here. */
    static List<String> fields(byte[] body) {
        List<String> fields = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < body.length; i++) {
            if (body[i] == 0) {
                fields.add(new String(body, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
                if (fields.size() == 1 && fields.get(0).equals("ArraySize")) {
                    break;
                }
            }
        }
        return fields;
    }

    private void send(char type, byte[] body) throws PcpException {
        try {
            out.writeByte(type);
            out.writeInt(4 + body.length);
            out.write(body);
            out.flush();
        } catch (IOException e) {
            throw new PcpException.Unreachable("lost the PCP connection to " + where + ": " + e, e);
        }
    }

    /** Reads one packet; an 'E' packet becomes a typed error carrying pgpool's message. */
    private byte[] expect(char type, String step, String user) throws PcpException {
        int actual;
        byte[] body;
        try {
            actual = in.readUnsignedByte();
            int length = in.readInt();
            if (length < 4 || length > 1 << 20) {
                throw new PcpException.Refused("PCP " + step + " reply from " + where + " has a bad length " + length);
            }
            body = new byte[length - 4];
            in.readFully(body);
        } catch (EOFException e) {
            throw new PcpException.Refused("pgpool closed the PCP connection at " + where + " during " + step);
        } catch (IOException e) {
            throw new PcpException.Unreachable("lost the PCP connection to " + where + " during " + step + ": " + e, e);
        }
        if (actual == 'E' || actual == 'e') {
            String message = errorMessage(body);
            if (user != null) {
                throw new PcpException.AuthenticationFailed("pgpool at " + where + " refused PCP user " + user + ": " + message);
            }
            throw new PcpException.Refused("pgpool at " + where + " refused the " + step + ": " + message);
        }
        if (actual != type) {
            throw new PcpException.Refused("unexpected PCP reply '" + (char) actual + "' from " + where + " during " + step);
        }
        return body;
    }

    /** Error fields are a type byte then NUL-terminated text; 'M' holds the message, 'D' the detail. */
    static String errorMessage(byte[] body) {
        int i = 0;
        String message = null;
        String detail = null;
        while (i < body.length && body[i] != 0) {
            char field = (char) body[i++];
            int end = i;
            while (end < body.length && body[end] != 0) {
                end++;
            }
            String value = new String(body, i, end - i, StandardCharsets.UTF_8);
            if (field == 'M') {
                message = value;
            } else if (field == 'D') {
                detail = value;
            }
            i = end + 1;
        }
        if (message == null) {
            return new String(body, StandardCharsets.UTF_8).replace('\0', ' ').trim();
        }
        return detail == null || detail.isEmpty() ? message : message + " (" + detail + ")";
    }

    /** {@code user\0} + md5hex(md5hex(md5hex(password) + user) + salt) + {@code \0}. */
    private static byte[] authBody(String user, String password, byte[] salt) {
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

    private static byte[] cString(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[bytes.length + 1];
        System.arraycopy(bytes, 0, out, 0, bytes.length);
        return out;
    }

    private static String md5hex(byte[] input) {
        MD5Digest digest = new MD5Digest();
        digest.update(input, 0, input.length);
        byte[] hash = new byte[digest.getDigestSize()];
        digest.doFinal(hash, 0);
        return Hex.toHexString(hash);
    }
}
