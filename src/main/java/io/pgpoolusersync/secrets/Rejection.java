package io.pgpoolusersync.secrets;

/**
 * A Secret that does not become a pgpool user, with the reason. {@code user} is the user name when it
 * could be read; {@code detail} never holds a password.
 */
public record Rejection(SecretRef source, RejectReason reason, String detail, String user) {

    @Override
    public String toString() {
        return "Secret " + source + " rejected (" + reason + "): " + detail;
    }
}
