package dev.replcache.transport.grpc;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a call whose handler threw with the status {@link GrpcErrors} maps the exception to.
 * Without it grpc-java closes such a call with UNKNOWN and no description. Handlers can then
 * simply throw {@code InvalidRequestException}, {@code LimitExceededException} or
 * {@code KeyspaceException}.
 *
 * <p>All listener callbacks of one call run serialized on the call's executor, and the
 * handlers touch the call only from those callbacks, so the close here cannot race with one
 * of theirs. The one exception is {@link PipelineCall}, which sends a throttled response from
 * the node's timer; it does so under its own lock and throws nothing there.
 */
final class GrpcErrorInterceptor implements ServerInterceptor {

    private static final Logger log = LoggerFactory.getLogger(GrpcErrorInterceptor.class);

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        ClosingCall<Q, R> closing = new ClosingCall<>(call);
        ServerCall.Listener<Q> listener;
        try {
            listener = next.startCall(closing, headers);
        } catch (RuntimeException e) {
            closing.closeWith(e);
            return new ServerCall.Listener<>() {
            };
        }
        return new MappingListener<>(listener, closing);
    }

    /** Remembers whether the call was closed, so that a late exception does not close it twice. */
    private static final class ClosingCall<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {

        private boolean closed;

        ClosingCall(ServerCall<Q, R> delegate) {
            super(delegate);
        }

        @Override
        public void close(Status status, Metadata trailers) {
            closed = true;
            super.close(status, trailers);
        }

        void closeWith(RuntimeException error) {
            String method = getMethodDescriptor().getFullMethodName();
            if (closed) {
                // E.g. a response sent after a cancellation; nothing left to tell the client.
                log.debug("gRPC call {} threw after it was closed", method, error);
                return;
            }
            close(GrpcErrors.toStatus(error, method), new Metadata());
        }
    }

    private static final class MappingListener<Q, R> extends ForwardingServerCallListener.SimpleForwardingServerCallListener<Q> {

        private final ClosingCall<Q, R> call;

        MappingListener(ServerCall.Listener<Q> delegate, ClosingCall<Q, R> call) {
            super(delegate);
            this.call = call;
        }

        @Override
        public void onMessage(Q message) {
            try {
                super.onMessage(message);
            } catch (RuntimeException e) {
                call.closeWith(e);
            }
        }

        @Override
        public void onHalfClose() {
            // Unary and server-streaming handlers run here.
            try {
                super.onHalfClose();
            } catch (RuntimeException e) {
                call.closeWith(e);
            }
        }

        @Override
        public void onReady() {
            try {
                super.onReady();
            } catch (RuntimeException e) {
                call.closeWith(e);
            }
        }

        @Override
        public void onCancel() {
            try {
                super.onCancel();
            } catch (RuntimeException e) {
                log.error("gRPC call {}: cancel handler failed", call.getMethodDescriptor().getFullMethodName(), e);
            }
        }

        @Override
        public void onComplete() {
            try {
                super.onComplete();
            } catch (RuntimeException e) {
                log.error("gRPC call {}: completion handler failed", call.getMethodDescriptor().getFullMethodName(), e);
            }
        }
    }
}
