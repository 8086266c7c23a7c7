package dev.replcache.e2e;

import static dev.replcache.e2e.Cluster.awaitInSync;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import dev.replcache.api.cache.v1.CacheServiceGrpc;
import dev.replcache.api.cache.v1.SetRequest;
import dev.replcache.api.cache.v1.WaitRequest;
import dev.replcache.api.cache.v1.WaitResponse;
import dev.replcache.keyspace.Bytes;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** WAIT over HTTP and gRPC, standalone and inline with a write, against real replicas. */
class WaitEndToEndTest {

    private static final Metadata.Key<String> WAIT_REPLICAS = Metadata.Key.of("wait-replicas", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> REPLICAS_ACKED = Metadata.Key.of("replicas-acked", Metadata.ASCII_STRING_MARSHALLER);

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

    private ManagedChannel channel(TestNode n) {
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", n.grpcPort()).usePlaintext().build();
        return channel;
    }

    @Test
    void waitReturnsHowManyReplicasAckedTheWritesBeforeIt() {
        TestNode master = cluster.start("master");
        TestNode r1 = cluster.start("r1", "replcache.replication.master=" + master.grpcAddress());
        TestNode r2 = cluster.start("r2", "replcache.replication.master=" + master.grpcAddress());
        awaitInSync(master, r1);
        awaitInSync(master, r2);

        assertThat(master.http("PUT", "/v1/keys/k", "v", null).statusCode()).isEqualTo(204);
        long offsetAfterWrite = master.node().offset();
        HttpResponse<String> two = master.json("POST", "/v1/wait", "{\"replicas\":2,\"timeoutMs\":10000}");
        assertThat(two.statusCode()).isEqualTo(200);
        assertThat(two.body()).contains("\"replicas\":2").contains("\"offset\":" + offsetAfterWrite);
        // An ack means applied: both replicas serve the write now.
        assertThat(r1.node().keyspace().get(Bytes.utf8("k"))).isEqualTo(Bytes.utf8("v"));
        assertThat(r2.node().keyspace().get(Bytes.utf8("k"))).isEqualTo(Bytes.utf8("v"));

        // More replicas than there are: the timeout ends it, with the count that did ack.
        long start = System.nanoTime();
        HttpResponse<String> three = master.json("POST", "/v1/wait", "{\"replicas\":3,\"timeoutMs\":300}");
        assertThat(three.body()).contains("\"replicas\":2");
        assertThat((System.nanoTime() - start) / 1_000_000).as("it waited for the timeout").isGreaterThanOrEqualTo(290);

        assertThat(master.json("POST", "/v1/wait", "{\"replicas\":0}").body()).contains("\"replicas\":2");
        HttpResponse<String> bad = master.json("POST", "/v1/wait", "{\"replicas\":-1}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("invalid-request");
        assertThat(master.json("POST", "/v1/wait", "{}").statusCode()).isEqualTo(400);

        WaitResponse grpc = CacheServiceGrpc.newBlockingStub(channel(master))
                .wait(WaitRequest.newBuilder().setReplicas(2).setTimeoutMs(10_000).build());
        assertThat(grpc.getReplicasAcked()).isEqualTo(2);
        assertThat(grpc.getOffset()).isEqualTo(master.node().offset());
    }

    @Test
    void aWriteCanWaitInlineOverHttpAndGrpc() {
        TestNode master = cluster.start("master");
        TestNode replica = cluster.start("replica", "replcache.replication.master=" + master.grpcAddress());
        awaitInSync(master, replica);

        HttpResponse<String> put = master.http("PUT", "/v1/keys/inline", "v1", null, Map.of("Wait-Replicas", "1",
                "Wait-Timeout", "10000"));
        assertThat(put.statusCode()).isEqualTo(204);
        assertThat(put.headers().firstValue("Replicas-Acked")).hasValue("1");
        assertThat(replica.node().keyspace().get(Bytes.utf8("inline"))).isEqualTo(Bytes.utf8("v1"));

        // A read with the header does not wait and says nothing.
        HttpResponse<String> get = master.http("GET", "/v1/keys/inline", null, null, Map.of("Wait-Replicas", "1"));
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.body()).isEqualTo("v1");
        assertThat(get.headers().firstValue("Replicas-Acked")).isEmpty();

        // A bad header is refused before anything is written.
        HttpResponse<String> bad = master.http("PUT", "/v1/keys/never", "x", null, Map.of("Wait-Replicas", "many"));
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("Wait-Replicas");
        assertThat(master.node().keyspace().get(Bytes.utf8("never"))).isNull();

        Metadata headers = new Metadata();
        headers.put(WAIT_REPLICAS, "1");
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        var stub = CacheServiceGrpc.newBlockingStub(channel(master)).withInterceptors(
                MetadataUtils.newAttachHeadersInterceptor(headers),
                MetadataUtils.newCaptureMetadataInterceptor(new AtomicReference<>(), trailers));
        stub.set(SetRequest.newBuilder().setKey(ByteString.copyFromUtf8("grpc")).setValue(ByteString.copyFromUtf8("v2")).build());
        assertThat(trailers.get().get(REPLICAS_ACKED)).isEqualTo("1");
        assertThat(replica.node().keyspace().get(Bytes.utf8("grpc"))).isEqualTo(Bytes.utf8("v2"));

        Metadata badHeaders = new Metadata();
        badHeaders.put(WAIT_REPLICAS, "-3");
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> CacheServiceGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(badHeaders))
                .set(SetRequest.newBuilder().setKey(ByteString.copyFromUtf8("never")).setValue(ByteString.copyFromUtf8("x")).build()));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(master.node().keyspace().get(Bytes.utf8("never"))).isNull();
    }

    /**
     * The ack a WAIT asks for must cover the write before it, even when the write has not been
     * streamed yet (an inline wait right after the write): Redis's GETACK travels in the stream
     * after the writes. Periodic acks and pings are 30 s apart here, so only that ack can answer.
     */
    @Test
    void theAckAWaitAsksForCoversTheWriteJustBeforeIt() {
        TestNode master = cluster.start("master", "replcache.replication.ping-interval=30s");
        TestNode replica = cluster.start("replica", "replcache.replication.master=" + master.grpcAddress(),
                "replcache.replication.ack-interval=30s");
        awaitInSync(master, replica);
        Metadata headers = new Metadata();
        headers.put(WAIT_REPLICAS, "1");
        headers.put(Metadata.Key.of("wait-timeout-ms", Metadata.ASCII_STRING_MARSHALLER), "2000");
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", master.grpcPort()).usePlaintext().directExecutor().build();
        var inline = CacheServiceGrpc.newBlockingStub(channel).withInterceptors(
                MetadataUtils.newAttachHeadersInterceptor(headers),
                MetadataUtils.newCaptureMetadataInterceptor(new AtomicReference<>(), trailers));
        var plain = CacheServiceGrpc.newBlockingStub(channel);
        for (int i = 0; i < 300; i++) {
            ByteString key = ByteString.copyFromUtf8("k" + i);
            inline.set(SetRequest.newBuilder().setKey(key).setValue(ByteString.copyFromUtf8("inline")).build());
            assertThat(trailers.get().get(REPLICAS_ACKED)).as("inline wait after write %d", i).isEqualTo("1");
            plain.set(SetRequest.newBuilder().setKey(key).setValue(ByteString.copyFromUtf8("then-wait")).build());
            WaitResponse w = plain.wait(WaitRequest.newBuilder().setReplicas(1).setTimeoutMs(2000).build());
            assertThat(w.getReplicasAcked()).as("WAIT after write %d", i).isEqualTo(1);
        }
    }

    @Test
    void waitOnAReplicaIsRefused() {
        TestNode master = cluster.start("master");
        TestNode replica = cluster.start("replica", "replcache.replication.master=" + master.grpcAddress());
        awaitInSync(master, replica);
        HttpResponse<String> refused = replica.json("POST", "/v1/wait", "{\"replicas\":1}");
        assertThat(refused.statusCode()).isEqualTo(409);
        assertThat(refused.body()).contains("WAIT cannot be used with replica instances").contains(master.grpcAddress());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> CacheServiceGrpc.newBlockingStub(
                channel(replica)).wait(WaitRequest.newBuilder().setReplicas(1).build()));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    }

    /** Invariant 5 of docs/architecture.md, end to end. */
    @Test
    void aWriteThatWaitAcknowledgedSurvivesTheMastersDeathWhenTheReplicaIsPromoted() {
        TestNode master = cluster.start("master");
        TestNode replica = cluster.start("replica", "replcache.replication.master=" + master.grpcAddress());
        awaitInSync(master, replica);
        for (int i = 0; i < 100; i++) {
            HttpResponse<String> put = master.http("PUT", "/v1/keys/acked:" + i, "v" + i, null,
                    Map.of("Wait-Replicas", "1", "Wait-Timeout", "10000"));
            assertThat(put.headers().firstValue("Replicas-Acked")).hasValue("1");
        }
        master.close(); // dies right after the last acknowledgement
        assertThat(replica.http("DELETE", "/v1/replication/master", null, null).statusCode()).isEqualTo(200);
        for (int i = 0; i < 100; i++) {
            HttpResponse<String> get = replica.http("GET", "/v1/keys/acked:" + i, null, null);
            assertThat(get.statusCode()).isEqualTo(200);
            assertThat(get.body()).isEqualTo("v" + i);
        }
    }
}
