package io.pgpoolusersync.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Secret manifests in a folder, as a GitOps checkout holds them: one file per user. */
final class SecretManifests {

    private SecretManifests() {
    }

    /** One Secret manifest per user, written atomically (a tick never reads half a file). */
    static void put(Path folder, String namespace, String postgres, String user, String password) throws IOException {
        String yaml = String.join("\n",
                "apiVersion: v1",
                "kind: Secret",
                "metadata:",
                "  name: " + user + "-auth",
                "  namespace: " + namespace,
                "  labels:",
                "    app.kubernetes.io/instance: " + postgres,
                "    app.kubernetes.io/name: postgreses.kubedb.com",
                "stringData:",
                "  username: \"" + user + "\"",
                "  password: \"" + password + "\"",
                "");
        Path temp = folder.resolve("." + user + ".tmp");
        Files.writeString(temp, yaml, StandardCharsets.UTF_8);
        Files.move(temp, folder.resolve(user + ".yaml"), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }
}
