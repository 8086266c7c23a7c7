package dev.replcache.transport.grpc;

import dev.replcache.node.CacheNode;
import dev.replcache.node.WriteMarker;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.CompletableFuture;

/**
 * Holds a write's response, without holding a thread: for an inline WAIT (metadata
 * {@code wait-replicas}, optional {@code wait-timeout-ms}; the trailers then carry
 * {@code replicas-acked}) and for the slow-replica throttle. A call wrote when the handler went
 * through {@link CacheNode#writableKeyspace()} ({@link WriteMarker}); reads pass untouched, and
 * with neither feature in use a call is not wrapped at all.
 */
final class WriteAckInterceptor implements ServerInterceptor {

    static final Metadata.Key<String> WAIT_REPLICAS = Metadata.Key.of("wait-replicas", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> WAIT_TIMEOUT_MS = Metadata.Key.of("wait-timeout-ms", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> REPLICAS_ACKED = Metadata.Key.of("replicas-acked", Metadata.ASCII_STRING_MARSHALLER);

    private final CacheNode node;

    WriteAckInterceptor(CacheNode node) {
        this.node = node;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        String replicasText = headers.get(WAIT_REPLICAS);
        if (!call.getMethodDescriptor().getType().clientSendsOneMessage()) {
            // A Pipeline stream throttles its own writes; an inline WAIT has no one response to hold.
            if (replicasText != null) {
                call.close(Status.INVALID_ARGUMENT.withDescription(WAIT_REPLICAS.name()
                        + " applies to unary writes; on a Pipeline stream send a Wait call after the writes"),
                        new Metadata());
                return new ServerCall.Listener<>() {
                };
            }
            return next.startCall(call, headers);
        }
        if (replicasText == null && !node.throttles()) {
            return next.startCall(call, headers);
        }
        int replicas;
        long timeoutMs;
        try {
            replicas = replicasText == null ? -1 : (int) parse(replicasText, WAIT_REPLICAS, Integer.MAX_VALUE);
            String timeoutText = headers.get(WAIT_TIMEOUT_MS);
            timeoutMs = timeoutText == null ? 0 : parse(timeoutText, WAIT_TIMEOUT_MS, Long.MAX_VALUE);
        } catch (IllegalArgumentException e) {
            call.close(Status.INVALID_ARGUMENT.withDescription(e.getMessage()), new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        HeldCall<Q, R> held = new HeldCall<>(call, replicas, timeoutMs);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(held, headers)) {
            @Override
            public void onHalfClose() {
                WriteMarker.clear(); // the handler runs inside: a mark after this is this call's
                super.onHalfClose();
            }
        };
    }

    private static long parse(String text, Metadata.Key<String> key, long max) {
        try {
            long v = Long.parseLong(text.trim());
            if (v < 0 || v > max) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key.name() + " must be a non-negative integer, got '" + text + "'");
        }
    }

    /** Buffers the response of a unary write until the wait and the throttle are over. */
    private final class HeldCall<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
        private final int replicas;
        private final long timeoutMs;
        private R response;

        HeldCall(ServerCall<Q, R> delegate, int replicas, long timeoutMs) {
            super(delegate);
            this.replicas = replicas;
            this.timeoutMs = timeoutMs;
        }

        @Override
        public void sendMessage(R message) {
            if (getMethodDescriptor().getType().serverSendsOneMessage()) {
                response = message;
            } else {
                super.sendMessage(message);
            }
        }

        @Override
        public void close(Status status, Metadata trailers) {
            boolean wrote = WriteMarker.take();
            if (!status.isOk() || !wrote) {
                release(status, trailers);
                return;
            }
            long delayMs = node.throttleDelayForWrite();
            CompletableFuture<Integer> acked = replicas < 0
                    ? CompletableFuture.completedFuture(-1)
                    : node.waitForReplicas(node.offset(), replicas, timeoutMs);
            acked.whenComplete((n, error) -> {
                if (error != null) {
                    release(GrpcErrors.toStatus(error, getMethodDescriptor().getFullMethodName()), new Metadata());
                    return;
                }
                if (n >= 0) {
                    trailers.put(REPLICAS_ACKED, Integer.toString(n));
                }
                node.schedule(() -> release(status, trailers), delayMs);
            });
        }

        private void release(Status status, Metadata trailers) {
            try {
                if (response != null && status.isOk()) {
                    super.sendMessage(response);
                }
                super.close(status, trailers);
            } catch (IllegalStateException cancelled) {
                // the client went away while we held its response
            }
        }
    }
}
