package io.pgpoolusersync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The extensions folder: a route using a component that is not in the jar loads once the component's
 * jar is in the folder. camel-mock (copied by the build into test-extensions/, not on the classpath) is
 * the component.
 */
class ExtensionsTest {

    @TempDir
    Path dir;

    @Test
    void aRouteUsingAComponentFromAnExtensionJarLoads() throws IOException {
        assertThrows(ClassNotFoundException.class, () -> Class.forName("org.apache.camel.component.mock.MockComponent"),
                "camel-mock must not be on the test classpath");
        Path routes = Files.createDirectories(dir.resolve("routes"));
        Files.writeString(routes.resolve("policy.camel.yaml"), """
                - route:
                    id: policy
                    from:
                      uri: direct:policy
                      steps:
                        - to: mock:declared-users
                """);
        Path extensions = Files.createDirectories(dir.resolve("extensions"));
        Files.copy(Path.of("examples/pool_passwd"), dir.resolve("pool_passwd"));
        String[] args = {"--once", "--manifests", "examples/secrets", "--namespace", "demo",
            "--postgres-name", "ha-postgres", "--pool-passwd", dir.resolve("pool_passwd").toString(),
            "--key-file", "examples/pgpoolkey", "--routes-dir", routes.toString(),
            "--extensions-dir", extensions.toString()};

        assertEquals(2, Main.run(args, Map.of()), "without the jar: No endpoint could be found for mock:");

        Path testExtensions = Path.of(System.getProperty("test.extensions", "target/test-extensions"));
        try (var jars = Files.list(testExtensions)) {
            for (Path jar : jars.toList()) {
                Files.copy(jar, extensions.resolve(jar.getFileName()));
            }
        }
        assertEquals(0, Main.run(args, Map.of()), "with it, the route loads and the tick runs through it");
    }
}
