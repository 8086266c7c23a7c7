package dev.replcache.e2e;

import static dev.replcache.e2e.Cluster.awaitInSync;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.replcache.api.replication.v1.FailoverRequest;
import dev.replcache.api.replication.v1.FailoverResponse;
import dev.replcache.api.replication.v1.ReplicationServiceGrpc;
import dev.replcache.keyspace.Bytes;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import dev.replcache.replication.ReplicationId;
import dev.replcache.replication.ReplicationStats;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Topologies over real sockets: cascading chains, promotion after a master's death, and the
 * coordinated failover, each node a separate Spring application with its own data directory.
 */
class TopologyEndToEndTest {

    @TempDir
    Path tmp;

    private Cluster cluster;

    @BeforeEach
    void cluster() {
        cluster = new Cluster(tmp);
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    private static void write(TestNode n, String prefix, int count) {
        for (int i = 0; i < count; i++) {
            n.node().writableKeyspace().set(Bytes.utf8(prefix + i), Bytes.utf8("v" + i));
        }
    }

    @Test
    void aChainOfThreeLevelsForwardsTheIdenticalStream() {
        TestNode master = cluster.start("master");
        write(master, "before:", 5_000);
        TestNode a = cluster.start("a", "replcache.replication.master=" + master.grpcAddress());
        TestNode b = cluster.start("b", "replcache.replication.master=" + a.grpcAddress());
        TestNode c = cluster.start("c", "replcache.replication.master=" + b.grpcAddress());
        write(master, "after:", 2_000);
        master.node().writableKeyspace().pexpire(Bytes.utf8("after:1"), 3_600_000);

        awaitInSync(master, a);
        awaitInSync(master, b);
        awaitInSync(master, c);
        // One history all the way down: same replId and offset at every level.
        assertThat(c.node().replicationLog().offset()).isEqualTo(master.node().replicationLog().offset());

        // A link cut in the middle of the chain: b resumes partially from a's backlog, c is untouched.
        long aPartialBefore = a.node().master().stats().syncPartialOk();
        long cFullBefore = b.node().master().stats().syncFull();
        b.node().disconnectFromMaster("test: cut");
        write(master, "later:", 500);
        awaitInSync(master, c);
        assertThat(a.node().master().stats().syncPartialOk()).isEqualTo(aPartialBefore + 1);
        assertThat(b.node().master().stats().syncFull()).as("c never needed a full sync").isEqualTo(cFullBefore);

        // The middle replica's replicas can be asked where they stand.
        HttpResponse<String> view = b.http("GET", "/v1/replication", null, null);
        assertThat(view.body()).contains("\"role\":\"replica\"").contains(c.node().nodeId());
    }

    @Test
    void aReplicaWhoseMasterFullSyncsAgainMakesItsReplicasLearnTheNewHistory() {
        TestNode master = cluster.start("master");
        write(master, "k", 1_000);
        TestNode a = cluster.start("a", "replcache.replication.master=" + master.grpcAddress());
        TestNode b = cluster.start("b", "replcache.replication.master=" + a.grpcAddress());
        awaitInSync(master, b);

        // a follows another master with another history: its full sync must reach b too.
        TestNode other = cluster.start("other");
        write(other, "other:", 300);
        a.http("PUT", "/v1/replication/master", "{\"host\":\"127.0.0.1\",\"port\":" + other.grpcPort() + "}",
                "application/json");
        awaitInSync(other, a);
        awaitInSync(other, b);
        assertThat(b.node().keyspace().get(Bytes.utf8("k1"))).isNull();
        assertThat(b.node().keyspace().get(Bytes.utf8("other:1"))).isEqualTo(Bytes.utf8("v1"));
    }

    @Test
    void afterTheMasterDiesAPromotedReplicaServesTheOtherReplicaWithAPartialResync() {
        TestNode master = cluster.start("master");
        write(master, "k", 3_000);
        TestNode a = cluster.start("a", "replcache.replication.master=" + master.grpcAddress());
        TestNode b = cluster.start("b", "replcache.replication.master=" + master.grpcAddress());
        TestNode sub = cluster.start("sub", "replcache.replication.master=" + a.grpcAddress());
        write(master, "live:", 500);
        awaitInSync(master, a);
        awaitInSync(master, b);
        awaitInSync(master, sub);
        ReplicationId oldId = master.node().replicationLog().replId();
        long oldOffset = master.node().replicationLog().offset();
        long fullBefore = a.node().master().stats().syncFull(); // sub's first sync from a
        long partialBefore = a.node().master().stats().syncPartialOk();

        master.close(); // the master dies
        HttpResponse<String> promoted = a.http("DELETE", "/v1/replication/master", null, null);
        assertThat(promoted.statusCode()).isEqualTo(200);
        assertThat(a.node().role()).isEqualTo("master");
        assertThat(a.node().replicationLog().replId2()).isEqualTo(oldId);
        assertThat(a.node().replicationLog().secondReplOffset()).isEqualTo(oldOffset);

        b.http("PUT", "/v1/replication/master", "{\"host\":\"127.0.0.1\",\"port\":" + a.grpcPort() + "}", "application/json");
        a.node().writableKeyspace().set(Bytes.utf8("after-promotion"), Bytes.utf8("x"));
        awaitInSync(a, b);
        awaitInSync(a, sub);

        ReplicationStats stats = a.node().master().stats();
        assertThat(stats.syncFull()).as("no full sync after the promotion").isEqualTo(fullBefore);
        // b moved over, and the sub-replica reconnected to learn the new id: both partial.
        assertThat(stats.syncPartialOk()).isGreaterThanOrEqualTo(partialBefore + 2);
        assertThat(b.node().replicationLog().replId2()).isEqualTo(oldId);
        assertThat(sub.node().replicationLog().replId()).isEqualTo(a.node().replicationLog().replId());
    }

    /** A client that writes w:0, w:1, ... to whoever is master, remembering what was acknowledged. */
    private static final class Writer extends Thread {
        private static final Pattern MASTER = Pattern.compile("\"master\":\"([^\"]+)\"");
        final Map<String, String> acknowledged = new ConcurrentHashMap<>();
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicReference<TestNode> target;
        final Map<String, TestNode> byGrpcAddress;
        private final String prefix;
        volatile int paused;
        volatile int redirected;

        Writer(TestNode master, Map<String, TestNode> byGrpcAddress) {
            this(master, byGrpcAddress, "w:");
        }

        Writer(TestNode master, Map<String, TestNode> byGrpcAddress, String prefix) {
            this.target = new AtomicReference<>(master);
            this.byGrpcAddress = byGrpcAddress;
            this.prefix = prefix;
        }

        @Override
        public void run() {
            int i = 0;
            while (running.get()) {
                String key = prefix + i;
                HttpResponse<String> r = target.get().http("PUT", "/v1/keys/" + key, "v" + i, null);
                if (r.statusCode() / 100 == 2) {
                    acknowledged.put(key, "v" + i);
                    i++;
                } else if (r.statusCode() == 503 && r.body().contains("writes-paused")) {
                    paused++;
                } else if (r.statusCode() == 409 && r.body().contains("read-only-replica")) {
                    // Demoted under the write (the keyspace said READONLY, naming no master yet): ask again.
                    Matcher m = MASTER.matcher(r.body());
                    if (m.find()) {
                        target.set(byGrpcAddress.get(m.group(1)));
                        redirected++;
                    }
                } else {
                    throw new AssertionError("unexpected answer " + r.statusCode() + " " + r.body());
                }
            }
        }
    }

    /**
     * Issue 11's stress item: four writers on their own threads while the master role goes back
     * and forth six times. Every acknowledged write is on both nodes afterwards, and their
     * histories and data are one.
     */
    @Test
    void failoversBackAndForthUnderFourWritersLoseNoAcknowledgedWrite() throws Exception {
        TestNode x = cluster.start("x");
        TestNode y = cluster.start("y", "replcache.replication.master=" + x.grpcAddress());
        awaitInSync(x, y);
        Map<String, TestNode> nodes = Map.of(x.grpcAddress(), x, y.grpcAddress(), y);
        List<Writer> writers = new java.util.ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Writer w = new Writer(x, nodes, "t" + t + ":");
            w.setDaemon(true);
            writers.add(w);
            w.start();
        }
        TestNode master = x;
        TestNode replica = y;
        for (int round = 0; round < 6; round++) {
            int before = writers.stream().mapToInt(w -> w.acknowledged.size()).sum();
            await().atMost(Duration.ofSeconds(30)).until(() -> writers.stream().mapToInt(w -> w.acknowledged.size()).sum()
                    >= before + 100);
            TestNode from = master;
            TestNode to = replica;
            await().atMost(Duration.ofSeconds(30)).until(() -> from.node().master().onlineReplicas().size() == 1);
            HttpResponse<String> done = from.json("POST", "/v1/replication/failover",
                    "{\"to\":\"" + to.grpcAddress() + "\",\"timeoutMs\":10000}");
            assertThat(done.statusCode()).as("round %d: %s", round, done.body()).isEqualTo(200);
            master = to;
            replica = from;
        }
        for (Writer w : writers) {
            w.running.set(false);
        }
        for (Writer w : writers) {
            w.join(30_000);
            assertThat(w.isAlive()).isFalse();
        }
        assertThat(master.node().role()).isEqualTo("master");
        assertThat(replica.node().role()).isEqualTo("replica");
        awaitInSync(master, replica);
        int acknowledged = 0;
        for (Writer w : writers) {
            for (Map.Entry<String, String> e : w.acknowledged.entrySet()) {
                assertThat(master.node().keyspace().get(Bytes.utf8(e.getKey()))).as(e.getKey()).isEqualTo(Bytes.utf8(e.getValue()));
                acknowledged++;
            }
        }
        assertThat(acknowledged).isGreaterThanOrEqualTo(600);
    }

    @Test
    void aFailoverUnderWriteLoadLosesNoAcknowledgedWrite() throws Exception {
        TestNode master = cluster.start("master");
        write(master, "k", 2_000);
        TestNode a = cluster.start("a", "replcache.replication.master=" + master.grpcAddress());
        TestNode b = cluster.start("b", "replcache.replication.master=" + master.grpcAddress());
        awaitInSync(master, a);
        awaitInSync(master, b);
        ReplicationId oldId = master.node().replicationLog().replId();
        long fullBefore = master.node().master().stats().syncFull(); // a's and b's first syncs
        long partialBefore = master.node().master().stats().syncPartialOk();

        Writer writer = new Writer(master, Map.of(master.grpcAddress(), master, a.grpcAddress(), a, b.grpcAddress(), b));
        writer.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> writer.acknowledged.size() >= 200);

        HttpResponse<String> done = master.json("POST", "/v1/replication/failover",
                "{\"to\":\"" + a.grpcAddress() + "\",\"timeoutMs\":10000}");
        assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
        assertThat(done.body()).contains("\"newMaster\":\"" + a.grpcAddress() + "\"");
        int before = writer.acknowledged.size();
        await().atMost(Duration.ofSeconds(30)).until(() -> writer.acknowledged.size() >= before + 200);
        writer.running.set(false);
        writer.join();

        assertThat(writer.redirected).as("the writer was sent to the new master").isGreaterThanOrEqualTo(1);
        assertThat(a.node().role()).isEqualTo("master");
        assertThat(master.node().role()).isEqualTo("replica");
        assertThat(a.node().replicationLog().replId2()).isEqualTo(oldId);
        awaitInSync(a, master);
        awaitInSync(a, b);
        for (Map.Entry<String, String> e : writer.acknowledged.entrySet()) {
            assertThat(a.node().keyspace().get(Bytes.utf8(e.getKey()))).as(e.getKey())
                    .isEqualTo(Bytes.utf8(e.getValue()));
        }
        // The old master continued a's history partially; b, its replica, too (now a sub-replica of a).
        assertThat(a.node().master().stats().syncFull()).isZero();
        assertThat(master.node().master().stats().syncFull()).isEqualTo(fullBefore);
        assertThat(master.node().master().stats().syncPartialOk()).isGreaterThanOrEqualTo(partialBefore + 1);

        // And back, over gRPC: the old master is an online replica of a now.
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", a.grpcPort()).usePlaintext().build();
        try {
            FailoverResponse back = ReplicationServiceGrpc.newBlockingStub(channel).failover(FailoverRequest.newBuilder()
                    .setTo(master.grpcAddress()).setTimeoutMs(10_000).build());
            assertThat(back.getNewMaster()).isEqualTo(master.grpcAddress());
            assertThat(back.getOffset()).isEqualTo(a.node().replicationLog().offset());
        } finally {
            channel.shutdownNow();
        }
        assertThat(master.node().role()).isEqualTo("master");
        assertThat(a.node().role()).isEqualTo("replica");
        awaitInSync(master, a);
    }

    /**
     * The coordinator asks the target for its ack at once: with periodic acks and pings 30 s
     * apart, a failover right after some writes completes well within its 5 s timeout.
     */
    @Test
    void aFailoverAsksTheTargetForItsAckRatherThanWaitingForAPeriodicOne() {
        TestNode master = cluster.start("master", "replcache.replication.ping-interval=30s");
        TestNode a = cluster.start("a", "replcache.replication.master=" + master.grpcAddress(),
                "replcache.replication.ack-interval=30s");
        awaitInSync(master, a);
        write(master, "k", 100); // applied by the replica, not acked: nothing periodic for 30 s
        awaitInSync(master, a);

        HttpResponse<String> done = master.json("POST", "/v1/replication/failover",
                "{\"to\":\"" + a.grpcAddress() + "\",\"timeoutMs\":5000}");
        assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
        assertThat(a.node().role()).isEqualTo("master");
    }

    @Test
    void aFailoverWhoseTargetDoesNotAckInTimeAbortsAndWritesResume() {
        AckFaults faults = new AckFaults();
        TestNode master = cluster.start("master", new Object[] {faults});
        TestNode a = cluster.start("a", new Object[0], "replcache.replication.master=" + master.grpcAddress());
        write(master, "k", 100);
        awaitInSync(master, a);
        ReplicationId id = master.node().replicationLog().replId();

        faults.dropping.set(true);
        master.node().writableKeyspace().set(Bytes.utf8("unacked"), Bytes.utf8("x"));
        HttpResponse<String> aborted = master.json("POST", "/v1/replication/failover", "{\"timeoutMs\":1000}");
        assertThat(aborted.statusCode()).isEqualTo(409);
        assertThat(aborted.body()).contains("failover-failed").contains("did not ack").contains("\"aborted\":true");
        // The replica did answer the master's requests for acks; they were lost on the way.
        await().atMost(Duration.ofSeconds(10)).until(() -> faults.dropped.get() > 0);

        assertThat(master.node().role()).isEqualTo("master");
        assertThat(master.node().replicationLog().replId()).isEqualTo(id);
        assertThat(a.node().role()).isEqualTo("replica");
        assertThat(master.http("PUT", "/v1/keys/after", "y", null).statusCode()).isEqualTo(204);
        faults.dropping.set(false);
        awaitInSync(master, a);
    }

    /** A master, a FAILOVER target with handshake faults (off) that follows it, in sync at (oldId, x). */
    private record Handover(TestNode master, TestNode target, HandshakeFaults faults, ReplicationId oldId, long x) {
    }

    /**
     * The target follows by REPLICAOF, not by configuration: restarted, it comes back as the master
     * its dump says it was.
     */
    private Handover handover(int keys) {
        HandshakeFaults faults = new HandshakeFaults();
        TestNode master = cluster.start("master");
        TestNode target = cluster.start("target", new Object[] {faults});
        assertThat(target.http("PUT", "/v1/replication/master", "{\"host\":\"127.0.0.1\",\"port\":" + master.grpcPort()
                + "}", "application/json").statusCode()).isEqualTo(200);
        write(master, "k", keys);
        awaitInSync(master, target);
        return new Handover(master, target, faults, master.node().replicationLog().replId(),
                master.node().replicationLog().offset());
    }

    /**
     * Issue 11 row 2: the target takes over but every answer to the handshake is lost. The old
     * master used to revert at the deadline and take writes again (two masters); now it stays the
     * target's replica, refusing writes, until an answer gets through, and then follows it.
     */
    @Test
    void aFailoverWhoseAnswersAreLostLeavesTheOldMasterAReplicaUntilTheTargetAnswers() {
        Handover h = handover(100);
        HandshakeFaults faults = h.faults();
        TestNode master = h.master();
        TestNode target = h.target();
        ReplicationId oldId = h.oldId();
        long x = h.x();

        faults.losingAnswers.set(true);
        HttpResponse<String> unknown = master.json("POST", "/v1/replication/failover", "{\"timeoutMs\":500}");
        assertThat(unknown.statusCode()).as(unknown.body()).isEqualTo(409);
        assertThat(unknown.body()).contains("outcome unknown").contains("\"outcomeUnknown\":true")
                .contains("\"aborted\":false");
        assertThat(faults.answersLost.get()).isPositive();
        // The target took over at exactly X.
        assertThat(target.node().role()).isEqualTo("master");
        assertThat(target.node().replicationLog().replId2()).isEqualTo(oldId);
        assertThat(target.node().replicationLog().secondReplOffset()).isEqualTo(x);
        // The old master never takes a write again on its own, however long the answers stay lost.
        int lostBefore = faults.answersLost.get();
        await().atMost(Duration.ofSeconds(20)).until(() -> faults.answersLost.get() >= lostBefore + 3);
        assertThat(master.node().role()).isEqualTo("replica");
        assertThat(master.node().replicationView().failoverState()).isEqualTo("failover-outcome-unknown");
        assertThat(master.node().replicationLog().replId()).isEqualTo(oldId);
        assertThat(master.node().replicationLog().offset()).isEqualTo(x);
        HttpResponse<String> refused = master.http("PUT", "/v1/keys/during", "x", null);
        assertThat(refused.statusCode()).isEqualTo(409);
        assertThat(refused.body()).contains("read-only-replica");
        assertThat(master.get("/actuator/health").body()).contains("failover-outcome-unknown");
        // The target takes writes meanwhile: they are its history.
        assertThat(target.http("PUT", "/v1/keys/on-target", "t", null).statusCode()).isEqualTo(204);

        faults.losingAnswers.set(false);
        await().atMost(Duration.ofSeconds(20))
                .until(() -> master.node().replicationView().failoverState().equals("no-failover"));
        awaitInSync(target, master);
        assertThat(master.node().role()).isEqualTo("replica");
        assertThat(master.node().replicationLog().replId()).isEqualTo(target.node().replicationLog().replId());
        assertThat(master.node().replicationLog().replId2()).isEqualTo(oldId);
        assertThat(master.node().keyspace().get(Bytes.utf8("on-target"))).isEqualTo(Bytes.utf8("t"));
        assertThat(master.node().keyspace().get(Bytes.utf8("during"))).isNull();
        assertThat(master.node().replicationView().master().partialSyncs()).as("it continued at X").isEqualTo(1);
    }

    /**
     * Found by the simulation (seed 399): the target takes over, its answer is lost, and it restarts
     * cleanly. It used to forget its replId2 in the restart and answer the retried handshake
     * "already a master", which the old master took as a refusal: two masters. Now the clean
     * shutdown's marker keeps replId2, so the target still continues the old master at X, and
     * "already a master" alone never reverts anyone (FailoverTest, the simulation).
     */
    @Test
    void aTargetThatTookOverAndRestartedCleanlyStillAnswersTheRetriedHandshake() {
        Handover h = handover(50);
        HandshakeFaults faults = h.faults();
        TestNode master = h.master();
        TestNode target = h.target();
        ReplicationId oldId = h.oldId();
        long x = h.x();

        faults.losingAnswers.set(true);
        HttpResponse<String> unknown = master.json("POST", "/v1/replication/failover", "{\"timeoutMs\":500}");
        assertThat(unknown.body()).contains("\"outcomeUnknown\":true");
        assertThat(target.node().role()).isEqualTo("master");
        ReplicationId newId = target.node().replicationLog().replId();
        target.restart();
        assertThat(target.node().role()).isEqualTo("master");
        assertThat(target.node().replicationLog().replId()).isEqualTo(newId);
        assertThat(target.node().replicationLog().replId2()).as("kept by the clean shutdown's marker").isEqualTo(oldId);
        assertThat(target.node().replicationLog().secondReplOffset()).isEqualTo(x);
        assertThat(master.node().role()).isEqualTo("replica");
        assertThat(master.http("PUT", "/v1/keys/during", "x", null).statusCode()).isEqualTo(409);

        faults.losingAnswers.set(false);
        await().atMost(Duration.ofSeconds(20))
                .until(() -> master.node().replicationView().failoverState().equals("no-failover"));
        awaitInSync(target, master);
        assertThat(master.node().replicationLog().replId()).isEqualTo(newId);
        assertThat(master.node().replicationView().master().partialSyncs()).as("continued at X").isEqualTo(1);
        assertThat(master.node().keyspace().dbSize()).isEqualTo(50);
    }

    /** A refusal is an answer: the target did not take over, so the old master is the master again. */
    @Test
    void aFailoverTheTargetRefusesRevertsTheOldMasterWithItsHistory() {
        Handover h = handover(100);
        HandshakeFaults faults = h.faults();
        TestNode master = h.master();
        TestNode target = h.target();
        ReplicationId oldId = h.oldId();
        long x = h.x();

        faults.forgingKeys.set(true);
        HttpResponse<String> refused = master.json("POST", "/v1/replication/failover", "{\"timeoutMs\":2000}");
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(409);
        assertThat(refused.body()).contains("failover refused").contains("handover key mismatch")
                .contains("\"aborted\":true").contains("\"outcomeUnknown\":false");
        assertThat(faults.keysForged.get()).as("asked once: a refusal is final").isEqualTo(1);
        assertThat(master.node().role()).isEqualTo("master");
        assertThat(master.node().replicationLog().replId()).isEqualTo(oldId);
        assertThat(master.node().replicationLog().offset()).isEqualTo(x);
        assertThat(master.node().replicationView().failoverState()).isEqualTo("no-failover");
        assertThat(target.node().role()).isEqualTo("replica");
        assertThat(master.http("PUT", "/v1/keys/after", "y", null).statusCode()).isEqualTo(204);
        awaitInSync(master, target);
    }

    @Test
    void aFailoverThatCannotStartSaysWhy() {
        TestNode master = cluster.start("master");
        HttpResponse<String> none = master.json("POST", "/v1/replication/failover", "{}");
        assertThat(none.statusCode()).isEqualTo(409);
        assertThat(none.body()).contains("FAILOVER requires connected replicas").contains("\"aborted\":false");
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", master.grpcPort()).usePlaintext().build();
        try {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ReplicationServiceGrpc
                    .newBlockingStub(channel).failover(FailoverRequest.newBuilder().setTimeoutMs(1000).build()));
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
            assertThat(e.getStatus().getDescription()).contains("FAILOVER requires connected replicas");
        } finally {
            channel.shutdownNow();
        }

        TestNode a = cluster.start("a", "replcache.replication.master=" + master.grpcAddress());
        awaitInSync(master, a);
        HttpResponse<String> wrongTarget = master.json("POST", "/v1/replication/failover", "{\"to\":\"127.0.0.1:1\"}");
        assertThat(wrongTarget.statusCode()).isEqualTo(409);
        assertThat(wrongTarget.body()).contains("not an online replica");
        HttpResponse<String> onReplica = a.json("POST", "/v1/replication/failover", "{}");
        assertThat(onReplica.statusCode()).isEqualTo(409);
        assertThat(onReplica.body()).contains("not valid when server is a replica");
        HttpResponse<String> bad = master.json("POST", "/v1/replication/failover", "{\"to\":\"nonsense\"}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(master.node().role()).isEqualTo("master");
    }
}
