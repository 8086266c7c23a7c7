package dev.replcache.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.replcache.api.cache.v1.CacheServiceGrpc;
import dev.replcache.api.cache.v1.GetRequest;
import dev.replcache.api.cache.v1.SetRequest;
import dev.replcache.api.replication.v1.InfoRequest;
import dev.replcache.api.replication.v1.ReplicationServiceGrpc;
import dev.replcache.keyspace.Bytes;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * {@code replcache.grpc.auth-token} on a real node: cache and replication admin calls need
 * {@code authorization: Bearer <token>} metadata; health and reflection stay open for probes
 * and grpcurl; the replication stream is checked by its own token, so a replica still syncs.
 */
@ExtendWith(OutputCaptureExtension.class)
class GrpcBearerAuthTest {

    private static final String TOKEN = "grpc-t0ken";

    @TempDir
    static Path tmp;

    private static TestNode master;
    private static ManagedChannel channel;
    private TestNode replica;

    @BeforeAll
    static void start() {
        master = TestNode.start("master", tmp.resolve("master"), "replcache.grpc.auth-token=" + TOKEN);
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", master.grpcPort()).usePlaintext().build();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (master != null) {
            master.close();
        }
    }

    @AfterEach
    void stopReplica() {
        if (replica != null) {
            replica.close();
        }
    }

    private static <S extends AbstractStub<S>> S withToken(S stub, String token) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers)).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static CacheServiceGrpc.CacheServiceBlockingStub cache() {
        return CacheServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static SetRequest set(String key, String value) {
        return SetRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).setValue(ByteString.copyFromUtf8(value)).build();
    }

    private static GetRequest get(String key) {
        return GetRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).build();
    }

    private static void assertUnauthenticated(Runnable call, String description) {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
        assertThat(e).as("the call was refused").isNotNull();
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(e.getStatus().getDescription()).contains(description).doesNotContain(TOKEN);
    }

    @Test
    void cacheCallsNeedTheToken(CapturedOutput output) {
        assertUnauthenticated(() -> cache().set(set("k", "v")), "no bearer token");
        assertUnauthenticated(() -> cache().get(get("k")), "no bearer token");
        assertUnauthenticated(() -> withToken(CacheServiceGrpc.newBlockingStub(channel), "guess").set(set("k", "v")),
                "wrong bearer token");
        assertThat(master.node().keyspace().get(Bytes.utf8("k"))).as("a refused write did not happen").isNull();

        withToken(CacheServiceGrpc.newBlockingStub(channel), TOKEN).set(set("k", "v"));
        assertThat(withToken(CacheServiceGrpc.newBlockingStub(channel), TOKEN).get(get("k")).getValue().toStringUtf8())
                .isEqualTo("v");
        assertThat(output.getOut()).contains("Refused gRPC call cache.v1.CacheService/Set from /127.0.0.1:")
                .contains("wrong bearer token").doesNotContain("guess");
    }

    @Test
    void replicationAdminCallsNeedTheToken() {
        assertUnauthenticated(() -> ReplicationServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .info(InfoRequest.getDefaultInstance()), "no bearer token");
        assertThat(withToken(ReplicationServiceGrpc.newBlockingStub(channel), TOKEN).info(InfoRequest.getDefaultInstance())
                .getRole()).isEqualTo("master");
    }

    @Test
    void healthAndReflectionStayOpen() throws Exception {
        assertThat(HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(HealthCheckRequest.newBuilder().setService("cache.v1.CacheService").build()).getStatus())
                .isEqualTo(ServingStatus.SERVING);

        CompletableFuture<ServerReflectionResponse> first = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .serverReflectionInfo(new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse value) {
                        first.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        first.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        first.completeExceptionally(new AssertionError("no response"));
                    }
                });
        requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
        ServerReflectionResponse response = first.get(10, TimeUnit.SECONDS);
        requests.onCompleted();
        assertThat(response.getListServicesResponse().getServiceList()).extracting(ServiceResponse::getName)
                .contains("cache.v1.CacheService", "replication.v1.ReplicationService");
    }

    @Test
    void theReplicationStreamIsCheckedByItsOwnTokenNotTheClientApis(CapturedOutput output) {
        // With no replication token, the master said at start that Sync is still open.
        assertThat(output.getOut()).contains("replcache.grpc.auth-token is set but replcache.replication.auth-token is empty");
        master.node().writableKeyspace().set(Bytes.utf8("data"), Bytes.utf8("1"));
        // The replica knows nothing of replcache.grpc.auth-token, and still syncs.
        replica = TestNode.start("replica", tmp.resolve("replica"), "replcache.replication.master=" + master.grpcAddress());
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).untilAsserted(() ->
                assertThat(replica.node().replicationLog().offset()).isEqualTo(master.node().replicationLog().offset()));
        assertThat(replica.node().keyspace().get(Bytes.utf8("data"))).isEqualTo(Bytes.utf8("1"));
    }
}
