package dev.replcache.e2e;

import static dev.replcache.e2e.Cluster.awaitInSync;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.replcache.api.cache.v1.CacheServiceGrpc;
import dev.replcache.api.cache.v1.SetRequest;
import dev.replcache.keyspace.Bytes;
import dev.replcache.keyspace.Keyspace;
import dev.replcache.keyspace.SetCondition;
import dev.replcache.keyspace.Ttl;
import dev.replcache.node.CacheNode;
import dev.replcache.replication.ReplicationStats;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Master and replicas as separate nodes (separate Spring applications on real sockets, each
 * with its own data directory), replicating over the gRPC Sync stream.
 */
class ReplicationEndToEndTest {

    @TempDir
    Path tmp;

    private final java.util.List<TestNode> nodes = new java.util.ArrayList<>();

    @AfterEach
    void stopNodes() {
        for (TestNode n : nodes) {
            n.close();
        }
    }

    private TestNode start(String name, String... props) {
        TestNode n = TestNode.start(name, tmp.resolve(name), props);
        nodes.add(n);
        return n;
    }

    @Test
    void aFullSyncOf100kKeysWhileWritesContinueConvergesAndTheReplicaRefusesWrites() throws Exception {
        TestNode master = start("master");
        Keyspace ks = master.node().keyspace();
        for (int i = 0; i < 100_000; i++) {
            ks.set(Bytes.utf8("key:" + i), Bytes.utf8("value-" + i));
        }
        ks.hset(Bytes.utf8("hash"), Map.of(Bytes.utf8("f"), Bytes.utf8("v")));
        ks.set(Bytes.utf8("ttl"), Bytes.utf8("v"), SetCondition.ALWAYS, Ttl.inMillis(3_600_000), false);

        // Writers keep writing on the master during the whole sync.
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong written = new AtomicLong();
        Thread writer = new Thread(() -> {
            int i = 0;
            while (writing.get()) {
                master.node().writableKeyspace().set(Bytes.utf8("live:" + (i % 5000)), Bytes.utf8("v" + i));
                master.node().writableKeyspace().incrBy(Bytes.utf8("counter"), 1);
                i++;
                written.incrementAndGet();
            }
        });
        writer.start();
        TestNode replica = start("replica", "replcache.replication.master=" + master.grpcAddress());
        await().atMost(Duration.ofSeconds(60)).until(() -> replica.node().replicationView().master().ready());
        long writtenAtSync = written.get();
        // Writes flow over the live stream too, then stop.
        await().atMost(Duration.ofSeconds(60)).until(() -> written.get() > writtenAtSync + 1_000);
        writing.set(false);
        writer.join();
        assertThat(writtenAtSync).as("writes went on during the full sync").isGreaterThan(0);
        awaitInSync(master, replica);

        ReplicationStats stats = master.node().master().stats();
        assertThat(stats.syncFull()).isEqualTo(1);
        assertThat(replica.node().replicationView().master().fullSyncs()).isEqualTo(1);
        assertThat(replica.node().keyspace().get(Bytes.utf8("key:99999"))).isEqualTo(Bytes.utf8("value-99999"));

        // A client write on the replica is refused, naming the master.
        HttpResponse<String> refused = replica.http("PUT", "/v1/keys/x", "v", null);
        assertThat(refused.statusCode()).isEqualTo(409);
        assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).contains("problem+json"));
        assertThat(refused.body()).contains("read-only-replica").contains(master.grpcAddress());
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", replica.grpcPort()).usePlaintext().build();
        try {
            StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                    () -> CacheServiceGrpc.newBlockingStub(channel).set(SetRequest.newBuilder()
                            .setKey(com.google.protobuf.ByteString.copyFromUtf8("x"))
                            .setValue(com.google.protobuf.ByteString.copyFromUtf8("v")).build()));
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
            assertThat(e.getStatus().getDescription()).contains(master.grpcAddress());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }

        // The replication view, as an operator reads it.
        HttpResponse<String> view = replica.http("GET", "/v1/replication", null, null);
        assertThat(view.statusCode()).isEqualTo(200);
        assertThat(view.body()).contains("\"role\":\"replica\"").contains("\"linkStatus\":\"up\"");
        HttpResponse<String> masterView = master.http("GET", "/v1/replication", null, null);
        assertThat(masterView.body()).contains("\"role\":\"master\"").contains("\"state\":\"online\"")
                .contains("\"syncFull\":1");
    }

    @Test
    void aLinkCutResumesWithAPartialResyncThatSendsOnlyTheGap() {
        TestNode master = start("master");
        // A slow reconnect leaves a window in which the master writes while the link is down.
        TestNode replica = start("replica", "replcache.replication.master=" + master.grpcAddress(),
                "replcache.replication.reconnect-min-delay=1500ms", "replcache.replication.reconnect-max-delay=1500ms");
        for (int i = 0; i < 1000; i++) {
            master.node().writableKeyspace().set(Bytes.utf8("k" + i), Bytes.utf8("v" + i));
        }
        awaitInSync(master, replica);
        ReplicationStats stats = master.node().master().stats();
        long sentBefore = stats.entriesBytesSent();
        long snapshotBytesBefore = stats.snapshotBytesSent();

        // Cut the link, and write while it is down; the backlog (16MB) covers the gap.
        assertThat(replica.http("POST", "/v1/replication/master/disconnect", null, null).statusCode()).isEqualTo(204);
        await().atMost(Duration.ofSeconds(10)).until(() -> !replica.node().replicationView().master().linkStatus().equals("up"));
        long gapStart = replica.node().replicationLog().offset();
        for (int i = 0; i < 500; i++) {
            master.node().writableKeyspace().set(Bytes.utf8("gap" + i), Bytes.utf8("v" + i));
        }
        awaitInSync(master, replica);
        long gap = master.node().replicationLog().offset() - gapStart;

        assertThat(stats.syncPartialOk()).as("the reconnect continued partially").isGreaterThanOrEqualTo(1);
        assertThat(stats.syncFull()).as("only the first sync was full").isEqualTo(1);
        assertThat(stats.snapshotBytesSent()).isEqualTo(snapshotBytesBefore);
        // Only the bytes the replica lacked went over the wire again (and whatever was in flight at the cut).
        assertThat(stats.entriesBytesSent() - sentBefore).isBetween(gap, gap + 64 * 1024L);
        assertThat(replica.node().replicationView().master().partialSyncs()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aGapLargerThanTheBacklogLeadsToAFullSync() {
        TestNode master = start("master", "replcache.replication.backlog-size=4KB");
        TestNode replica = start("replica", "replcache.replication.master=" + master.grpcAddress(),
                "replcache.replication.reconnect-min-delay=1500ms", "replcache.replication.reconnect-max-delay=1500ms");
        master.node().writableKeyspace().set(Bytes.utf8("a"), Bytes.utf8("1"));
        awaitInSync(master, replica);
        replica.node().disconnectFromMaster("test: cut the link");
        await().atMost(Duration.ofSeconds(10)).until(() -> !replica.node().replicationView().master().linkStatus().equals("up"));
        for (int i = 0; i < 2000; i++) { // ~60KB of stream: far more than the 4KB backlog
            master.node().writableKeyspace().set(Bytes.utf8("k" + i), Bytes.utf8("some value " + i));
        }
        awaitInSync(master, replica);
        assertThat(master.node().master().stats().syncFull()).isEqualTo(2);
        assertThat(master.node().master().stats().decisionsByReason())
                .containsKey(dev.replcache.replication.PsyncDecision.Reason.OFFSET_BEFORE_BACKLOG);
    }

    @Test
    void aRestartedMasterWithANewHistoryLeadsToAFullSync() {
        // No shutdown snapshot: the master restarts empty, under a new history.
        TestNode master = start("master", "replcache.snapshot.on-shutdown=false");
        // Other test classes' nested controllers are not scanned into these nodes.
        assertThat(master.http("GET", "/test/boom", null, null).statusCode()).isEqualTo(404);
        TestNode replica = start("replica", "replcache.replication.master=" + master.grpcAddress());
        master.node().writableKeyspace().set(Bytes.utf8("before"), Bytes.utf8("1"));
        awaitInSync(master, replica);
        String oldId = master.node().replicationLog().replId().value();
        master.restart();
        assertThat(master.node().replicationLog().replId().value()).isNotEqualTo(oldId);
        master.node().writableKeyspace().set(Bytes.utf8("after"), Bytes.utf8("2"));
        awaitInSync(master, replica);
        assertThat(replica.node().keyspace().get(Bytes.utf8("before"))).isNull();
        assertThat(replica.node().keyspace().get(Bytes.utf8("after"))).isEqualTo(Bytes.utf8("2"));
        assertThat(master.node().master().stats().syncFull()).isEqualTo(1);
        assertThat(master.node().master().stats().syncPartialErr()).isEqualTo(1);
        assertThat(master.node().master().stats().decisionsByReason())
                .containsKey(dev.replcache.replication.PsyncDecision.Reason.REPLID_MISMATCH);
    }

    @Test
    void replicasHideExpiredKeysUntilTheMastersDelArrives() {
        // The master's active expiry is slowed right down so that the key stays on both sides past its TTL.
        TestNode master = start("master", "replcache.expiry.cycle-interval=1h");
        TestNode replica = start("replica", "replcache.replication.master=" + master.grpcAddress());
        CacheNode m = master.node();
        m.writableKeyspace().set(Bytes.utf8("short"), Bytes.utf8("v"), SetCondition.ALWAYS, Ttl.inMillis(300), false);
        m.writableKeyspace().set(Bytes.utf8("long"), Bytes.utf8("v"));
        awaitInSync(master, replica);
        await().atMost(Duration.ofSeconds(10)).until(() -> replica.node().keyspace().get(Bytes.utf8("short")) == null);
        // Hidden on reads, but still stored: the replica never deletes by its own clock.
        assertThat(replica.node().keyspace().contents()).containsKey(Bytes.utf8("short"));
        assertThat(replica.node().keyspace().pttl(Bytes.utf8("short"))).isEqualTo(-2);
        // The master removes it (lazily, on access) and its DEL removes it on the replica.
        assertThat(m.keyspace().get(Bytes.utf8("short"))).isNull();
        awaitInSync(master, replica);
        assertThat(replica.node().keyspace().contents()).doesNotContainKey(Bytes.utf8("short"));
        assertThat(replica.node().keyspace().get(Bytes.utf8("long"))).isEqualTo(Bytes.utf8("v"));
    }

    @Test
    void aReplicaWithAWrongAuthTokenGetsNoData() {
        TestNode master = start("master", "replcache.replication.auth-token=s3cret");
        master.node().writableKeyspace().set(Bytes.utf8("secret"), Bytes.utf8("v"));
        TestNode wrong = start("wrong", "replcache.replication.master=" + master.grpcAddress(),
                "replcache.replication.auth-token=guess");
        await().atMost(Duration.ofSeconds(10)).until(() -> wrong.node().replicationView().master().lastError() != null);
        assertThat(wrong.node().replicationView().master().lastError()).contains("UNAUTHENTICATED");
        assertThat(wrong.node().keyspace().get(Bytes.utf8("secret"))).isNull();
        assertThat(master.node().master().stats().syncFull()).isZero();
        TestNode right = start("right", "replcache.replication.master=" + master.grpcAddress(),
                "replcache.replication.auth-token=s3cret");
        awaitInSync(master, right);
    }

}
