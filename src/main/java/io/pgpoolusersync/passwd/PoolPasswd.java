package io.pgpoolusersync.passwd;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** The content of a pool_passwd file: its lines in order. LF only; the first entry of a user wins. */
public final class PoolPasswd {

    private final List<PoolPasswdLine> lines;

    public PoolPasswd(List<PoolPasswdLine> lines) {
        this.lines = List.copyOf(lines);
    }

    public static PoolPasswd parse(byte[] content) {
        List<PoolPasswdLine> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= content.length; i++) {
            if (i == content.length || content[i] == '\n') {
                if (i > start || i < content.length) {
                    lines.add(PoolPasswdLine.parse(Arrays.copyOfRange(content, start, i)));
                }
                start = i + 1;
            }
        }
        return new PoolPasswd(lines);
    }

    public List<PoolPasswdLine> lines() {
        return lines;
    }

    /** The entry pgpool would use for this user: the first one. */
    public Optional<PoolPasswdLine> entryOf(String user) {
        return lines.stream().filter(line -> user.equals(line.user())).findFirst();
    }

    /** Every line ends with LF, the last one too: pgpool and appenders both expect it. */
    public byte[] render() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(lines.size() * 64);
        for (PoolPasswdLine line : lines) {
            out.writeBytes(line.raw());
            out.write('\n');
        }
        return out.toByteArray();
    }
}
