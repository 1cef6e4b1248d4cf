package io.pgpoolusersync.secrets;

import java.util.List;

/**
 * What the Secrets of one tick declare: the valid claims (one user name may appear in several, settled
 * by the store against its ownership record), and the Secrets rejected with a reason.
 */
public record DeclaredUsers(List<UserCredential> users, List<Rejection> rejections) {

    public DeclaredUsers {
        users = List.copyOf(users);
        rejections = List.copyOf(rejections);
    }
}
