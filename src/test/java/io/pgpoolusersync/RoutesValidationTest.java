package io.pgpoolusersync;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The build's check of the routes (Camel's YAML DSL validator plugin is not served to this build): every
 * routes/*.camel.yaml and examples/routes/*.camel.yaml is loaded and started by the application itself,
 * in a cluster (fabric8 Kubernetes mock, CRUD mode) and on a manifest folder, so that a step, endpoint,
 * expression or bean that does not resolve fails `mvn verify` with its file and line (RouteFailure).
 */
@EnableKubernetesMockClient(crud = true)
class RoutesValidationTest {

    KubernetesClient client;

    @TempDir
    Path dir;

    @AfterEach
    void clearUrl() {
        System.clearProperty("webhook.url");
    }

    @Test
    void everyRouteFileLoadsAndStartsInBothSources() throws Exception {
        Path routes = Files.createDirectories(dir.resolve("routes"));
        List<Path> files = routeFiles();
        assertTrue(files.size() >= 6, files.toString());
        for (Path file : files) {
            Files.copy(file, routes.resolve(file.getFileName()));
        }
        System.setProperty("webhook.url", "http://127.0.0.1:9/unused");
        Files.writeString(dir.resolve("key"), "pgpool secret key\n");
        for (boolean cluster : List.of(true, false)) {
            Map<String, String> flags = new java.util.HashMap<>(Map.of("namespace", "demo", "postgres-name",
                    "ha-postgres", "pool-passwd", dir.resolve("pool_passwd").toString(), "key-file",
                    dir.resolve("key").toString(), "period", "1h", "routes-dir", routes.toString(),
                    "management-port", "0"));
            if (!cluster) {
                flags.put("manifests", "examples/secrets");
            }
            try (SyncApplication app = new SyncApplication(Settings.load(flags, Map.of()), cluster ? client : null)) {
                app.start(); // throws RouteFailure with file and line when a route does not load
                await().atMost(Duration.ofSeconds(30)).until(() -> app.status().ticksEnded() >= 1);
                assertEquals(null, app.status().lastError(), cluster ? "cluster" : "manifests");
            }
        }
    }

    private static List<Path> routeFiles() throws IOException {
        try (Stream<Path> core = Files.list(Path.of("routes")); Stream<Path> examples = Files.list(Path.of("examples/routes"))) {
            return Stream.concat(core, examples).filter(f -> f.toString().endsWith(".camel.yaml")).sorted().toList();
        }
    }
}
