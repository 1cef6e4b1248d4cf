package io.pgpoolusersync.secrets;

/** A valid user declared by a Secret. Its password never appears in {@link #toString()}. */
public record UserCredential(String user, String password, SecretRef source) {

    @Override
    public String toString() {
        return "UserCredential[user=" + user + ", source=" + source + "]";
    }
}
