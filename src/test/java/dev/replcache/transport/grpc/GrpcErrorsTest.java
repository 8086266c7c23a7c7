package dev.replcache.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import dev.replcache.api.cache.v1.CacheServiceGrpc;
import dev.replcache.api.cache.v1.GetRequest;
import dev.replcache.api.cache.v1.GetResponse;
import dev.replcache.keyspace.KeyspaceException;
import dev.replcache.node.InvalidRequestException;
import dev.replcache.node.LimitExceededException;
import dev.replcache.node.NodeStoppingException;
import dev.replcache.node.SaveInProgressException;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.util.EnumSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The mapping table, without a server; and the interceptor, in-process. */
class GrpcErrorsTest {

    @ParameterizedTest
    @EnumSource(KeyspaceException.Kind.class)
    void everyKeyspaceErrorKindGetsAClientCodeAndRedisMessage(KeyspaceException.Kind kind) {
        Status status = GrpcErrors.toStatus(new KeyspaceException(kind), "test/Method");

        assertThat(status.getCode()).isIn(EnumSet.of(Status.Code.INVALID_ARGUMENT, Status.Code.FAILED_PRECONDITION,
                Status.Code.OUT_OF_RANGE, Status.Code.RESOURCE_EXHAUSTED, Status.Code.UNAVAILABLE));
        assertThat(status.getDescription()).isEqualTo(kind.redisMessage());
    }

    @Test
    void theTable() {
        assertThat(GrpcErrors.codeFor(KeyspaceException.Kind.WRONGTYPE)).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(GrpcErrors.codeFor(KeyspaceException.Kind.NOT_INTEGER)).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(GrpcErrors.codeFor(KeyspaceException.Kind.HASH_NOT_INTEGER)).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(GrpcErrors.codeFor(KeyspaceException.Kind.OVERFLOW)).isEqualTo(Status.Code.OUT_OF_RANGE);
        // Writes paused by a failover: retryable, as a client retries an unavailable server.
        assertThat(GrpcErrors.codeFor(KeyspaceException.Kind.PAUSED)).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(GrpcErrors.codeFor(KeyspaceException.Kind.INVALID_EXPIRE)).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(GrpcErrors.codeFor(KeyspaceException.Kind.SYNTAX)).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(GrpcErrors.codeFor(KeyspaceException.Kind.OOM)).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(GrpcErrors.toStatus(new InvalidRequestException("bad"), "m").getCode())
                .isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(GrpcErrors.toStatus(new LimitExceededException("key", "p", 1, 2, "bytes"), "m").getCode())
                .isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(GrpcErrors.toStatus(Status.NOT_FOUND.withDescription("x").asRuntimeException(), "m").getCode())
                .isEqualTo(Status.Code.NOT_FOUND);
        assertThat(GrpcErrors.toStatus(new NodeStoppingException(), "m").getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        Status inProgress = GrpcErrors.toStatus(new SaveInProgressException(), "m");
        assertThat(inProgress.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(inProgress.getDescription()).isEqualTo("Background save already in progress");
    }

    @Test
    void anUnexpectedExceptionIsInternalWithAGenericDescription() {
        Status status = GrpcErrors.toStatus(new IllegalStateException("secret internals"), "test/Method");

        assertThat(status.getCode()).isEqualTo(Status.Code.INTERNAL);
        assertThat(status.getDescription()).isEqualTo(GrpcErrors.INTERNAL_DESCRIPTION).doesNotContain("secret");
    }

    /** Guards against the default of grpc-java: a handler that throws closes the call with UNKNOWN. */
    @Test
    void theInterceptorTurnsAThrowingHandlerIntoItsStatusNotUnknown() throws Exception {
        CacheServiceGrpc.CacheServiceImplBase throwing = new CacheServiceGrpc.CacheServiceImplBase() {
            @Override
            public void get(GetRequest request, StreamObserver<GetResponse> out) {
                if (request.getKey().isEmpty()) {
                    throw new NullPointerException("a bug");
                }
                throw new KeyspaceException(KeyspaceException.Kind.WRONGTYPE);
            }
        };
        String name = InProcessServerBuilder.generateName();
        Server server = InProcessServerBuilder.forName(name).directExecutor()
                .addService(ServerInterceptors.intercept(throwing, new GrpcErrorInterceptor())).build().start();
        ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        try {
            CacheServiceGrpc.CacheServiceBlockingStub stub = CacheServiceGrpc.newBlockingStub(channel);

            StatusRuntimeException bug = catchThrowableOfType(StatusRuntimeException.class,
                    () -> stub.get(GetRequest.getDefaultInstance()));
            StatusRuntimeException wrongType = catchThrowableOfType(StatusRuntimeException.class,
                    () -> stub.get(GetRequest.newBuilder().setKey(ByteString.copyFromUtf8("k")).build()));

            assertThat(bug.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
            assertThat(wrongType.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
            assertThat(wrongType.getStatus().getDescription()).startsWith("WRONGTYPE");
        } finally {
            channel.shutdownNow();
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
