package dev.replcache.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.replcache.keyspace.Bytes;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.InetAddress;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code replcache.failover.mode=lease} against fabric8's Kubernetes mock API server in CRUD
 * mode (a real HTTP server that keeps Leases and refuses stale resourceVersions), with three
 * real nodes on 127.0.0.1. Lease timings are shortened (3 s / 2 s / 500 ms) to keep the run short;
 * the algorithm does not depend on their size.
 */
class LeaseFailoverEndToEndTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final long LEASE_MS = 3_000;
    private static final long RENEW_DEADLINE_MS = 2_000;

    @TempDir
    Path dir;

    private KubernetesMockServer api;
    private KubernetesClient kube;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void startApiServer() {
        api = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        api.init(InetAddress.getLoopbackAddress(), 0);
        kube = api.createClient();
    }

    @AfterEach
    void stopAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        kube.close();
        api.destroy();
    }

    /** One node's HTTP API, in this JVM or another. */
    private interface Http {
        HttpResponse<String> send(String method, String path, String body, Map<String, String> headers);

        default JsonNode replication() {
            return JSON.readTree(send("GET", "/v1/replication", null, Map.of()).body());
        }

        default boolean holdsLease() {
            JsonNode lease = replication().path("lease");
            return lease.path("holder").asBoolean() && lease.path("mayWrite").asBoolean();
        }

        /** A write acknowledged by at least one replica (WAIT 1). */
        default boolean putAcked(String key, String value) {
            HttpResponse<String> r = send("PUT", "/v1/keys/" + key, value,
                    Map.of("Wait-Replicas", "1", "Wait-Timeout", "2000"));
            return r.statusCode() == 204 && r.headers().firstValue("Replicas-Acked").map(Integer::parseInt).orElse(0) >= 1;
        }

        default int put(String key, String value) {
            return send("PUT", "/v1/keys/" + key, value, Map.of()).statusCode();
        }
    }

    private static Http http(TestNode n) {
        return (method, path, body, headers) -> n.http(method, path, body, null, headers);
    }

    private static Http http(ChildNode n) {
        return n::http;
    }

    private String[] lease(String name, String apiUrl, String peers) {
        return new String[] {
            "replcache.failover.mode=lease",
            "replcache.failover.name=" + name,
            "replcache.failover.peers=" + peers,
            "replcache.failover.api-url=" + apiUrl,
            "replcache.failover.namespace=test",
            "replcache.failover.lease-duration=" + LEASE_MS + "ms",
            "replcache.failover.renew-deadline=" + RENEW_DEADLINE_MS + "ms",
            "replcache.failover.retry-period=500ms",
            "replcache.failover.peer-timeout=500ms",
            "replcache.failover.handover-timeout=5s",
            "logging.level.io.fabric8=WARN",
        };
    }

    private TestNode node(String name, int grpcPort, String apiUrl, String peers, String... extra) {
        List<String> settings = new ArrayList<>(List.of(lease(name, apiUrl, peers)));
        settings.addAll(List.of(extra));
        TestNode n = TestNode.start(name, dir.resolve(name), grpcPort, settings.toArray(String[]::new));
        toClose.add(n);
        return n;
    }

    private String roleLabel(String pod) {
        Map<String, String> labels = kube.pods().inNamespace("test").withName(pod).get().getMetadata().getLabels();
        return labels == null ? null : labels.get("replcache.dev/role");
    }

    private Lease currentLease() {
        return kube.leases().inNamespace("test").withName("replcache-master").get();
    }

    private static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            sleep(50);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean follows(TestNode replica, String master) {
        var link = replica.node().masterLink();
        return link != null && master.equals(String.valueOf(replica.node().masterAddress()))
                && "up".equals(replica.node().replicationView().master().linkStatus());
    }

    /** Waits until {@code master} holds the lease and the replicas follow it. */
    private static void awaitSet(Http master, String masterAddress, TestNode... replicas) {
        await("the master to hold the lease and its replicas to follow it", Duration.ofSeconds(30), () -> {
            if (!master.holdsLease()) {
                return false;
            }
            for (TestNode r : replicas) {
                if (!follows(r, masterAddress)) {
                    return false;
                }
            }
            return true;
        });
    }

    /** Writes {@code after=value} to the nodes in turn until one takes it (within the lease and then some). */
    private static TestNode firstToTakeAWrite(String what, String value, TestNode... candidates) {
        TestNode[] winner = new TestNode[1];
        await(what, Duration.ofMillis(LEASE_MS + 15_000), () -> {
            for (TestNode n : candidates) {
                if (http(n).put("after", value) == 204) {
                    winner[0] = n;
                    return true;
                }
            }
            return false;
        });
        return winner[0];
    }

    /** Three free gRPC ports, fixed before the nodes start so each can list the others as peers. */
    private record Ports(int a, int b, int c) {
        static Ports free() {
            return new Ports(TestNode.freePort(), TestNode.freePort(), TestNode.freePort());
        }

        String peers() {
            return "127.0.0.1:" + a + ",127.0.0.1:" + b + ",127.0.0.1:" + c;
        }
    }

    @Test
    void aKilledMasterIsReplacedWithinTheLeaseAndNoWaitedWriteIsLost() {
        Ports p = Ports.free();
        String peers = p.peers();
        String url = api.url("/");
        ChildNode a = ChildNode.start("a", dir.resolve("a"), p.a(), lease("a", url, peers));
        toClose.add(a);
        TestNode b = node("b", p.b(), url, peers);
        TestNode c = node("c", p.c(), url, peers);
        a.awaitUp(Duration.ofSeconds(90));
        Http ha = http(a);

        // A fresh set: nobody has synced, everyone answered, so the smallest name stands and wins.
        awaitSet(ha, a.grpcAddress(), b, c);
        assertThat(currentLease().getMetadata().getAnnotations()).containsEntry("replcache.dev/holder-name", "a");
        long epochBefore = currentLease().getSpec().getLeaseTransitions();

        List<String> acked = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            if (ha.putAcked("k" + i, "v" + i)) {
                acked.add("k" + i);
            }
        }
        assertThat(acked).hasSize(200);

        a.kill();
        long killedAt = System.nanoTime();
        TestNode[] winner = {firstToTakeAWrite("a replica to take writes", "kill", b, c)};
        long failoverMs = (System.nanoTime() - killedAt) / 1_000_000;
        TestNode newMaster = winner[0];
        TestNode other = newMaster == b ? c : b;
        System.out.printf("lease failover: kill -9 to first write on %s in %d ms%n",
                newMaster == b ? "b" : "c", failoverMs);
        assertThat(failoverMs).isLessThan(LEASE_MS + 15_000);
        assertThat(currentLease().getSpec().getLeaseTransitions()).isEqualTo(epochBefore + 1);

        for (String k : acked) {
            assertThat(newMaster.node().keyspace().get(Bytes.utf8(k))).as(k).isNotNull();
        }
        // The other replica follows the new master, continuing its history (partial resync).
        await("the other replica to follow the new master", Duration.ofSeconds(20),
                () -> follows(other, newMaster.grpcAddress()));
        var otherLink = other.node().replicationView().master();
        assertThat(otherLink.partialSyncs()).isEqualTo(1);
        assertThat(otherLink.fullSyncs()).isZero();
        await("the write after the kill on the other replica", Duration.ofSeconds(10),
                () -> other.node().keyspace().get(Bytes.utf8("after")) != null);
        // The new master's epoch travels in its stream (a replica refuses a stream of an older one).
        await("the new epoch in the stream", Duration.ofSeconds(5),
                () -> other.node().masterLink().masterLease().epoch() == epochBefore + 1);
        // Its entries past the promotion are of the new epoch: the other replica's last entry is.
        assertThat(other.node().historyEpoch()).isEqualTo(epochBefore + 1);

        // The old master comes back: the lease is held, so it joins as a replica and resyncs.
        a.restart();
        a.awaitUp(Duration.ofSeconds(90));
        await("the returning old master to follow the new one", Duration.ofSeconds(30), () -> {
            JsonNode r = ha.replication();
            return "replica".equals(r.path("role").asString())
                    && newMaster.grpcPort() == r.path("master").path("port").asInt()
                    && "up".equals(r.path("master").path("linkStatus").asString());
        });
        assertThat(ha.send("GET", "/v1/keys/after", null, Map.of()).body()).isEqualTo("kill");
        assertThat(ha.put("x", "y")).isNotEqualTo(204);
    }

    @Test
    void aMasterCutOffFromTheApiServerStopsWritingBeforeAnotherIsElected() throws Exception {
        Ports p = Ports.free();
        String peers = p.peers();
        TcpProxy aToApi = new TcpProxy("127.0.0.1", api.getPort());
        toClose.add(aToApi);
        TestNode a = node("a", p.a(), aToApi.url(), peers);
        TestNode b = node("b", p.b(), api.url("/"), peers);
        TestNode c = node("c", p.c(), api.url("/"), peers);
        Http ha = http(a);
        awaitSet(ha, a.grpcAddress(), b, c);

        // Writes run against a while its way to the API server is cut; its replicas stay connected.
        List<String> acked = new ArrayList<>();
        AtomicBoolean running = new AtomicBoolean(true);
        long[] lastAckedOnA = {0};
        Thread writer = new Thread(() -> {
            for (int i = 0; running.get(); i++) {
                if (ha.putAcked("w" + i, "v")) {
                    synchronized (acked) {
                        acked.add("w" + i);
                    }
                    lastAckedOnA[0] = System.nanoTime();
                } else {
                    sleep(20);
                }
            }
        });
        writer.start();
        sleep(300);
        long cutAt = System.nanoTime();
        aToApi.cut();
        await("a to refuse writes", Duration.ofMillis(RENEW_DEADLINE_MS + 3_000), () -> ha.put("probe", "x") == 503);
        long fencedAfterMs = (System.nanoTime() - cutAt) / 1_000_000;

        TestNode[] winner = {firstToTakeAWrite("b or c to take writes", "cut", b, c)};
        long newMasterAt = System.nanoTime();
        running.set(false);
        writer.join();
        System.out.printf("lease fence: a refused writes %d ms after losing the API server; the new master took "
                + "writes %d ms after it%n", fencedAfterMs, (newMasterAt - cutAt) / 1_000_000);
        assertThat(fencedAfterMs).isLessThan(RENEW_DEADLINE_MS + 3_000);
        assertThat(lastAckedOnA[0]).isLessThan(newMasterAt);
        assertThat(acked).isNotEmpty();
        TestNode newMaster = winner[0];
        for (String k : acked) {
            assertThat(newMaster.node().keyspace().get(Bytes.utf8(k))).as(k).isNotNull();
        }

        // Operators see why: health and metrics.
        String health = a.get("/actuator/health").body();
        assertThat(health).contains("\"mayWrite\":false").contains("\"apiReachable\":false");
        assertThat(a.get("/actuator/prometheus").body()).contains("replcache_failover_writable 0.0")
                .contains("replcache_failover_api_reachable 0.0");
        assertThat(newMaster.get("/actuator/prometheus").body()).contains("replcache_failover_lease_holder 1.0")
                .contains("replcache_failover_epoch 1.0");

        // After the election the old master acknowledges nothing, over any API.
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> r = ha.send("PUT", "/v1/keys/late" + i, "x", Map.of());
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.body()).contains("no-master");
            sleep(50);
        }

        // Its way back: it sees the new holder and joins it as a replica.
        aToApi.restore();
        await("the old master to follow the new one", Duration.ofSeconds(30), () -> follows(a, newMaster.grpcAddress()));
        assertThat(a.node().keyspace().get(Bytes.utf8("after"))).isEqualTo(Bytes.utf8("cut"));
    }

    @Test
    void aStoppingMasterHandsItsRoleAndTheLeaseOverWithoutLosingAWrite() throws Exception {
        Ports p = Ports.free();
        String peers = p.peers();
        String url = api.url("/");
        for (String pod : List.of("a", "b", "c")) {
            kube.pods().inNamespace("test").resource(new PodBuilder().withNewMetadata().withName(pod).endMetadata()
                    .build()).create();
        }
        TestNode a = node("a", p.a(), url, peers, "replcache.failover.pod-name=a");
        TestNode b = node("b", p.b(), url, peers, "replcache.failover.pod-name=b");
        TestNode c = node("c", p.c(), url, peers, "replcache.failover.pod-name=c");
        awaitSet(http(a), a.grpcAddress(), b, c);
        // The chart's Services select on the role label each node sets on its own pod.
        await("the role labels", Duration.ofSeconds(10), () -> "master".equals(roleLabel("a"))
                && "replica".equals(roleLabel("b")) && "replica".equals(roleLabel("c")));
        long epochBefore = currentLease().getSpec().getLeaseTransitions();

        // A paced writer that moves to whichever node takes its writes; only WAIT-1 acks count.
        List<TestNode> nodes = List.of(a, b, c);
        List<String> acked = new ArrayList<>();
        List<Long> ackTimes = new ArrayList<>();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicBoolean aStopped = new AtomicBoolean(false);
        Thread writer = new Thread(() -> {
            int target = 0;
            for (int i = 0; running.get(); i++) {
                TestNode n = nodes.get(target);
                boolean ok;
                try {
                    ok = !(n == a && aStopped.get()) && http(n).putAcked("s" + i, "v");
                } catch (RuntimeException e) {
                    ok = false;
                }
                if (ok) {
                    synchronized (acked) {
                        acked.add("s" + i);
                        ackTimes.add(System.nanoTime());
                    }
                    sleep(5);
                } else {
                    target = (target + 1) % nodes.size();
                    sleep(5);
                }
            }
        });
        writer.start();
        sleep(1_000);
        a.close(); // SIGTERM's path: the context closes
        aStopped.set(true);
        toClose.remove(a);
        sleep(2_000);
        running.set(false);
        writer.join();

        Lease lease = currentLease();
        String holderName = lease.getMetadata().getAnnotations().get("replcache.dev/holder-name");
        assertThat(holderName).isIn("b", "c");
        assertThat(lease.getSpec().getLeaseTransitions()).isEqualTo(epochBefore + 1);
        TestNode newMaster = holderName.equals("b") ? b : c;
        TestNode other = newMaster == b ? c : b;
        assertThat(http(newMaster).holdsLease()).isTrue();
        assertThat(roleLabel("a")).isEqualTo("replica");
        await("the new master's label", Duration.ofSeconds(5), () -> "master".equals(roleLabel(holderName)));
        assertThat(roleLabel(other == b ? "b" : "c")).isEqualTo("replica");
        for (String k : acked) {
            assertThat(newMaster.node().keyspace().get(Bytes.utf8(k))).as(k).isNotNull();
        }
        await("the other replica to follow the new master", Duration.ofSeconds(10),
                () -> follows(other, newMaster.grpcAddress()));
        assertThat(other.node().replicationView().master().fullSyncs()).isZero();

        long longestGapMs = 0;
        for (int i = 1; i < ackTimes.size(); i++) {
            longestGapMs = Math.max(longestGapMs, (ackTimes.get(i) - ackTimes.get(i - 1)) / 1_000_000);
        }
        System.out.printf("lease handover: %d acked writes, longest pause between acks %d ms%n", acked.size(),
                longestGapMs);
        assertThat(acked.size()).isGreaterThan(10);
    }

    @Test
    void anOperatorsFailoverMovesTheLeaseToItsTargetAndAPriorityZeroNodeNeverTakesIt() throws Exception {
        Ports p = Ports.free();
        String peers = p.peers();
        String url = api.url("/");
        TestNode a = node("a", p.a(), url, peers);
        TestNode b = node("b", p.b(), url, peers);
        TestNode c = node("c", p.c(), url, peers, "replcache.failover.priority=0");
        awaitSet(http(a), a.grpcAddress(), b, c);
        assertThat(http(a).putAcked("before", "failover")).isTrue();
        long epochBefore = currentLease().getSpec().getLeaseTransitions();

        // FAILOVER by hand (Redis's FAILOVER TO): the lease follows the role instead of an election.
        HttpResponse<String> failover = a.json("POST", "/v1/replication/failover",
                "{\"to\":\"" + b.grpcAddress() + "\",\"timeoutMs\":5000}");
        assertThat(failover.statusCode()).as(failover.body()).isEqualTo(200);
        await("b to hold the lease, a and c to follow it", Duration.ofSeconds(15),
                () -> http(b).holdsLease() && follows(a, b.grpcAddress()) && follows(c, b.grpcAddress()));
        assertThat(currentLease().getSpec().getLeaseTransitions()).isEqualTo(epochBefore + 1);
        assertThat(currentLease().getSpec().getHolderIdentity()).isEqualTo(b.node().nodeId());
        assertThat(b.node().keyspace().get(Bytes.utf8("before"))).isEqualTo(Bytes.utf8("failover"));

        // Stopping b hands over to a, never to c (priority 0), although c is as caught up.
        b.close();
        toClose.remove(b);
        await("a to hold the lease again", Duration.ofSeconds(15),
                () -> http(a).holdsLease() && follows(c, a.grpcAddress()));
        assertThat(currentLease().getMetadata().getAnnotations()).containsEntry("replcache.dev/holder-name", "a");
        assertThat(http(c).holdsLease()).isFalse();
    }

    @Test
    void aReplicaThatNeverSyncedDoesNotStandWhenTheMasterDies() {
        Ports p = Ports.free();
        String peers = p.peers();
        String url = api.url("/");
        String token = "replcache.replication.auth-token=s3cret";
        ChildNode m = ChildNode.start("m", dir.resolve("m"), p.a(), withExtra(lease("m", url, peers), token));
        toClose.add(m);
        TestNode z = node("z", p.c(), url, peers, token);
        // b presents the wrong replication token: its link to the master never completes a sync.
        // (Its priority only keeps it out of the fresh election, where nobody has synced yet.)
        TestNode b = node("b", p.b(), url, peers, "replcache.replication.auth-token=guess",
                "replcache.failover.priority=200");
        m.awaitUp(Duration.ofSeconds(90));
        awaitSet(http(m), m.grpcAddress(), z);
        await("b to follow m without syncing", Duration.ofSeconds(10),
                () -> String.valueOf(b.node().masterAddress()).equals(m.grpcAddress()));
        assertThat(b.node().syncedThisRun()).isFalse();

        m.kill();
        TestNode winner = firstToTakeAWrite("a replica to take writes", "kill", b, z);
        assertThat(winner).as("the synced replica wins, not the one that never synced").isSameAs(z);
        // b could not have stood: it never synced, and its dead master did not answer.
        assertThat(b.node().replicationView().lease().holder()).isFalse();
        assertThat(currentLease().getMetadata().getAnnotations()).containsEntry("replcache.dev/holder-name", "z");
        assertThat(http(b).put("x", "y")).isNotEqualTo(204);
    }

    private static String[] withExtra(String[] settings, String... extra) {
        String[] all = java.util.Arrays.copyOf(settings, settings.length + extra.length);
        System.arraycopy(extra, 0, all, settings.length, extra.length);
        return all;
    }
}
