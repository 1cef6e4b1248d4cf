package io.pgpoolusersync.secrets;

import io.pgpoolusersync.passwd.Password;

/** A valid user declared by a Secret. Its password is a {@link Password}: no route step can read it. */
public record UserCredential(String user, Password password, SecretRef source) {

    @Override
    public String toString() {
        return "UserCredential[user=" + user + ", source=" + source + "]";
    }
}
