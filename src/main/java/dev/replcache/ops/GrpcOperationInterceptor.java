package dev.replcache.ops;

import dev.replcache.api.cache.v1.CacheServiceGrpc;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Times {@code cache.v1.CacheService} calls into {@link OperationMetrics}: the command is the
 * method's name, lower-cased ({@code get}, {@code mset}, {@code hgetall}, ...), the outcome
 * comes from the status the call closes with (after the error interceptor mapped exceptions).
 * Other services (replication, health, reflection) pass through untouched.
 *
 * <p>Per call: one map lookup by method name and one forwarding wrapper; the timers are made
 * once per method and outcome.
 */
final class GrpcOperationInterceptor implements ServerInterceptor {

    private final Map<String, OperationMetrics.Command> commands;

    GrpcOperationInterceptor(OperationMetrics metrics) {
        Map<String, OperationMetrics.Command> m = new HashMap<>();
        for (MethodDescriptor<?, ?> method : CacheServiceGrpc.getServiceDescriptor().getMethods()) {
            m.put(method.getFullMethodName(), metrics.grpc(method.getBareMethodName().toLowerCase(Locale.ROOT)));
        }
        this.commands = Map.copyOf(m);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        OperationMetrics.Command command = commands.get(call.getMethodDescriptor().getFullMethodName());
        if (command == null) {
            return next.startCall(call, headers);
        }
        long start = System.nanoTime();
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                command.record(OperationMetrics.Outcome.ofGrpcStatus(status.getCode()), System.nanoTime() - start);
                super.close(status, trailers);
            }
        }, headers);
    }
}
