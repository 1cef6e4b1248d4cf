package io.pgpoolusersync.secrets;

/**
 * Why a Secret does not become a pgpool user. pgpool validates nothing, so we do. The name is the one
 * spelling everywhere: log, metric label, Event reason, README.
 */
public enum RejectReason {
    MISSING_USERNAME,
    AMBIGUOUS_USERNAME,
    MISSING_PASSWORD,
    NOT_BASE64,
    NOT_UTF8,
    CONTROL_CHARACTER,
    USERNAME_TOO_LONG,
    PASSWORD_TOO_LONG,
    DUPLICATE_USERNAME,
    UNMANAGED_USERNAME
}
