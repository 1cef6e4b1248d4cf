package io.pgpoolusersync.secrets;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Why a Secret does not become a pgpool user. pgpool validates nothing, so we do. The built-in reasons
 * are constants; a policy of a route adds its own ({@link #of}, e.g. {@code RESERVED_USERNAME}), which
 * then goes the same way: log, metric label, Event reason.
 */
public final class RejectReason implements Comparable<RejectReason> {

    public static final RejectReason INVALID_NAME = new RejectReason("INVALID_NAME");
    public static final RejectReason MISSING_USERNAME = new RejectReason("MISSING_USERNAME");
    public static final RejectReason AMBIGUOUS_USERNAME = new RejectReason("AMBIGUOUS_USERNAME");
    public static final RejectReason MISSING_PASSWORD = new RejectReason("MISSING_PASSWORD");
    public static final RejectReason NOT_STRING = new RejectReason("NOT_STRING");
    public static final RejectReason NOT_BASE64 = new RejectReason("NOT_BASE64");
    public static final RejectReason NOT_UTF8 = new RejectReason("NOT_UTF8");
    public static final RejectReason CONTROL_CHARACTER = new RejectReason("CONTROL_CHARACTER");
    public static final RejectReason USERNAME_TOO_LONG = new RejectReason("USERNAME_TOO_LONG");
    public static final RejectReason PASSWORD_TOO_LONG = new RejectReason("PASSWORD_TOO_LONG");
    public static final RejectReason DUPLICATE_USERNAME = new RejectReason("DUPLICATE_USERNAME");
    public static final RejectReason UNMANAGED_USERNAME = new RejectReason("UNMANAGED_USERNAME");

    private static final List<RejectReason> BUILT_IN = List.of(INVALID_NAME, MISSING_USERNAME,
            AMBIGUOUS_USERNAME, MISSING_PASSWORD, NOT_STRING, NOT_BASE64, NOT_UTF8, CONTROL_CHARACTER, USERNAME_TOO_LONG, PASSWORD_TOO_LONG,
            DUPLICATE_USERNAME, UNMANAGED_USERNAME);
    /** Upper snake case: one spelling in logs, metric labels, Event reasons and the README. */
    private static final Pattern NAME = Pattern.compile("[A-Z][A-Z0-9]*(_[A-Z0-9]+)*");

    private final String name;

    private RejectReason(String name) {
        this.name = name;
    }

    /** The built-in reasons. */
    public static List<RejectReason> values() {
        return BUILT_IN;
    }

    /** A reason of a route's own, such as {@code RESERVED_USERNAME}; a built-in name gives the built-in. */
    public static RejectReason of(String name) {
        for (RejectReason reason : BUILT_IN) {
            if (reason.name.equals(name)) {
                return reason;
            }
        }
        if (name == null || !NAME.matcher(name).matches() || name.length() > 63) {
            throw new IllegalArgumentException("reject reason '" + name
                    + "' is not upper snake case such as RESERVED_USERNAME");
        }
        return new RejectReason(name);
    }

    public boolean builtIn() {
        return BUILT_IN.contains(this);
    }

    public String name() {
        return name;
    }

    @Override
    public int compareTo(RejectReason other) {
        return name.compareTo(other.name);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RejectReason other && name.equals(other.name);
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }

    @Override
    public String toString() {
        return name;
    }
}
