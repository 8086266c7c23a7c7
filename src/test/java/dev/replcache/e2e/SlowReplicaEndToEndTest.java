package dev.replcache.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.replcache.api.cache.v1.CacheServiceGrpc;
import dev.replcache.api.cache.v1.Command;
import dev.replcache.api.cache.v1.GetRequest;
import dev.replcache.api.cache.v1.IncrRequest;
import dev.replcache.api.cache.v1.PipelineRequest;
import dev.replcache.api.cache.v1.PipelineResponse;
import dev.replcache.api.cache.v1.SetRequest;
import dev.replcache.api.replication.v1.Ack;
import dev.replcache.api.replication.v1.Hello;
import dev.replcache.api.replication.v1.MasterMessage;
import dev.replcache.api.replication.v1.Psync;
import dev.replcache.api.replication.v1.ReplicaMessage;
import dev.replcache.api.replication.v1.ReplicationServiceGrpc;
import dev.replcache.keyspace.Bytes;
import dev.replcache.replication.ReplicationStats;
import dev.replcache.testing.PipelineResponses;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replica that stops reading its stream, played by a raw gRPC client: it syncs, acks, then
 * never asks for another message. The master must not hold more for it than gRPC's window, and
 * its policy must cut it off or slow the writers.
 */
class SlowReplicaEndToEndTest {

    private static final int VALUE_BYTES = 64 * 1024;

    @TempDir
    Path tmp;

    private Cluster cluster;
    private ManagedChannel channel;

    @BeforeEach
    void cluster() {
        cluster = new Cluster(tmp);
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        cluster.close();
    }

    /** A replica that reads through the handshake and the snapshot, acks once, then stops reading. */
    private final class StalledReplica implements ClientResponseObserver<ReplicaMessage, MasterMessage> {
        final AtomicBoolean online = new AtomicBoolean();
        final AtomicReference<String> closed = new AtomicReference<>();
        private ClientCallStreamObserver<ReplicaMessage> requests;
        private long syncOffset;

        @Override
        public void beforeStart(ClientCallStreamObserver<ReplicaMessage> requestStream) {
            requests = requestStream;
            requestStream.disableAutoRequestWithInitial(1);
        }

        @Override
        public void onNext(MasterMessage m) {
            if (m.hasFullResync()) {
                syncOffset = m.getFullResync().getOffset();
            }
            if (m.hasSnapshotEnd()) {
                requests.onNext(ReplicaMessage.newBuilder().setAck(Ack.newBuilder().setOffset(syncOffset)).build());
                online.set(true);
                return; // and never request another message
            }
            requests.request(1);
        }

        @Override
        public void onError(Throwable t) {
            closed.set(t.toString());
        }

        @Override
        public void onCompleted() {
            closed.set("completed");
        }

        void readAgain() {
            requests.request(Integer.MAX_VALUE);
        }

        void start(TestNode master) {
            channel = ManagedChannelBuilder.forAddress("127.0.0.1", master.grpcPort()).usePlaintext().build();
            var out = ReplicationServiceGrpc.newStub(channel).sync(this);
            out.onNext(ReplicaMessage.newBuilder().setHello(Hello.newBuilder().setReplicaId("stalled")
                    .setAnnouncedAddress("127.0.0.1:1")).build());
            out.onNext(ReplicaMessage.newBuilder().setPsync(Psync.newBuilder().setReplId("?").setOffset(-1)).build());
        }
    }

    private static void writeMegabytes(TestNode master, int megabytes) {
        byte[] value = new byte[VALUE_BYTES];
        for (int i = 0; i < megabytes * 16; i++) {
            value[0] = (byte) i;
            // The same 16 keys over and over: the dataset stays small, the stream grows.
            master.node().writableKeyspace().set(Bytes.utf8("big:" + (i % 16)), Bytes.of(value.clone()));
        }
    }

    @Test
    void aReplicaThatStopsReadingCostsNoMoreThanTheWindowAndIsDisconnectedAtTheHardLimit() {
        TestNode master = cluster.start("master", "replcache.replication.backlog-size=32MB",
                "replcache.replication.slow-replica.policy=disconnect",
                "replcache.replication.slow-replica.hard-limit=4MB",
                "replcache.replication.slow-replica.soft-limit=0");
        master.node().writableKeyspace().set(Bytes.utf8("seed"), Bytes.utf8("v"));
        StalledReplica stalled = new StalledReplica();
        stalled.start(master);
        await().atMost(Duration.ofSeconds(30)).untilTrue(stalled.online);
        ReplicationStats stats = master.node().master().stats();
        long sentBefore = stats.entriesBytesSent();

        writeMegabytes(master, 16); // 4x the hard limit, within the backlog: the policy cuts it, not the ring

        await().atMost(Duration.ofSeconds(30)).until(() -> stats.slowReplicaDisconnects() == 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> master.node().master().replicas().isEmpty());
        // The replica sees why once it reads again: past what was in flight, the master's status.
        stalled.readAgain();
        await().atMost(Duration.ofSeconds(30)).until(() -> stalled.closed.get() != null);
        assertThat(stalled.closed.get()).contains("slow replica").contains("hard limit");
        // What the master pushed at the stalled stream is bounded by HTTP/2 flow control (1 MiB
        // window) and gRPC's ready threshold plus one batch, not by what was written (16 MiB).
        assertThat(stats.entriesBytesSent() - sentBefore).isLessThan(3L << 20);
        // And the master's own replication memory stayed the backlog it was given.
        assertThat(master.node().replicationLog().backlogCapacityBytes()).isEqualTo(32 << 20);
        assertThat(master.node().master().replicas()).isEmpty();
    }

    @Test
    void theThrottlePolicySlowsWritersWhileAReplicaIsBehind() {
        TestNode master = cluster.start("master", "replcache.replication.backlog-size=16MB",
                "replcache.replication.slow-replica.policy=throttle",
                "replcache.replication.slow-replica.throttle-start=1MB",
                "replcache.replication.slow-replica.throttle-max-delay=20ms");
        master.node().writableKeyspace().set(Bytes.utf8("seed"), Bytes.utf8("v"));
        StalledReplica stalled = new StalledReplica();
        stalled.start(master);
        await().atMost(Duration.ofSeconds(30)).untilTrue(stalled.online);
        assertThat(master.node().throttleDelayMs()).isZero();

        writeMegabytes(master, 4); // 2 MiB past the start: the full delay
        await().atMost(Duration.ofSeconds(10)).until(() -> master.node().throttleDelayMs() == 20);
        long throttledBefore = master.node().throttledWrites();
        assertThat(master.http("PUT", "/v1/keys/slowed", "v", null).statusCode()).isEqualTo(204);
        assertThat(master.node().throttledWrites()).isEqualTo(throttledBefore + 1);
        // Reads are never held.
        assertThat(master.http("GET", "/v1/keys/slowed", null, null).statusCode()).isEqualTo(200);
        assertThat(master.node().throttledWrites()).isEqualTo(throttledBefore + 1);
        // A Pipeline stream's writes are held one by one, like unary ones; its reads are not.
        List<PipelineResponse> responses = pipeline(master, List.of(
                PipelineRequest.newBuilder().addCommands(pipelinedSet("p1")).addCommands(pipelinedGet("p1")).build(),
                PipelineRequest.newBuilder().addCommands(pipelinedSet("p2")).addCommands(pipelinedSet("p3")).build(),
                PipelineRequest.newBuilder().addCommands(pipelinedGet("p3")).build()));
        assertThat(responses).flatExtracting(PipelineResponse::getResultsList).extracting(r -> r.getResultCase().name())
                .containsExactly("SET", "GET", "SET", "SET", "GET");
        assertThat(responses.get(2).getResults(0).getGet().getValue().toStringUtf8()).isEqualTo("v");
        assertThat(master.node().throttledWrites()).isEqualTo(throttledBefore + 4);
        // A write that fails is not held, as for a unary call.
        List<PipelineResponse> failed = pipeline(master, List.of(PipelineRequest.newBuilder()
                .addCommands(Command.newBuilder().setIncr(IncrRequest.newBuilder().setKey(ByteString.copyFromUtf8("p1")).setBy(1)))
                .build()));
        assertThat(failed.get(0).getResults(0).getError().getMessage()).contains("not an integer");
        assertThat(master.node().throttledWrites()).isEqualTo(throttledBefore + 4);
        // Throttling does not cut the replica off.
        assertThat(stalled.closed.get()).isNull();
        assertThat(master.node().master().stats().slowReplicaDisconnects()).isZero();
    }

    private static Command pipelinedSet(String key) {
        return Command.newBuilder().setSet(SetRequest.newBuilder().setKey(ByteString.copyFromUtf8(key))
                .setValue(ByteString.copyFromUtf8("v"))).build();
    }

    private static Command pipelinedGet(String key) {
        return Command.newBuilder().setGet(GetRequest.newBuilder().setKey(ByteString.copyFromUtf8(key))).build();
    }

    /** Sends the messages on one Pipeline stream over gRPC and returns the responses once it ended. */
    private static List<PipelineResponse> pipeline(TestNode node, List<PipelineRequest> requests) {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", node.grpcPort()).usePlaintext().build();
        try {
            PipelineResponses stream = new PipelineResponses();
            StreamObserver<PipelineRequest> in = CacheServiceGrpc.newStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .pipeline(stream);
            requests.forEach(in::onNext);
            in.onCompleted();
            stream.done.join();
            return stream.responses;
        } finally {
            channel.shutdownNow();
        }
    }
}
