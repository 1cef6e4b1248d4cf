package io.pgpoolusersync.it;

import java.sql.Connection;
import java.sql.SQLException;

/** The outcome of one login through pgpool, and the one place that says what a refused login is. */
enum Login {
    OK, AUTH_FAILED;

    /** How a test opens a connection. */
    interface Connect {
        Connection open() throws SQLException;
    }

    /** OK, or AUTH_FAILED for refused credentials; any other error (pgpool down, a tunnel) is thrown. */
    static Login attempt(Connect connect) throws SQLException {
        try (Connection c = connect.open()) {
            if (!c.isValid(5)) {
                throw new SQLException("connection opened but not valid");
            }
            return OK;
        } catch (SQLException e) {
            if (isAuthFailure(e)) {
                return AUTH_FAILED;
            }
            throw e;
        }
    }

    /**
     * PostgreSQL refuses credentials with SQLSTATE class 28 (28P01 wrong password, 28000 no such role or
     * no pg_hba line). pgpool refuses with XX000 and "... authentication failed" (measured with 4.3.5:
     * "SCRAM authentication failed" for a user without a pool_passwd entry, "authentication failed" for
     * a wrong password). Nothing else counts: a message that merely mentions a password is an error.
     */
    static boolean isAuthFailure(SQLException e) {
        String state = e.getSQLState();
        if (state != null && state.startsWith("28")) {
            return true;
        }
        return "XX000".equals(state) && String.valueOf(e.getMessage()).contains("authentication failed");
    }
}
