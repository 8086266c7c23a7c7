package dev.replcache.transport.grpc;

import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.InputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A request message the server cannot parse (a truncated or corrupt protobuf) is the client's
 * error: the call closes with INVALID_ARGUMENT saying so. grpc-java parses requests before any
 * interceptor's listener sees them, and a parse failure there became UNKNOWN ("Application error
 * processing RPC") with a stack trace in the log for every such request (issue 12, row 12).
 *
 * <p>So each method's request marshaller is replaced by one that hands the raw stream on, and
 * the request is parsed here with the method's own marshaller, where a failure can be answered.
 * The response side and the service's schema (for reflection) are unchanged. After a malformed
 * message the handler is told the call was cancelled, so that what it holds for the call (a
 * replication session) is released, and it sees nothing more of the call.
 */
final class MalformedRequestGuard {

    private static final Logger log = LoggerFactory.getLogger(MalformedRequestGuard.class);

    private static final MethodDescriptor.Marshaller<InputStream> RAW = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(InputStream value) {
            return value;
        }

        @Override
        public InputStream parse(InputStream stream) {
            return stream;
        }
    };

    private MalformedRequestGuard() {
    }

    /** The service with every method's requests parsed under the guard. */
    static ServerServiceDefinition guard(ServerServiceDefinition service) {
        ServiceDescriptor original = service.getServiceDescriptor();
        ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
                .setSchemaDescriptor(original.getSchemaDescriptor());
        java.util.List<ServerMethodDefinition<InputStream, ?>> methods = new java.util.ArrayList<>();
        for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
            ServerMethodDefinition<InputStream, ?> guarded = guardMethod(method);
            descriptor.addMethod(guarded.getMethodDescriptor());
            methods.add(guarded);
        }
        ServerServiceDefinition.Builder builder = ServerServiceDefinition.builder(descriptor.build());
        methods.forEach(builder::addMethod);
        return builder.build();
    }

    private static <Q, R> ServerMethodDefinition<InputStream, R> guardMethod(ServerMethodDefinition<Q, R> method) {
        MethodDescriptor<Q, R> typed = method.getMethodDescriptor();
        MethodDescriptor<InputStream, R> raw = typed.toBuilder(RAW, typed.getResponseMarshaller()).build();
        ServerCallHandler<Q, R> handler = method.getServerCallHandler();
        return ServerMethodDefinition.create(raw, (call, headers) -> startCall(call, headers, typed, handler));
    }

    private static <Q, R> ServerCall.Listener<InputStream> startCall(ServerCall<InputStream, R> call, Metadata headers,
                                                                     MethodDescriptor<Q, R> typed,
                                                                     ServerCallHandler<Q, R> handler) {
        ServerCall.Listener<Q> listener = handler.startCall(typedCall(call, typed), headers);
        return new ParsingListener<>(listener, call, typed);
    }

    /**
     * The call as the handler knows it: the method's own descriptor; all else is the raw call. No
     * method of a ServerCall takes a request, so the raw call serves for the typed one as it is.
     */
    @SuppressWarnings("unchecked")
    private static <Q, R> ServerCall<Q, R> typedCall(ServerCall<InputStream, R> raw, MethodDescriptor<Q, R> typed) {
        return new io.grpc.ForwardingServerCall.SimpleForwardingServerCall<>((ServerCall<Q, R>) (ServerCall<?, R>) raw) {
            @Override
            public MethodDescriptor<Q, R> getMethodDescriptor() {
                return typed;
            }
        };
    }

    /**
     * Parses each request; after a malformed one, closes the call and forwards nothing but one
     * cancellation. All callbacks of a call are serialized, so {@code refused} needs no lock.
     */
    private static final class ParsingListener<Q, R> extends ServerCall.Listener<InputStream> {
        private final ServerCall.Listener<Q> delegate;
        private final ServerCall<InputStream, R> call;
        private final MethodDescriptor<Q, R> typed;
        private boolean refused;

        ParsingListener(ServerCall.Listener<Q> delegate, ServerCall<InputStream, R> call, MethodDescriptor<Q, R> typed) {
            this.delegate = delegate;
            this.call = call;
            this.typed = typed;
        }

        @Override
        public void onMessage(InputStream message) {
            if (refused) {
                closeQuietly(message);
                return;
            }
            Q parsed;
            try {
                parsed = typed.parseRequest(message);
            } catch (RuntimeException e) {
                closeQuietly(message);
                refuse(e);
                return;
            }
            delegate.onMessage(parsed);
        }

        private void refuse(RuntimeException e) {
            refused = true;
            String method = typed.getFullMethodName();
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            // One line, no stack trace: a client can send these as often as it likes.
            log.debug("Refused a malformed request message for {}: {}", method, cause.toString());
            try {
                call.close(Status.INVALID_ARGUMENT.withDescription("malformed request message for " + method
                        + ": not a valid " + requestType() + " (" + cause.getMessage() + ")"), new Metadata());
            } catch (IllegalStateException alreadyClosed) {
                // The handler closed it already; nothing left to tell the client.
            }
            delegate.onCancel();
        }

        private String requestType() {
            if (typed.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<?> proto
                    && proto.getMessagePrototype() != null) {
                return "protobuf " + proto.getMessagePrototype().getClass().getSimpleName();
            }
            return "request";
        }

        @Override
        public void onHalfClose() {
            if (!refused) {
                delegate.onHalfClose();
            }
        }

        @Override
        public void onCancel() {
            if (!refused) {
                delegate.onCancel();
            }
        }

        @Override
        public void onComplete() {
            if (!refused) {
                delegate.onComplete();
            }
        }

        @Override
        public void onReady() {
            if (!refused) {
                delegate.onReady();
            }
        }

        private static void closeQuietly(InputStream message) {
            try {
                message.close();
            } catch (java.io.IOException ignored) {
                // nothing to do: the bytes are dropped either way
            }
        }
    }
}
