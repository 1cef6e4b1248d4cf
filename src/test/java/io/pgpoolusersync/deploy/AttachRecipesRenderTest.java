package io.pgpoolusersync.deploy;

import static io.pgpoolusersync.deploy.Kustomize.allContainers;
import static io.pgpoolusersync.deploy.Kustomize.map;
import static io.pgpoolusersync.deploy.Kustomize.mapOrEmpty;
import static io.pgpoolusersync.deploy.Kustomize.maps;
import static io.pgpoolusersync.deploy.Kustomize.named;
import static io.pgpoolusersync.deploy.Kustomize.one;
import static io.pgpoolusersync.deploy.Kustomize.podSpec;
import static io.pgpoolusersync.deploy.Kustomize.strings;
import static io.pgpoolusersync.deploy.KustomizeRenderTest.SIDECAR;
import static io.pgpoolusersync.deploy.KustomizeRenderTest.argAfter;
import static io.pgpoolusersync.deploy.KustomizeRenderTest.pgpoolConf;
import static io.pgpoolusersync.deploy.KustomizeRenderTest.setting;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The recipes that attach the sidecar to a pgpool users already run (examples/), rendered over fixtures
 * written by hand from the targets' sources (src/test/kustomize), and the demo as one more user of the
 * component. For each: every sidecar mount names a volume of the pod; the sidecar runs as pgpool's UID
 * and group; the sync writes the pool_passwd pgpool reads and reads the key pgpool reads; the PCP
 * credentials come from where that deployment keeps them, and the port is pgpool's; only the sidecar
 * holds an API token.
 *
 * <p>Where a target's pgpool finds pool_passwd and its key is fixed by its image's scripts, not by the
 * manifest; those paths are written in {@link #targets()} with the script they were read in.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AttachRecipesRenderTest {

    /**
     * One recipe's rendering and what its pgpool uses.
     *
     * @param pcpUser where pgpool's PCP user comes from: container/ENV
     * @param pcpPassword where pgpool's PCP password comes from: container/ENV (an ENV ending in _FILE is a path)
     */
    record Target(String name, List<Map<String, Object>> objects, String kind, String workload,
            String poolPasswd, String key, String pcpUser, String pcpPassword, String pcpPort) {
        @Override
        public String toString() {
            return name;
        }
    }

    List<Target> targets;

    @BeforeAll
    void render() {
        Path project = Kustomize.projectDir();
        Kustomize.requireKubectlWithKustomize();
        targets = new ArrayList<>();

        // Bitnami postgresql-ha 16.3: the Helm post-renderer of the recipe, over the chart's output.
        List<Map<String, Object>> bitnami = Kustomize.render(
                List.of("sh", "examples/bitnami-postgresql-ha/post-renderer.sh", "databases"),
                project.resolve("src/test/kustomize/fixtures/bitnami-postgresql-ha/rendered.yaml"));
        // libpgpool.sh: PGPOOL_CONF_DIR=/opt/bitnami/pgpool/conf, pgpool.conf `pool_passwd = 'pool_passwd'`
        // (relative: beside pgpool.conf), PGPOOLKEYFILE=$PGPOOL_CONF_DIR/.pgpoolkey, which pgpool reads
        // (run.sh passes no -k); PCP on pgpool's default port 9898 (pgpool_attach_node uses localhost:9898).
        targets.add(new Target("bitnami-postgresql-ha", bitnami, "Deployment", "pg-postgresql-ha-pgpool",
                "/opt/bitnami/pgpool/conf/pool_passwd", "/opt/bitnami/pgpool/conf/.pgpoolkey",
                "pgpool/PGPOOL_ADMIN_USERNAME", "pgpool/PGPOOL_ADMIN_PASSWORD_FILE", "9898"));

        // pgpool2_on_k8s: their example manifests, labeled in a nested kustomization, plus the recipe.
        List<Map<String, Object>> official = Kustomize.build(project.resolve("src/test/kustomize/recipes/pgpool2-on-k8s"));
        Map<String, String> officialConf = pgpoolConf((String) map(one(official, "ConfigMap", "pgpool-config"), "data")
                .get("pgpool.conf"));
        assertFalse(officialConf.containsKey("pool_passwd"), "their pgpool.conf keeps the default pool_passwd");
        // entrypoint.sh copies pgpool.conf to /opt/pgpool-II/etc; pool_passwd defaults to the file beside it;
        // start.sh: pgpool -k /opt/pgpool-II/etc/.pgpoolkey; pcp.conf from PGPOOL_PCP_USER/PASSWORD.
        targets.add(new Target("pgpool2-on-k8s", official, "Deployment", "pgpool",
                "/opt/pgpool-II/etc/pool_passwd", "/opt/pgpool-II/etc/.pgpoolkey",
                "pgpool/PGPOOL_PCP_USER", "pgpool/PGPOOL_PCP_PASSWORD", officialConf.get("pcp_port")));

        // The demo: everything is in its manifests.
        List<Map<String, Object>> demo = Kustomize.build(project.resolve("kustomize/overlays/demo"));
        Map<String, Object> demoPod = podSpec(one(demo, "StatefulSet", "pgpool-sync"));
        Map<String, Object> demoPgpool = named(maps(demoPod, "containers"), "pgpool", "container");
        String configMap = (String) map(named(maps(demoPod, "volumes"), "pgpool-config", "volume"), "configMap").get("name");
        Map<String, String> demoConf = pgpoolConf((String) map(one(demo, "ConfigMap", configMap), "data").get("pgpool.conf"));
        targets.add(new Target("demo", demo, "StatefulSet", "pgpool-sync", demoConf.get("pool_passwd"),
                argAfter(strings(demoPgpool, "args"), "-k"), "pgpool-init/PCP_USERNAME", "pgpool-init/PCP_PASSWORD",
                demoConf.get("pcp_port")));
    }

    Stream<Target> targets() {
        return targets.stream();
    }

    Map<String, Object> pod(Target t) {
        return podSpec(one(t.objects(), t.kind(), t.workload()));
    }

    static Map<String, Object> container(Map<String, Object> pod, String name) {
        return named(allContainers(pod), name, "container");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void theSidecarIsAttachedOnce(Target t) {
        List<String> names = Kustomize.names(maps(pod(t), "containers"));
        assertEquals(1, names.stream().filter(SIDECAR::equals).count(), "one sidecar: " + names);
        assertTrue(names.contains("pgpool"), "pgpool's container stays: " + names);
        assertEquals("pgpool", mapOrEmpty(map(map(map(one(t.objects(), t.kind(), t.workload()), "spec"), "template"),
                "metadata"), "annotations").get("kubectl.kubernetes.io/default-container"), "default container");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void everyMountNamesAVolumeOfThePod(Target t) {
        Map<String, Object> pod = pod(t);
        List<String> volumes = Kustomize.names(maps(pod, "volumes"));
        for (Map<String, Object> c : allContainers(pod)) {
            for (Map<String, Object> m : maps(c, "volumeMounts")) {
                assertTrue(volumes.contains((String) m.get("name")),
                        c.get("name") + " mounts " + m + ", but the pod's volumes are " + volumes);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void theSidecarRunsAsPgpoolsUidAndGroup(Target t) {
        Map<String, Object> pod = pod(t);
        Map<String, Object> pgpool = container(pod, "pgpool");
        Map<String, Object> sidecar = container(pod, SIDECAR);
        for (String field : List.of("runAsUser", "runAsGroup")) {
            Long expected = effective(pod, pgpool, field);
            assertNotNull(expected, "pgpool's " + field + " is set in the manifest (a number the kubelet can check)");
            assertEquals(expected, effective(pod, sidecar, field), "the sidecar's " + field + " is pgpool's");
        }
        assertFalse(Long.valueOf(0).equals(effective(pod, sidecar, "runAsUser")), "not root");
        for (Map<String, Object> init : maps(pod, "initContainers")) {
            if (maps(init, "volumeMounts").stream().anyMatch(m -> mountOf(sidecar, "/var/lib/pgpool-passwd")
                    .get("name").equals(m.get("name")))) {
                assertEquals(effective(pod, pgpool, "runAsUser"), effective(pod, init, "runAsUser"),
                        "init container " + init.get("name") + " writes the shared folder as pgpool's UID");
                assertEquals(pgpool.get("image"), init.get("image"), "init container " + init.get("name")
                        + " uses pgpool's image (its files are copied from it)");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void theSyncWritesThePoolPasswdAndReadsTheKeyPgpoolReads(Target t) {
        Map<String, Object> pod = pod(t);
        Map<String, Object> pgpool = container(pod, "pgpool");
        Map<String, Object> sidecar = container(pod, SIDECAR);
        String poolPasswd = setting(t.objects(), sidecar, "SYNC_POOL_PASSWD");
        assertEquals(source(pod, pgpool, t.poolPasswd()), source(pod, sidecar, poolPasswd), "pool_passwd");
        assertTrue(source(pod, sidecar, poolPasswd).startsWith("emptyDir "), "pool_passwd lies in a shared emptyDir");
        String folder = poolPasswd.substring(0, poolPasswd.lastIndexOf('/'));
        assertFalse(Boolean.TRUE.equals(mountOf(sidecar, folder).get("readOnly")), "the sidecar renames in that folder");
        assertEquals(source(pod, pgpool, t.key()), source(pod, sidecar, setting(t.objects(), sidecar, "SYNC_KEY_FILE")),
                "the key file");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void pcpCredentialsComeFromWherePgpoolKeepsThem(Target t) {
        Map<String, Object> pod = pod(t);
        Map<String, Object> sidecar = container(pod, SIDECAR);
        String[] user = t.pcpUser().split("/");
        String[] password = t.pcpPassword().split("/");
        String sidecarUser = maps(sidecar, "env").stream().anyMatch(e -> "SYNC_PCP_USER".equals(e.get("name")))
                ? envSource(t, pod, sidecar, "SYNC_PCP_USER")
                : "value " + setting(t.objects(), sidecar, "SYNC_PCP_USER");
        assertEquals(envSource(t, pod, container(pod, user[0]), user[1]), sidecarUser, "PCP user");
        assertEquals(envSource(t, pod, container(pod, password[0]), password[1]),
                source(pod, sidecar, setting(t.objects(), sidecar, "SYNC_PCP_PASSWORD_FILE")), "PCP password");
        assertEquals("localhost", setting(t.objects(), sidecar, "SYNC_PCP_HOST"), "PCP in the pod");
        assertEquals(t.pcpPort(), setting(t.objects(), sidecar, "SYNC_PCP_PORT"), "pgpool's pcp_port");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void onlyTheSidecarHoldsAnApiToken(Target t) {
        KustomizeRenderTest.checkOnlySidecarHoldsToken(pod(t));
    }

    // ---- where a path or a setting comes from -------------------------------------------------

    /** A container's runAsUser/runAsGroup: its own securityContext, else the pod's. */
    static Long effective(Map<String, Object> pod, Map<String, Object> container, String field) {
        Object value = mapOrEmpty(container, "securityContext").get(field);
        if (value == null) {
            value = mapOrEmpty(pod, "securityContext").get(field);
        }
        return value == null ? null : Long.valueOf(value.toString());
    }

    /** The mount a path lies under (the longest mountPath that holds it). */
    static Map<String, Object> mountOf(Map<String, Object> container, String path) {
        Map<String, Object> best = null;
        for (Map<String, Object> m : maps(container, "volumeMounts")) {
            String at = (String) m.get("mountPath");
            if ((path.equals(at) || path.startsWith(at + "/"))
                    && (best == null || at.length() > ((String) best.get("mountPath")).length())) {
                best = m;
            }
        }
        if (best == null) {
            return fail(container.get("name") + " has no volume at " + path + " (the image's own files are not shared)");
        }
        return best;
    }

    /** What a path in a container is, pod-wide: "emptyDir VOLUME:PATH" or "Secret NAME/KEY". */
    static String source(Map<String, Object> pod, Map<String, Object> container, String path) {
        assertNotNull(path, "no path");
        Map<String, Object> mount = mountOf(container, path);
        String rel = path.substring(((String) mount.get("mountPath")).length()).replaceFirst("^/", "");
        Object subPath = mount.get("subPath");
        if (subPath != null && !subPath.toString().isEmpty()) {
            rel = rel.isEmpty() ? subPath.toString() : subPath + "/" + rel;
        }
        Map<String, Object> volume = named(maps(pod, "volumes"), (String) mount.get("name"), "volume");
        if (volume.containsKey("emptyDir")) {
            return "emptyDir " + volume.get("name") + ":" + rel;
        }
        if (volume.containsKey("secret")) {
            Map<String, Object> secret = map(volume, "secret");
            String key = rel;
            List<Map<String, Object>> items = maps(secret, "items");
            if (!items.isEmpty()) {
                String file = rel;
                key = items.stream().filter(i -> file.equals(i.get("path"))).map(i -> (String) i.get("key"))
                        .findFirst().orElseGet(() -> fail("no item of " + volume + " is the file " + file));
            }
            return "Secret " + secret.get("secretName") + "/" + key;
        }
        return fail("unexpected volume for " + path + ": " + volume);
    }

    /** Where an env entry's value comes from: "value V", "Secret NAME/KEY", or the source of a *_FILE path. */
    static String envSource(Target t, Map<String, Object> pod, Map<String, Object> container, String name) {
        Map<String, Object> entry = named(maps(container, "env"), name, "env of " + container.get("name"));
        Map<String, Object> from = mapOrEmpty(entry, "valueFrom");
        if (from.containsKey("secretKeyRef")) {
            Map<String, Object> ref = map(from, "secretKeyRef");
            return "Secret " + ref.get("name") + "/" + ref.get("key");
        }
        assertTrue(from.isEmpty(), "unexpected valueFrom " + from);
        String value = String.valueOf(entry.get("value"));
        return name.endsWith("_FILE") ? source(pod, container, value) : "value " + value;
    }
}
