package io.pgpoolusersync.passwd;

import java.io.IOException;

/** Where the AES key text comes from: the key file itself, or the key pgpool is known to hold. */
@FunctionalInterface
public interface KeySource {

    /** The key text: the key file's first line, as pgpool reads it. */
    byte[] key() throws IOException;
}
