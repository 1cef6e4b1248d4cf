package io.pgpoolusersync.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Renders kustomizations with the real {@code kubectl kustomize} and navigates the objects it prints.
 * There is no fallback: without a kubectl whose kustomize can build components the tests fail and say
 * what to install.
 */
final class Kustomize {

    /** Components, `labels` and regex patch targets are used; tested with kustomize v5.5. */
    static final int MIN_KUSTOMIZE_MAJOR = 5;

    static final String INSTALL_HINT = "Install kubectl with kustomize v" + MIN_KUSTOMIZE_MAJOR
            + " or newer (kubectl 1.27+): on the project's machine image it is the `kubectl` package"
            + " (v1.32, kustomize v5.5). Debian 12's package kubernetes-client (kubectl 1.20, kustomize v2)"
            + " is too old: it cannot build `components` (\"json: unknown field \\\"components\\\"\").";

    private static final long TIMEOUT_SECONDS = 120;

    private Kustomize() {
    }

    /** The project folder (Surefire's basedir), where pom.xml, kustomize/ and routes/ are. */
    static Path projectDir() {
        Path dir = Paths.get(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
        assertTrue(Files.isRegularFile(dir.resolve("pom.xml")) && Files.isDirectory(dir.resolve("kustomize")),
                "not the project folder (no pom.xml and kustomize/): " + dir);
        return dir;
    }

    /** `kubectl version --client`: fails unless kubectl runs and embeds kustomize v5+. */
    static String requireKubectlWithKustomize() {
        String json = run(List.of("kubectl", "version", "--client", "-o", "json"), projectDir());
        Object parsed = new Yaml(new LoaderOptions()).load(json);
        assertTrue(parsed instanceof Map, "kubectl version printed no JSON object:\n" + json);
        Object version = ((Map<?, ?>) parsed).get("kustomizeVersion");
        assertNotNull(version, "`kubectl version` reports no kustomizeVersion: kubectl older than 1.24,"
                + " whose kustomize is older than v5. " + INSTALL_HINT);
        Matcher m = Pattern.compile("v?(\\d+)\\.").matcher(version.toString());
        assertTrue(m.lookingAt(), "unreadable kustomize version " + version);
        int major = Integer.parseInt(m.group(1));
        assertTrue(major >= MIN_KUSTOMIZE_MAJOR, "kubectl embeds kustomize " + version + ". " + INSTALL_HINT);
        return version.toString();
    }

    /** {@code kubectl kustomize DIR}, parsed: one map per object, in kustomize's output order. */
    static List<Map<String, Object>> build(Path dir) {
        String yaml = run(List.of("kubectl", "kustomize", dir.toString()), projectDir());
        List<Map<String, Object>> objects = new ArrayList<>();
        for (Object doc : new Yaml(new LoaderOptions()).loadAll(yaml)) {
            if (doc == null) {
                continue;
            }
            assertTrue(doc instanceof Map, "not an object in the output of kustomize " + dir + ": " + doc);
            objects.add(asMap(doc, "object"));
        }
        assertTrue(!objects.isEmpty(), "kubectl kustomize " + dir + " printed no object");
        return objects;
    }

    /** Runs a command that prints objects (a Helm post-renderer), with a file as its input; parsed. */
    static List<Map<String, Object>> render(List<String> command, Path stdin) {
        String yaml = run(command, projectDir(), stdin);
        List<Map<String, Object>> objects = new ArrayList<>();
        for (Object doc : new Yaml(new LoaderOptions()).loadAll(yaml)) {
            if (doc != null) {
                objects.add(asMap(doc, "object printed by " + command));
            }
        }
        assertTrue(!objects.isEmpty(), String.join(" ", command) + " printed no object");
        return objects;
    }

    private static String run(List<String> command, Path workDir) {
        return run(command, workDir, Paths.get("/dev/null"));
    }

    private static String run(List<String> command, Path workDir, Path stdin) {
        File stderr;
        try {
            stderr = File.createTempFile("kubectl-", ".stderr");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        stderr.deleteOnExit();
        Process process;
        try {
            process = new ProcessBuilder(command).directory(workDir.toFile())
                    .redirectError(stderr).redirectInput(ProcessBuilder.Redirect.from(stdin.toFile()))
                    .start();
        } catch (IOException e) {
            return fail("cannot run `" + String.join(" ", command) + "`: " + e.getMessage()
                    + "\nkubectl is not on the PATH. " + INSTALL_HINT, e);
        }
        try (InputStream out = process.getInputStream()) {
            String stdout = new String(out.readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return fail("`" + String.join(" ", command) + "` took more than " + TIMEOUT_SECONDS + " s");
            }
            String err = Files.readString(stderr.toPath());
            assertEquals(0, process.exitValue(), () -> "`" + String.join(" ", command) + "` failed:\n" + err
                    + (err.contains("unknown field") ? "\n" + INSTALL_HINT : ""));
            return stdout;
        } catch (IOException e) {
            return fail("reading the output of `" + String.join(" ", command) + "`", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted", e);
        } finally {
            stderr.delete();
        }
    }

    // ---- navigation in the parsed objects ----

    static String kind(Map<String, Object> object) {
        return (String) object.get("kind");
    }

    static String name(Map<String, Object> object) {
        return (String) map(object, "metadata").get("name");
    }

    static String namespace(Map<String, Object> object) {
        return (String) map(object, "metadata").get("namespace");
    }

    static List<Map<String, Object>> ofKind(List<Map<String, Object>> objects, String kind) {
        List<Map<String, Object>> found = new ArrayList<>();
        for (Map<String, Object> o : objects) {
            if (kind.equals(kind(o))) {
                found.add(o);
            }
        }
        return found;
    }

    static Map<String, Object> one(List<Map<String, Object>> objects, String kind, String name) {
        Map<String, Object> found = null;
        for (Map<String, Object> o : ofKind(objects, kind)) {
            if (name.equals(name(o))) {
                assertTrue(found == null, "two " + kind + " named " + name);
                found = o;
            }
        }
        assertNotNull(found, "no " + kind + " named " + name + " in " + summary(objects));
        return found;
    }

    /** The one object of a kind whose name is prefix + "-" + kustomize's hash suffix (or exactly prefix). */
    static Map<String, Object> generated(List<Map<String, Object>> objects, String kind, String prefix) {
        List<Map<String, Object>> found = new ArrayList<>();
        for (Map<String, Object> o : ofKind(objects, kind)) {
            String n = name(o);
            if (n.equals(prefix) || n.matches(Pattern.quote(prefix) + "-[a-z0-9]{10}")) {
                found.add(o);
            }
        }
        assertEquals(1, found.size(), () -> "expected one generated " + kind + " " + prefix + "-<hash> in "
                + summary(objects));
        return found.get(0);
    }

    static String summary(List<Map<String, Object>> objects) {
        List<String> names = new ArrayList<>();
        for (Map<String, Object> o : objects) {
            names.add(kind(o) + "/" + name(o));
        }
        return names.toString();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> asMap(Object value, String what) {
        assertTrue(value instanceof Map, () -> what + " is not a mapping: " + value);
        return (Map<String, Object>) value;
    }

    static Map<String, Object> map(Map<String, Object> parent, String key) {
        Object value = parent.get(key);
        assertNotNull(value, () -> "missing `" + key + "` in " + parent.keySet());
        return asMap(value, key);
    }

    /** A mapping, or empty when absent. */
    static Map<String, Object> mapOrEmpty(Map<String, Object> parent, String key) {
        Object value = parent.get(key);
        return value == null ? Map.of() : asMap(value, key);
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> maps(Map<String, Object> parent, String key) {
        Object value = parent.get(key);
        if (value == null) {
            return List.of();
        }
        assertTrue(value instanceof List, () -> "`" + key + "` is not a list: " + value);
        for (Object item : (List<Object>) value) {
            asMap(item, key + "[]");
        }
        return (List<Map<String, Object>>) value;
    }

    @SuppressWarnings("unchecked")
    static List<String> strings(Map<String, Object> parent, String key) {
        Object value = parent.get(key);
        if (value == null) {
            return List.of();
        }
        assertTrue(value instanceof List, () -> "`" + key + "` is not a list: " + value);
        List<String> out = new ArrayList<>();
        for (Object item : (List<Object>) value) {
            out.add(Objects.toString(item));
        }
        return out;
    }

    /** The element of a list of named entries (containers, volumes, env...) with that name. */
    static Map<String, Object> named(List<Map<String, Object>> entries, String name, String what) {
        Map<String, Object> found = null;
        for (Map<String, Object> e : entries) {
            if (name.equals(e.get("name"))) {
                assertTrue(found == null, "two " + what + " named " + name);
                found = e;
            }
        }
        assertNotNull(found, () -> "no " + what + " named " + name + " among " + names(entries));
        return found;
    }

    static List<String> names(List<Map<String, Object>> entries) {
        List<String> out = new ArrayList<>();
        for (Map<String, Object> e : entries) {
            out.add(String.valueOf(e.get("name")));
        }
        return out;
    }

    /** spec.template.spec of a Deployment or StatefulSet. */
    static Map<String, Object> podSpec(Map<String, Object> workload) {
        return map(map(map(workload, "spec"), "template"), "spec");
    }

    /** Containers and init containers of a pod spec. */
    static List<Map<String, Object>> allContainers(Map<String, Object> podSpec) {
        List<Map<String, Object>> all = new ArrayList<>(maps(podSpec, "initContainers"));
        all.addAll(maps(podSpec, "containers"));
        return all;
    }
}
