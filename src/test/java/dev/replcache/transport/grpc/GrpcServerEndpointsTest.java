package dev.replcache.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.replcache.api.cache.v1.CacheServiceGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What grpcurl and Kubernetes gRPC probes use: {@code grpc.health.v1.Health} and server
 * reflection v1. (grpcurl itself is not installed here; these calls are what it sends for
 * {@code grpcurl -plaintext host:port list} and {@code describe cache.v1.CacheService}.)
 */
class GrpcServerEndpointsTest extends GrpcTestSupport {

    private HealthGrpc.HealthBlockingStub health() {
        return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    @Test
    void healthIsServingForTheServerAndForCacheService() {
        assertThat(health().check(HealthCheckRequest.newBuilder().setService("").build()).getStatus())
                .isEqualTo(ServingStatus.SERVING);
        assertThat(health().check(HealthCheckRequest.newBuilder().setService("cache.v1.CacheService").build()).getStatus())
                .isEqualTo(ServingStatus.SERVING);
    }

    @Test
    void healthOfAnUnknownServiceIsNotFound() {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> health().check(HealthCheckRequest.newBuilder().setService("no.such.Service").build()));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    }

    @Test
    void reflectionListsTheServices() throws Exception {
        ServerReflectionResponse response = reflect(ServerReflectionRequest.newBuilder().setListServices("").build());

        assertThat(response.getListServicesResponse().getServiceList()).extracting(ServiceResponse::getName)
                .contains("cache.v1.CacheService", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection");
    }

    @Test
    void reflectionDescribesCacheServiceWithAllItsMethods() throws Exception {
        ServerReflectionResponse response = reflect(ServerReflectionRequest.newBuilder()
                .setFileContainingSymbol("cache.v1.CacheService").build());

        List<ServiceDescriptorProto> services = new ArrayList<>();
        for (ByteString file : response.getFileDescriptorResponse().getFileDescriptorProtoList()) {
            services.addAll(parse(file).getServiceList());
        }
        assertThat(services).extracting(ServiceDescriptorProto::getName).contains("CacheService");
        ServiceDescriptorProto cache = services.stream().filter(s -> s.getName().equals("CacheService")).findFirst().orElseThrow();
        assertThat(cache.getMethodList()).extracting(MethodDescriptorProto::getName)
                .containsExactlyInAnyOrderElementsOf(CacheServiceGrpc.getServiceDescriptor().getMethods().stream()
                        .map(m -> m.getBareMethodName()).toList());
    }

    private static FileDescriptorProto parse(ByteString file) {
        try {
            return FileDescriptorProto.parseFrom(file);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    /** One request on the bidirectional reflection stream, as grpcurl sends it. */
    private ServerReflectionResponse reflect(ServerReflectionRequest request) throws Exception {
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
                        first.completeExceptionally(new AssertionError("stream completed without a response"));
                    }
                });
        requests.onNext(request);
        ServerReflectionResponse response = first.get(10, TimeUnit.SECONDS);
        requests.onCompleted();
        assertThat(response.hasErrorResponse()).as("reflection error: %s", response.getErrorResponse()).isFalse();
        return response;
    }
}
