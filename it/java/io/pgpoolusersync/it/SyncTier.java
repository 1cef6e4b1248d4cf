package io.pgpoolusersync.it;

import io.fabric8.kubernetes.api.model.Secret;
import java.sql.SQLException;
import java.time.Duration;

/**
 * One deployment of the sync under test, as the shared scenarios ({@link UserLifecycleScenarios}) see it:
 * a Kubernetes API to put Secrets in, a PostgreSQL to run SQL on, a pgpool to log in through.
 */
interface SyncTier {

    /** Creates or replaces a Secret in the sync's namespace, as {@code kubectl apply} does. */
    void putSecret(Secret secret);

    void deleteSecret(String name);

    /** Runs one statement as the PostgreSQL superuser; returns the first column of the first row, or null. */
    String sqlAsAdmin(String sql) throws SQLException;

    /** One login through pgpool (see {@link Login} for what counts as refused). */
    Login login(String user, String password) throws SQLException;

    Login loginAsAdmin() throws SQLException;

    /** How long a Secret change may take to reach every login on this tier. */
    Duration syncWithin();
}
