package io.pgpoolusersync.pcp;

import java.io.IOException;

/** A PCP call failed. Subclasses say whether pgpool was unreachable, refused us, or spoke nonsense. */
public class PcpException extends IOException {

    public PcpException(String message, Throwable cause) {
        super(message, cause);
    }

    /** pgpool is not listening, or the connection broke. */
    public static final class Unreachable extends PcpException {
        public Unreachable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** pgpool refused the PCP user or password. */
    public static final class AuthenticationFailed extends PcpException {
        public AuthenticationFailed(String message) {
            super(message, null);
        }
    }

    /** pgpool answered with an error, or with bytes that are not the expected reply. */
    public static final class Refused extends PcpException {
        public Refused(String message) {
            super(message, null);
        }
    }
}
