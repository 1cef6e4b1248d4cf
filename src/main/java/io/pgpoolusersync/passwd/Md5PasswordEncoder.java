package io.pgpoolusersync.passwd;

import java.nio.charset.StandardCharsets;
import org.bouncycastle.crypto.digests.MD5Digest;
import org.bouncycastle.util.encoders.Hex;

/**
 * PostgreSQL's md5 form, {@code md5} + md5hex(password + user). It serves md5 and password logins only,
 * never scram-sha-256.
 */
public final class Md5PasswordEncoder implements PasswordEncoder {

    @Override
    public String encode(String user, String password) {
        byte[] input = (password + user).getBytes(StandardCharsets.UTF_8);
        MD5Digest digest = new MD5Digest();
        digest.update(input, 0, input.length);
        byte[] hash = new byte[digest.getDigestSize()];
        digest.doFinal(hash, 0);
        return "md5" + Hex.toHexString(hash);
    }
}
