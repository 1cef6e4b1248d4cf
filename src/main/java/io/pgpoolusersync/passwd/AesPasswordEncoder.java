package io.pgpoolusersync.passwd;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.bouncycastle.crypto.BufferedBlockCipher;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.digests.SHA1Digest;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.generators.OpenSSLPBEParametersGenerator;
import org.bouncycastle.crypto.modes.CBCBlockCipher;
import org.bouncycastle.crypto.paddings.PKCS7Padding;
import org.bouncycastle.crypto.paddings.PaddedBufferedBlockCipher;
import org.bouncycastle.crypto.params.ParametersWithIV;

/**
 * What {@code pg_enc} writes: AES-256-CBC with key and IV from OpenSSL's EVP_BytesToKey (SHA-1, no salt,
 * one iteration) over the key-file text, PKCS#7 padding, Base64, prefixed {@code AES}. The IV depends on
 * the key only, so the same password always gives the same entry.
 */
public final class AesPasswordEncoder implements PasswordEncoder {

    /** A 79-byte plaintext pads to 80 bytes, 108 Base64 characters: the last size under pgpool's 128. */
    public static final int MAX_PASSWORD_BYTES = 79;

    /**
     * Initialised once: the AES key schedule is computed here, not per entry. {@code doFinal} puts the
     * cipher back to its initialised state (the IV again), so every entry is encrypted from the same
     * start, as a fresh cipher would; {@link #encode} is synchronized because of that shared state.
     */
    private final BufferedBlockCipher cipher;

    public AesPasswordEncoder(byte[] keyText) {
        // BouncyCastle's OpenSSL generator is EVP_BytesToKey with one iteration; an empty salt means none.
        OpenSSLPBEParametersGenerator generator = new OpenSSLPBEParametersGenerator(new SHA1Digest());
        generator.init(keyText.clone(), new byte[0]);
        ParametersWithIV keyAndIv = (ParametersWithIV) generator.generateDerivedParameters(256, 128);
        this.cipher = new PaddedBufferedBlockCipher(CBCBlockCipher.newInstance(AESEngine.newInstance()),
                new PKCS7Padding());
        cipher.init(true, keyAndIv);
    }

    @Override
    public synchronized String encode(String user, String password) {
        byte[] plain = password.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[cipher.getOutputSize(plain.length)];
        int length;
        try {
            length = cipher.processBytes(plain, 0, plain.length, out, 0);
            length += cipher.doFinal(out, length);
        } catch (InvalidCipherTextException e) {
            throw new IllegalStateException("AES padding failed", e); // cannot happen when encrypting
        } finally {
            cipher.reset(); // back to the IV, whatever happened (doFinal does it too)
        }
        return "AES" + Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(out, length));
    }
}
