package io.pgpoolusersync.secrets;

/** Why a Secret does not become a pgpool user. pgpool validates nothing, so we do. */
public enum RejectReason {
    INVALID_NAME,
    MISSING_USERNAME,
    AMBIGUOUS_USERNAME,
    MISSING_PASSWORD,
    NOT_STRING,
    NOT_BASE64,
    NOT_UTF8,
    CONTROL_CHARACTER,
    USERNAME_TOO_LONG,
    PASSWORD_TOO_LONG,
    DUPLICATE_USERNAME,
    UNMANAGED_USERNAME;

    /** The Prometheus/event form: {@code PASSWORD_TOO_LONG} -> {@code PasswordTooLong}. */
    public String camelCase() {
        StringBuilder out = new StringBuilder();
        for (String word : name().split("_")) {
            out.append(word.charAt(0)).append(word.substring(1).toLowerCase(java.util.Locale.ROOT));
        }
        return out.toString();
    }
}
