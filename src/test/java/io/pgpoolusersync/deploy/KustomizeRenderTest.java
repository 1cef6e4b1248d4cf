package io.pgpoolusersync.deploy;

import static io.pgpoolusersync.deploy.Kustomize.allContainers;
import static io.pgpoolusersync.deploy.Kustomize.generated;
import static io.pgpoolusersync.deploy.Kustomize.kind;
import static io.pgpoolusersync.deploy.Kustomize.map;
import static io.pgpoolusersync.deploy.Kustomize.mapOrEmpty;
import static io.pgpoolusersync.deploy.Kustomize.maps;
import static io.pgpoolusersync.deploy.Kustomize.name;
import static io.pgpoolusersync.deploy.Kustomize.named;
import static io.pgpoolusersync.deploy.Kustomize.namespace;
import static io.pgpoolusersync.deploy.Kustomize.ofKind;
import static io.pgpoolusersync.deploy.Kustomize.one;
import static io.pgpoolusersync.deploy.Kustomize.podSpec;
import static io.pgpoolusersync.deploy.Kustomize.strings;
import static io.pgpoolusersync.deploy.Kustomize.summary;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.client.Config;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Renders every kustomization of the project with {@code kubectl kustomize} and checks the objects:
 * namespaced RBAC with only the verbs the app needs, the routes ConfigMap equal to routes/, the sidecar
 * (mounts, env, probes, resources, securityContext) and how it is wired to pgpool in the demo, and
 * pinned image tags. Runs everywhere (no cluster needed); fails, never skips, without kubectl.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KustomizeRenderTest {

    static final String APP = "pgpool-user-sync";
    static final String SIDECAR = "pgpool-user-sync";
    static final String ROUTES_CONFIGMAP = "pgpool-user-sync-routes";
    static final String SETTINGS_CONFIGMAP = "pgpool-user-sync-config";
    static final int MANAGEMENT_PORT = 9876;

    /** (apiGroup, resource, verb): the whole of what the Role may grant. */
    static final Set<String> ALLOWED_RULES = Set.of(
            "/secrets/get", "/secrets/list", "/secrets/watch",
            "/events/create", "/events/patch");

    Path project;
    List<Map<String, Object>> base;
    List<Map<String, Object>> demo;
    List<Map<String, Object>> targeting;
    Map<String, String> routeFiles;

    @BeforeAll
    void render() throws IOException {
        project = Kustomize.projectDir();
        Kustomize.requireKubectlWithKustomize();
        base = Kustomize.build(project.resolve("kustomize/base"));
        demo = Kustomize.build(project.resolve("kustomize/overlays/demo"));
        targeting = Kustomize.build(project.resolve("src/test/kustomize/targeting"));
        routeFiles = new TreeMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(project.resolve("routes"), "*.camel.yaml")) {
            for (Path f : files) {
                routeFiles.put(f.getFileName().toString(), Files.readString(f, StandardCharsets.UTF_8));
            }
        }
        assertFalse(routeFiles.isEmpty(), "no routes/*.camel.yaml");
    }

    // ---------------------------------------------------------------- base

    @Test
    void baseHoldsExactlyTheNamespacedPieces() {
        Map<String, Integer> kinds = new TreeMap<>();
        for (Map<String, Object> o : base) {
            kinds.merge(kind(o), 1, Integer::sum);
        }
        assertEquals(Map.of("ConfigMap", 2, "Role", 1, "RoleBinding", 1, "ServiceAccount", 1), kinds,
                "objects of kustomize/base: " + summary(base));
        one(base, "ServiceAccount", APP);
        generated(base, "ConfigMap", ROUTES_CONFIGMAP);
        generated(base, "ConfigMap", SETTINGS_CONFIGMAP);
        for (Map<String, Object> o : base) {
            assertNull(namespace(o), "the base sets no namespace (the overlay does): " + kind(o) + "/" + name(o));
        }
    }

    @Test
    void baseRbacIsNamespacedAndMinimal() {
        checkRbac(base, null);
    }

    @Test
    void baseRoutesConfigMapEqualsRoutesFolder() {
        checkRoutesConfigMap(base);
    }

    @Test
    void baseSettingsHaveDefaultsButNoPostgresName() {
        Map<String, Object> data = map(generated(base, "ConfigMap", SETTINGS_CONFIGMAP), "data");
        assertEquals("aes", data.get("SYNC_FORMAT"));
        assertEquals("10s", data.get("SYNC_PERIOD"));
        assertEquals("9898", data.get("SYNC_PCP_PORT"));
        assertFalse(data.containsKey("SYNC_POSTGRES_NAME"), "the overlay names the PostgreSQL, not the base");
    }

    // ---------------------------------------------------------------- demo overlay

    @Test
    void demoHasTheWholeWalkthrough() {
        one(demo, "Namespace", "demo");
        one(demo, "ServiceAccount", APP);
        one(demo, "Role", APP);
        one(demo, "RoleBinding", APP);
        generated(demo, "ConfigMap", ROUTES_CONFIGMAP);
        generated(demo, "ConfigMap", SETTINGS_CONFIGMAP);
        generated(demo, "ConfigMap", "pgpool-config");
        one(demo, "Secret", "ha-postgres-auth");
        one(demo, "Secret", "pgpool-key");
        one(demo, "Secret", "pgpool-pcp");
        one(demo, "StatefulSet", "ha-postgres");
        one(demo, "Service", "ha-postgres");
        one(demo, "StatefulSet", "pgpool-sync");
        Map<String, Object> service = one(demo, "Service", "pgpool-sync");
        assertTrue(maps(map(service, "spec"), "ports").stream().anyMatch(p -> Integer.valueOf(9999).equals(p.get("port"))),
                "the walkthrough port-forwards svc/pgpool-sync 9999");
        for (Map<String, Object> o : demo) {
            if (!"Namespace".equals(kind(o))) {
                assertEquals("demo", namespace(o), kind(o) + "/" + name(o) + " is not in namespace demo");
            }
        }
    }

    @Test
    void demoRbacIsNamespacedAndMinimal() {
        checkRbac(demo, "demo");
    }

    @Test
    void demoRoutesConfigMapEqualsRoutesFolder() {
        checkRoutesConfigMap(demo);
    }

    @Test
    void demoSidecarIsComplete() {
        checkSidecar(demo, one(demo, "StatefulSet", "pgpool-sync"), "ha-postgres");
    }

    @Test
    void demoSidecarSyncsTheWalkthroughSecrets() throws IOException {
        Map<String, Object> secret = null;
        for (Object doc : new Yaml(new LoaderOptions()).loadAll(
                Files.readString(project.resolve("examples/secrets/sync-secret.yaml")))) {
            if (doc != null) {
                secret = Kustomize.asMap(doc, "examples/secrets/sync-secret.yaml");
            }
        }
        assertNotNull(secret, "examples/secrets/sync-secret.yaml holds no Secret");
        assertEquals("sync-secret", name(secret));
        assertEquals("demo", namespace(secret));
        Map<String, Object> labels = map(map(secret, "metadata"), "labels");
        assertEquals("ha-postgres", labels.get("app.kubernetes.io/instance"));
        assertEquals("postgreses.kubedb.com", labels.get("app.kubernetes.io/name"));
        assertEquals(Map.of("username", "john", "password", "12345"), map(secret, "stringData"));
        // The sidecar selects on that instance label: SYNC_POSTGRES_NAME=ha-postgres.
        Map<String, Object> settings = map(generated(demo, "ConfigMap", SETTINGS_CONFIGMAP), "data");
        assertEquals("ha-postgres", settings.get("SYNC_POSTGRES_NAME"));
    }

    @Test
    void demoAuthSecretIsNotSelectedBySync() {
        Map<String, Object> labels = mapOrEmpty(map(one(demo, "Secret", "ha-postgres-auth"), "metadata"), "labels");
        assertFalse("postgreses.kubedb.com".equals(labels.get("app.kubernetes.io/name"))
                        && "ha-postgres".equals(labels.get("app.kubernetes.io/instance")),
                "the admin Secret must not carry the sync labels: its entry is written by the init container");
    }

    /** pgpool reads the pool_passwd the sidecar writes, with the key the sidecar encrypts with. */
    @Test
    void demoPgpoolIsWiredToTheSidecar() {
        Map<String, Object> workload = one(demo, "StatefulSet", "pgpool-sync");
        Map<String, Object> pod = podSpec(workload);
        Map<String, Object> sidecar = named(maps(pod, "containers"), SIDECAR, "container");
        Map<String, Object> pgpool = named(maps(pod, "containers"), "pgpool", "container");
        Map<String, String> env = plainEnv(sidecar);

        // pgpool.conf and pool_hba.conf come from the generated ConfigMap mounted in pgpool.
        Map<String, Object> configVolume = named(maps(pod, "volumes"), "pgpool-config", "volume");
        String configMapName = (String) map(configVolume, "configMap").get("name");
        Map<String, Object> configMap = one(demo, "ConfigMap", configMapName);
        Map<String, Object> configData = map(configMap, "data");
        String configDir = mountPath(pgpool, "pgpool-config");
        List<String> args = strings(pgpool, "args");
        assertEquals(configDir + "/pgpool.conf", argAfter(args, "-f"), "pgpool -f");
        assertEquals(configDir + "/pool_hba.conf", argAfter(args, "-a"), "pgpool -a");
        Map<String, String> conf = pgpoolConf((String) configData.get("pgpool.conf"));

        // pool_passwd: the same emptyDir, the same file name, as the sidecar's SYNC_POOL_PASSWD.
        Map<String, Object> passwdVolume = named(maps(pod, "volumes"), "pool-passwd", "volume");
        assertNotNull(passwdVolume.get("emptyDir"), "pool-passwd is an emptyDir shared in the pod");
        String sidecarPasswd = env.get("SYNC_POOL_PASSWD");
        String fileName = sidecarPasswd.substring(sidecarPasswd.lastIndexOf('/') + 1);
        assertEquals(mountPath(pgpool, "pool-passwd") + "/" + fileName, conf.get("pool_passwd"),
                "pgpool.conf pool_passwd must be pgpool's mount of the volume the sidecar writes");
        assertEquals(mountPath(sidecar, "pool-passwd"), parent(sidecarPasswd));

        // The key: pgpool -k and the sidecar's SYNC_KEY_FILE are the same file of the same volume.
        String keyFile = env.get("SYNC_KEY_FILE");
        assertEquals(mountPath(pgpool, "pgpool-key") + keyFile.substring(keyFile.lastIndexOf('/')),
                argAfter(args, "-k"), "pgpool -k");
        assertEquals(mountPath(sidecar, "pgpool-key"), parent(keyFile));

        // Reload: PCP on localhost at the sidecar's port; the pool_hba reopen of pool_passwd.
        assertEquals(setting(demo, sidecar, "SYNC_PCP_PORT"), conf.get("pcp_port"), "pcp_port");
        assertTrue(Set.of("localhost", "127.0.0.1", "*").contains(conf.get("pcp_listen_addresses")),
                "PCP must listen on localhost: " + conf.get("pcp_listen_addresses"));
        assertEquals("on", conf.get("enable_pool_hba"), "pool_hba makes 4.3/4.4 children reopen pool_passwd on reload");
        String hba = (String) configData.get("pool_hba.conf");
        assertTrue(hba.lines().anyMatch(l -> l.startsWith("host") && l.trim().endsWith("scram-sha-256")),
                "pool_hba.conf: scram-sha-256 over TCP\n" + hba);

        // pcp.conf is written by the init container into a volume pgpool reads with -F.
        Map<String, Object> init = named(maps(pod, "initContainers"), "pgpool-init", "init container");
        assertEquals(mountPath(pgpool, "pgpool-pcp-conf") + "/pcp.conf", argAfter(args, "-F"), "pgpool -F");
        String script = String.join("\n", strings(init, "args"));
        assertTrue(script.contains(mountPath(init, "pgpool-pcp-conf") + "/pcp.conf"), "init writes pcp.conf");
        assertTrue(script.contains(mountPath(init, "pool-passwd") + "/" + fileName), "init writes the admin entry");
        assertTrue(script.contains("pg_enc") && script.contains(mountPath(init, "pgpool-key")),
                "the admin entry is AES, made by pg_enc with the pgpool key");

        // The sidecar replaces pool_passwd with a 0600 file: pgpool must run as the same UID.
        Long pgpoolUid = effectiveUid(pod, pgpool);
        assertNotNull(pgpoolUid, "pgpool's UID must be set (the image names a user, not a UID)");
        assertEquals(pgpoolUid, effectiveUid(pod, sidecar), "sidecar and pgpool run as the same UID");
        assertEquals(pgpoolUid, effectiveUid(pod, init), "the init container writes pool_passwd as pgpool's UID");
    }

    /**
     * pgpool warns at every start about a key file with group or world bits, and a Secret volume under
     * fsGroup is always group-readable: pgpool and the sidecar read an owner-only copy that pgpool-init
     * makes on a memory emptyDir, which also pins the key for the pod's life.
     */
    @Test
    void demoKeyIsAnOwnerOnlyCopyOfTheSecret() {
        Map<String, Object> pod = podSpec(one(demo, "StatefulSet", "pgpool-sync"));
        Map<String, Object> init = named(maps(pod, "initContainers"), "pgpool-init", "init container");
        Map<String, Object> copy = named(maps(pod, "volumes"), "pgpool-key", "volume");
        assertEquals("Memory", map(copy, "emptyDir").get("medium"), "the key copy stays in memory");
        Map<String, Object> secretVolume = named(maps(pod, "volumes"), "pgpool-key-secret", "volume");
        Map<String, Object> keySecret = one(demo, "Secret", (String) map(secretVolume, "secret").get("secretName"));
        assertTrue(mapOrEmpty(keySecret, "stringData").containsKey(".pgpoolkey")
                || mapOrEmpty(keySecret, "data").containsKey(".pgpoolkey"), "the key Secret holds .pgpoolkey");
        for (Map<String, Object> c : allContainers(pod)) {
            boolean mountsSecret = maps(c, "volumeMounts").stream().anyMatch(m -> "pgpool-key-secret".equals(m.get("name")));
            assertEquals(c == init, mountsSecret, "only pgpool-init mounts the key Secret, not " + c.get("name"));
        }
        List<String> script = strings(init, "args").stream().flatMap(String::lines).map(String::trim).toList();
        String from = mountPath(init, "pgpool-key-secret") + "/.pgpoolkey";
        String to = mountPath(init, "pgpool-key") + "/.pgpoolkey";
        int umask = script.indexOf("umask 077");
        int copyLine = script.indexOf("cp " + from + " " + to);
        assertTrue(umask >= 0 && copyLine > umask, "the copy is made under umask 077 (owner-only):\n" + script);
        assertTrue(script.indexOf("rm -f " + to) >= 0 && script.indexOf("rm -f " + to) < copyLine,
                "an older 0400 copy is removed first (init containers run again when the pod restarts)");
        List<String> encryptions = script.stream().filter(l -> l.contains("pg_enc -k")).toList();
        assertTrue(!encryptions.isEmpty() && encryptions.stream().allMatch(l -> l.contains("pg_enc -k " + to + " ")),
                "the admin entry is encrypted with the copy pgpool reads: " + encryptions);
    }

    /**
     * pgpool refuses to start while its pid file names a live process. The file is on an emptyDir that
     * outlives the container, and after an unclean exit it names PID 1, the new pgpool itself: the
     * container clears it, then becomes pgpool. PgpoolRestartIT runs this command with the real pgpool.
     */
    @Test
    void demoPgpoolClearsItsStalePidFileAndStaysPidOne() {
        Map<String, Object> pod = podSpec(one(demo, "StatefulSet", "pgpool-sync"));
        Map<String, Object> pgpool = named(maps(pod, "containers"), "pgpool", "container");
        assertEquals(List.of("/bin/sh", "-c", "rm -f \"$PGPOOL_PID_FILE\" && exec \"$@\"", "pgpool"),
                strings(pgpool, "command"), "a shell that removes the pid file, then execs pgpool (PID 1)");
        List<String> args = strings(pgpool, "args");
        assertEquals("/opt/pgpool-II/bin/pgpool", args.get(0), "the shell execs pgpool itself");
        assertTrue(args.contains("-n"), "pgpool in the foreground: a daemonized pgpool would leave PID 1");
        String pidFile = plainEnv(pgpool).get("PGPOOL_PID_FILE");
        Map<String, Object> configMap = one(demo, "ConfigMap",
                (String) map(named(maps(pod, "volumes"), "pgpool-config", "volume"), "configMap").get("name"));
        assertEquals(pgpoolConf((String) map(configMap, "data").get("pgpool.conf")).get("pid_file_name"), pidFile,
                "the command removes the pid file that pgpool.conf names");
        Map<String, Object> mount = mountAt(mountsByName(pgpool), parent(pidFile));
        assertFalse(Boolean.TRUE.equals(mount.get("readOnly")), "pgpool writes its pid file there");
    }

    /** The sidecar is the pod's first container: `kubectl logs/exec` without -c must still mean pgpool. */
    @Test
    void demoDefaultContainerIsPgpool() {
        Map<String, Object> template = map(map(one(demo, "StatefulSet", "pgpool-sync"), "spec"), "template");
        List<String> containers = Kustomize.names(maps(podSpec(one(demo, "StatefulSet", "pgpool-sync")), "containers"));
        assertEquals(SIDECAR, containers.get(0), "the component puts the sidecar first: " + containers);
        Object annotated = mapOrEmpty(map(template, "metadata"), "annotations").get("kubectl.kubernetes.io/default-container");
        assertEquals("pgpool", annotated, "kubectl.kubernetes.io/default-container");
        assertTrue(containers.contains(annotated), "the default container exists: " + containers);
    }

    @Test
    void demoImagesArePinned() throws IOException {
        List<String> images = new ArrayList<>();
        for (String kind : List.of("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")) {
            for (Map<String, Object> workload : ofKind(demo, kind)) {
                for (Map<String, Object> c : allContainers(podSpec(workload))) {
                    images.add((String) c.get("image"));
                }
            }
        }
        assertTrue(images.size() >= 4, "images of the demo: " + images);
        for (String image : images) {
            assertPinned(image);
        }
        // The sync image is the one `mvn -Pimage package` builds.
        String pom = Files.readString(project.resolve("pom.xml"));
        String tag = pomProperty(pom, "image.tag");
        String imageName = pomProperty(pom, "image.name");
        Map<String, Object> sidecar = named(maps(podSpec(one(demo, "StatefulSet", "pgpool-sync")), "containers"),
                SIDECAR, "container");
        assertEquals(imageName + ":" + tag, sidecar.get("image"),
                "kustomize/overlays/demo images: must name the tag of the pom's image profile");
        assertPinned(pomProperty(pom, "image.base"));
    }

    /**
     * The image runs on amd64 and arm64 nodes: `jib:build` publishes both under one tag, and the tar of
     * `mvn -Pimage package`, which holds one platform only, is built for this machine's (image.arch).
     */
    @Test
    void imageIsPublishedForAmd64AndArm64() throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Element pom = factory.newDocumentBuilder().parse(project.resolve("pom.xml").toFile()).getDocumentElement();
        Element jib = null;
        for (Element profile : children(child(pom, "profiles"), "profile")) {
            if ("image".equals(text(child(profile, "id")))) {
                for (Element plugin : children(child(child(profile, "build"), "plugins"), "plugin")) {
                    if ("jib-maven-plugin".equals(text(child(plugin, "artifactId")))) {
                        jib = plugin;
                    }
                }
            }
        }
        assertNotNull(jib, "pom.xml: no jib-maven-plugin in profile image");
        Map<String, List<String>> platforms = new TreeMap<>();
        for (Element execution : children(child(jib, "executions"), "execution")) {
            List<String> list = new ArrayList<>();
            for (Element platform : children(child(child(child(execution, "configuration"), "from"), "platforms"),
                    "platform")) {
                list.add(text(child(platform, "os")) + "/" + text(child(platform, "architecture")));
            }
            platforms.put(text(child(execution, "id")), list);
        }
        assertEquals(Map.of("default-cli", List.of("linux/amd64", "linux/arm64"),
                        "image-tar", List.of("linux/${image.arch}")), platforms,
                "jib:build (default-cli) pushes amd64 and arm64; the package tar holds this machine's platform");
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && name.equals(e.getTagName())) {
                out.add(e);
            }
        }
        return out;
    }

    private static Element child(Element parent, String name) {
        List<Element> found = children(parent, name);
        assertEquals(1, found.size(), () -> "one <" + name + "> in <" + parent.getTagName() + ">");
        return found.get(0);
    }

    private static String text(Element e) {
        return e.getTextContent().trim();
    }

    // ---------------------------------------------------------------- the component's targeting

    @Test
    void componentTargetsLabeledDeploymentsOnly() {
        Map<String, Object> pgpool = one(targeting, "Deployment", "my-pgpool");
        checkSidecar(targeting, pgpool, "fixture-postgres");
        List<String> containers = Kustomize.names(maps(podSpec(pgpool), "containers"));
        assertTrue(containers.contains("pgpool"), "the workload's own container stays: " + containers);
        assertEquals(2, containers.size(), "pgpool + sidecar: " + containers);

        Map<String, Object> web = one(targeting, "Deployment", "web");
        assertEquals(List.of("web"), Kustomize.names(maps(podSpec(web), "containers")), "unlabeled workload untouched");
        assertNull(podSpec(web).get("serviceAccountName"), "unlabeled workload keeps its ServiceAccount");
        Map<String, Object> service = one(targeting, "Service", "my-pgpool");
        assertNull(map(service, "spec").get("template"), "a labeled Service is not patched");
        checkRbac(targeting, "fixture");
    }

    /**
     * kustomize applies a kustomization's components before its own labels and patches: a targeting label
     * added next to the component arrives too late and the sidecar is silently missing. Labeled in a
     * nested kustomization (a resource), the workload gets it. docs/DEPLOY.md states the rule.
     */
    @Test
    void targetingLabelMustComeFromAResourceNotFromTheKustomizationWithTheComponent() {
        List<Map<String, Object>> tooLate = Kustomize.build(project.resolve("src/test/kustomize/ordering/too-late"));
        Map<String, Object> late = one(tooLate, "Deployment", "pgpool");
        assertEquals("pgpool", map(map(late, "metadata"), "labels").get("app.kubernetes.io/component"),
                "the label is there in the output...");
        assertEquals(List.of("pgpool"), Kustomize.names(maps(podSpec(late), "containers")),
                "...but it came after the component ran: no sidecar");

        List<Map<String, Object>> fixed = Kustomize.build(project.resolve("src/test/kustomize/ordering/fixed"));
        Map<String, Object> labeled = one(fixed, "Deployment", "pgpool");
        assertEquals(List.of(SIDECAR, "pgpool"), Kustomize.names(maps(podSpec(labeled), "containers")),
                "labeled in a nested kustomization: the component attaches");
        checkSidecar(fixed, labeled, "fixture-postgres");
    }

    // ---------------------------------------------------------------- checks shared by the renders

    private void checkRbac(List<Map<String, Object>> objects, String expectedNamespace) {
        for (Map<String, Object> o : objects) {
            assertFalse(Set.of("ClusterRole", "ClusterRoleBinding").contains(kind(o)),
                    "cluster-wide RBAC is not allowed: " + kind(o) + "/" + name(o));
        }
        List<Map<String, Object>> roles = ofKind(objects, "Role");
        assertEquals(1, roles.size(), "one Role: " + summary(objects));
        Map<String, Object> role = roles.get(0);
        assertEquals(APP, name(role));
        assertEquals(expectedNamespace, namespace(role));

        Set<String> granted = new TreeSet<>();
        for (Map<String, Object> rule : maps(role, "rules")) {
            assertTrue(strings(rule, "nonResourceURLs").isEmpty(), "no nonResourceURLs: " + rule);
            assertTrue(strings(rule, "resourceNames").isEmpty(), "no resourceNames expected: " + rule);
            List<String> groups = strings(rule, "apiGroups");
            List<String> resources = strings(rule, "resources");
            List<String> verbs = strings(rule, "verbs");
            assertFalse(groups.isEmpty() || resources.isEmpty() || verbs.isEmpty(), "incomplete rule " + rule);
            for (String g : groups) {
                for (String r : resources) {
                    for (String v : verbs) {
                        assertFalse(g.contains("*") || r.contains("*") || v.contains("*"), "wildcard in " + rule);
                        assertFalse(r.startsWith("pods"), "no access to pods (exec, attach, ...): " + rule);
                        granted.add(g + "/" + r + "/" + v);
                    }
                }
            }
        }
        assertEquals(new TreeSet<>(ALLOWED_RULES), granted,
                "the Role grants get/list on secrets and create/patch on events, nothing else");

        List<Map<String, Object>> bindings = ofKind(objects, "RoleBinding");
        assertEquals(1, bindings.size(), "one RoleBinding: " + summary(objects));
        Map<String, Object> binding = bindings.get(0);
        assertEquals(expectedNamespace, namespace(binding));
        assertEquals(Map.of("apiGroup", "rbac.authorization.k8s.io", "kind", "Role", "name", APP),
                map(binding, "roleRef"));
        List<Map<String, Object>> subjects = maps(binding, "subjects");
        assertEquals(1, subjects.size(), "one subject: " + subjects);
        Map<String, Object> subject = subjects.get(0);
        assertEquals("ServiceAccount", subject.get("kind"));
        assertEquals(APP, subject.get("name"));
        assertEquals(expectedNamespace, subject.get("namespace"), "the subject is the ServiceAccount of this namespace");
        one(objects, "ServiceAccount", APP);
    }

    private void checkRoutesConfigMap(List<Map<String, Object>> objects) {
        Map<String, Object> configMap = generated(objects, "ConfigMap", ROUTES_CONFIGMAP);
        assertNull(configMap.get("binaryData"));
        Map<String, Object> data = map(configMap, "data");
        assertEquals(routeFiles.keySet(), new TreeSet<>(data.keySet()),
                "the routes ConfigMap must hold exactly routes/*.camel.yaml: list every route file in"
                        + " routes/kustomization.yaml");
        for (Map.Entry<String, String> file : routeFiles.entrySet()) {
            assertEquals(file.getValue(), data.get(file.getKey()), "content of routes/" + file.getKey());
        }
    }

    /** The sidecar container of a workload, as the component adds it. */
    private void checkSidecar(List<Map<String, Object>> objects, Map<String, Object> workload, String postgresName) {
        Map<String, Object> pod = podSpec(workload);
        assertEquals(APP, pod.get("serviceAccountName"), "the pod runs as the base's ServiceAccount");
        checkOnlySidecarHoldsToken(pod);
        Map<String, Object> sidecar = named(maps(pod, "containers"), SIDECAR, "container");
        assertTrue(String.valueOf(sidecar.get("image")).startsWith("pgpool-user-sync:"), "image " + sidecar.get("image"));

        // Volumes: every mount has its volume.
        Map<String, Map<String, Object>> volumes = new HashMap<>();
        for (Map<String, Object> v : maps(pod, "volumes")) {
            volumes.put((String) v.get("name"), v);
        }
        Map<String, Map<String, Object>> mounts = new LinkedHashMap<>();
        for (Map<String, Object> m : maps(sidecar, "volumeMounts")) {
            assertTrue(volumes.containsKey((String) m.get("name")), "no volume for mount " + m);
            mounts.put((String) m.get("name"), m);
        }

        // Environment.
        Map<String, Map<String, Object>> env = new LinkedHashMap<>();
        for (Map<String, Object> e : maps(sidecar, "env")) {
            env.put((String) e.get("name"), e);
        }
        Map<String, String> plain = plainEnv(sidecar);
        assertEquals("metadata.namespace",
                map(map(envEntry(env, "SYNC_NAMESPACE"), "valueFrom"), "fieldRef").get("fieldPath"),
                "SYNC_NAMESPACE from the downward API");
        Map<String, Object> nameRef = map(map(envEntry(env, "SYNC_POSTGRES_NAME"), "valueFrom"), "configMapKeyRef");
        Map<String, Object> settings = one(objects, "ConfigMap", (String) nameRef.get("name"));
        assertEquals(postgresName, map(settings, "data").get(nameRef.get("key")), "SYNC_POSTGRES_NAME");
        assertTrue(name(settings).startsWith(SETTINGS_CONFIGMAP));
        List<Map<String, Object>> envFrom = maps(sidecar, "envFrom");
        assertEquals(1, envFrom.size(), "envFrom: " + envFrom);
        assertEquals(name(settings), map(envFrom.get(0), "configMapRef").get("name"),
                "envFrom the settings ConfigMap (kustomize rewrote its hashed name)");
        assertEquals("localhost", plain.get("SYNC_PCP_HOST"));
        assertNull(plain.get("SYNC_PCP_PORT"), "the PCP port comes from the settings ConfigMap, where targets set it");
        assertEquals("9898", setting(objects, sidecar, "SYNC_PCP_PORT"), "pgpool's default pcp_port");
        Map<String, Object> pcpUser = map(map(envEntry(env, "SYNC_PCP_USER"), "valueFrom"), "secretKeyRef");
        assertEquals(Map.of("name", "pgpool-pcp", "key", "username"), pcpUser, "SYNC_PCP_USER");

        // pool_passwd: a writable folder, the volume the workload shares with pgpool.
        String passwd = plain.get("SYNC_POOL_PASSWD");
        assertNotNull(passwd, "SYNC_POOL_PASSWD");
        Map<String, Object> passwdMount = mounts.get("pool-passwd");
        assertNotNull(passwdMount, "the sidecar mounts the workload's pool-passwd volume");
        assertEquals(parent(passwd), passwdMount.get("mountPath"), "pool_passwd lies directly in the shared folder");
        assertFalse(Boolean.TRUE.equals(passwdMount.get("readOnly")), "temp file + rename need a writable folder");

        // Key file: read-only mount of the workload's key volume.
        String key = plain.get("SYNC_KEY_FILE");
        assertNotNull(key, "SYNC_KEY_FILE");
        Map<String, Object> keyMount = mounts.get("pgpool-key");
        assertNotNull(keyMount, "the sidecar mounts the workload's pgpool-key volume");
        assertEquals(parent(key), keyMount.get("mountPath"));
        assertEquals(Boolean.TRUE, keyMount.get("readOnly"));

        // PCP password: a file from the Secret pgpool-pcp, key password.
        String pcpFile = plain.get("SYNC_PCP_PASSWORD_FILE");
        assertNotNull(pcpFile, "SYNC_PCP_PASSWORD_FILE");
        Map<String, Object> pcpMount = mountAt(mounts, parent(pcpFile));
        assertEquals(Boolean.TRUE, pcpMount.get("readOnly"));
        Map<String, Object> pcpSecret = map(volumes.get((String) pcpMount.get("name")), "secret");
        assertEquals("pgpool-pcp", pcpSecret.get("secretName"));
        assertTrue(maps(pcpSecret, "items").stream().anyMatch(i -> "password".equals(i.get("key"))
                && pcpFile.endsWith("/" + i.get("path"))), "the password key is the file " + pcpFile);

        // Routes: the generated ConfigMap, read-only, where SYNC_ROUTES_DIR points.
        String routesDir = plain.get("SYNC_ROUTES_DIR");
        assertNotNull(routesDir, "SYNC_ROUTES_DIR");
        Map<String, Object> routesMount = mountAt(mounts, routesDir);
        assertEquals(Boolean.TRUE, routesMount.get("readOnly"));
        Map<String, Object> routesVolume = map(volumes.get((String) routesMount.get("name")), "configMap");
        assertEquals(name(generated(objects, "ConfigMap", ROUTES_CONFIGMAP)), routesVolume.get("name"),
                "the routes volume names the generated ConfigMap (hash suffix rewritten)");

        // /tmp is writable on a read-only root file system.
        Map<String, Object> tmpMount = mountAt(mounts, "/tmp");
        assertNotNull(volumes.get((String) tmpMount.get("name")).get("emptyDir"), "/tmp is an emptyDir");

        // Probes on the management port.
        checkHttpProbe(sidecar, "livenessProbe", "/observe/health/live");
        checkHttpProbe(sidecar, "readinessProbe", "/observe/health/ready");
        assertTrue(maps(sidecar, "ports").stream().anyMatch(p -> Integer.valueOf(MANAGEMENT_PORT).equals(p.get("containerPort"))),
                "containerPort " + MANAGEMENT_PORT);

        // Resources.
        Map<String, Object> resources = map(sidecar, "resources");
        for (String bound : List.of("requests", "limits")) {
            Map<String, Object> r = map(resources, bound);
            assertNotNull(r.get("cpu"), bound + ".cpu");
            assertNotNull(r.get("memory"), bound + ".memory");
        }

        // Security context.
        Map<String, Object> security = map(sidecar, "securityContext");
        assertEquals(Boolean.TRUE, security.get("runAsNonRoot"), "runAsNonRoot");
        assertEquals(Boolean.TRUE, security.get("readOnlyRootFilesystem"), "readOnlyRootFilesystem");
        assertEquals(Boolean.FALSE, security.get("allowPrivilegeEscalation"), "allowPrivilegeEscalation");
        assertFalse(Boolean.TRUE.equals(security.get("privileged")), "privileged");
        Map<String, Object> capabilities = map(security, "capabilities");
        assertEquals(List.of("ALL"), strings(capabilities, "drop"), "capabilities.drop");
        assertTrue(strings(capabilities, "add").isEmpty(), "no capability added");
        Object uid = security.get("runAsUser");
        assertFalse(Long.valueOf(0).equals(uid == null ? null : Long.valueOf(uid.toString())), "not UID 0");
    }

    /**
     * The API token can list every Secret of the namespace: only the sidecar gets one. No automatic
     * token for the pod; one projected volume with what the automatic one holds, mounted in the sidecar
     * alone, where the client the app uses (fabric8) reads token, CA and namespace.
     */
    static void checkOnlySidecarHoldsToken(Map<String, Object> pod) {
        assertEquals(Boolean.FALSE, pod.get("automountServiceAccountToken"),
                "no automatic API token in the pod: pgpool and its init containers must not get one");
        List<String> tokenVolumes = new ArrayList<>();
        for (Map<String, Object> v : maps(pod, "volumes")) {
            for (Map<String, Object> source : maps(mapOrEmpty(v, "projected"), "sources")) {
                if (source.containsKey("serviceAccountToken")) {
                    tokenVolumes.add((String) v.get("name"));
                }
            }
            assertNull(v.get("serviceAccountToken"), "a token only through a projected volume: " + v);
        }
        assertEquals(1, tokenVolumes.size(), "one volume with an API token: " + tokenVolumes);
        String tokenVolume = tokenVolumes.get(0);
        for (Map<String, Object> c : allContainers(pod)) {
            boolean sidecar = SIDECAR.equals(c.get("name"));
            for (Map<String, Object> m : maps(c, "volumeMounts")) {
                if (!sidecar) {
                    assertFalse(tokenVolume.equals(m.get("name")), "only the sidecar mounts the token: " + c.get("name"));
                    assertFalse(String.valueOf(m.get("mountPath")).startsWith("/var/run/secrets/kubernetes.io"),
                            "no service account folder in " + c.get("name"));
                }
            }
        }
        Map<String, Object> sidecar = named(maps(pod, "containers"), SIDECAR, "container");
        String dir = mountPath(sidecar, tokenVolume);
        Map<String, Object> mount = named(maps(sidecar, "volumeMounts"), tokenVolume, "volume mount");
        assertEquals(Boolean.TRUE, mount.get("readOnly"), "token mount read-only");
        // Each file lies where fabric8's Config (the app's client, in a pod) looks for it.
        Map<String, String> files = new TreeMap<>();
        Map<String, Object> projected = map(named(maps(pod, "volumes"), tokenVolume, "volume"), "projected");
        for (Map<String, Object> source : maps(projected, "sources")) {
            if (source.containsKey("serviceAccountToken")) {
                Map<String, Object> token = map(source, "serviceAccountToken");
                assertNull(token.get("audience"), "the API server's default audience");
                files.put(dir + "/" + token.get("path"), "token");
            } else if (source.containsKey("configMap")) {
                Map<String, Object> configMap = map(source, "configMap");
                assertEquals("kube-root-ca.crt", configMap.get("name"), "the cluster CA every namespace gets");
                for (Map<String, Object> item : maps(configMap, "items")) {
                    assertEquals("ca.crt", item.get("key"));
                    files.put(dir + "/" + item.get("path"), "ca.crt");
                }
            } else {
                for (Map<String, Object> item : maps(map(source, "downwardAPI"), "items")) {
                    assertEquals("metadata.namespace", map(item, "fieldRef").get("fieldPath"));
                    files.put(dir + "/" + item.get("path"), "namespace");
                }
            }
        }
        assertEquals(new TreeMap<>(Map.of(
                        Config.KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH, "token",
                        Config.KUBERNETES_SERVICE_ACCOUNT_CA_CRT_PATH, "ca.crt",
                        Config.KUBERNETES_NAMESPACE_PATH, "namespace")),
                files, "token, CA and namespace where fabric8 reads them");
    }

    private static void checkHttpProbe(Map<String, Object> container, String probe, String path) {
        Map<String, Object> get = map(map(container, probe), "httpGet");
        assertEquals(path, get.get("path"), probe + " path");
        Object port = get.get("port");
        if (port instanceof String) {
            Map<String, Object> named = named(maps(container, "ports"), (String) port, "port");
            port = named.get("containerPort");
        }
        assertEquals(MANAGEMENT_PORT, port, probe + " port");
    }

    // ---------------------------------------------------------------- small helpers

    /** A setting of the sidecar as the app sees it: its env entry by value, else the envFrom ConfigMap's key. */
    static String setting(List<Map<String, Object>> objects, Map<String, Object> sidecar, String name) {
        String plain = plainEnv(sidecar).get(name);
        if (plain != null) {
            return plain;
        }
        for (Map<String, Object> e : maps(sidecar, "env")) {
            assertFalse(name.equals(e.get("name")), () -> name + " is set from elsewhere than a value: " + e);
        }
        for (Map<String, Object> from : maps(sidecar, "envFrom")) {
            Map<String, Object> ref = mapOrEmpty(from, "configMapRef");
            if (ref.get("name") != null) {
                Object value = mapOrEmpty(one(objects, "ConfigMap", (String) ref.get("name")), "data").get(name);
                if (value != null) {
                    return value.toString();
                }
            }
        }
        return null;
    }

    private static Map<String, Object> envEntry(Map<String, Map<String, Object>> env, String name) {
        Map<String, Object> entry = env.get(name);
        assertNotNull(entry, "env " + name + " is missing among " + env.keySet());
        return entry;
    }

    /** The env entries given by value. */
    static Map<String, String> plainEnv(Map<String, Object> container) {
        Map<String, String> out = new HashMap<>();
        for (Map<String, Object> e : maps(container, "env")) {
            if (e.get("value") != null) {
                out.put((String) e.get("name"), e.get("value").toString());
            }
        }
        return out;
    }

    private static Map<String, Object> mountAt(Map<String, Map<String, Object>> mounts, String path) {
        for (Map<String, Object> m : mounts.values()) {
            if (path.equals(m.get("mountPath"))) {
                return m;
            }
        }
        return fail("no volume mounted at " + path + " among " + mounts.values());
    }

    private static Map<String, Map<String, Object>> mountsByName(Map<String, Object> container) {
        Map<String, Map<String, Object>> mounts = new LinkedHashMap<>();
        for (Map<String, Object> m : maps(container, "volumeMounts")) {
            mounts.put((String) m.get("name"), m);
        }
        return mounts;
    }

    private static String mountPath(Map<String, Object> container, String volume) {
        for (Map<String, Object> m : maps(container, "volumeMounts")) {
            if (volume.equals(m.get("name"))) {
                return (String) m.get("mountPath");
            }
        }
        return fail("container " + container.get("name") + " does not mount " + volume);
    }

    private static String parent(String path) {
        int slash = path.lastIndexOf('/');
        assertTrue(slash > 0, "not an absolute file path: " + path);
        return path.substring(0, slash);
    }

    static String argAfter(List<String> args, String flag) {
        int i = args.indexOf(flag);
        assertTrue(i >= 0 && i + 1 < args.size(), "no " + flag + " in " + args);
        return args.get(i + 1);
    }

    static Long effectiveUid(Map<String, Object> pod, Map<String, Object> container) {
        Object uid = mapOrEmpty(container, "securityContext").get("runAsUser");
        if (uid == null) {
            uid = mapOrEmpty(pod, "securityContext").get("runAsUser");
        }
        return uid == null ? null : Long.valueOf(uid.toString());
    }

    /** `key = value` lines of pgpool.conf, quotes removed; the last one wins, as in pgpool. */
    static Map<String, String> pgpoolConf(String text) {
        assertNotNull(text, "no pgpool.conf");
        Map<String, String> out = new HashMap<>();
        Pattern line = Pattern.compile("^\\s*([a-z0-9_]+)\\s*=\\s*('([^']*)'|[^#\\s]+)");
        for (String l : text.split("\n")) {
            Matcher m = line.matcher(l);
            if (m.find()) {
                out.put(m.group(1), m.group(3) != null ? m.group(3) : m.group(2));
            }
        }
        return out;
    }

    private static String pomProperty(String pom, String property) {
        Matcher m = Pattern.compile("<" + Pattern.quote(property) + ">([^<]+)</" + Pattern.quote(property) + ">")
                .matcher(pom);
        assertTrue(m.find(), "pom.xml has no <" + property + ">");
        return m.group(1).trim();
    }

    /** A tag with a version that names a release (x.y at least), or a digest; never latest. */
    static void assertPinned(String image) {
        assertNotNull(image, "container without image");
        if (image.contains("@sha256:")) {
            return;
        }
        int slash = image.lastIndexOf('/');
        int colon = image.lastIndexOf(':');
        assertTrue(colon > slash, "image without a tag: " + image);
        String tag = image.substring(colon + 1);
        assertFalse(tag.equalsIgnoreCase("latest"), "image tag latest: " + image);
        assertTrue(tag.matches("v?\\d+\\.\\d+([._-].*)?"), "tag is not a pinned release (x.y or more): " + image);
    }
}
