package dev.replcache.transport.grpc;

import io.grpc.Metadata;
import io.grpc.ServerStreamTracer;
import io.grpc.Status;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The server's view of each call that carries a {@link #CALL_ID} header, which a client cannot
 * see: how many messages its handler produced (counted when the handler hands them to the
 * transport, not when they reach the wire) and how the call ended. Registered as a bean, the
 * server picks it up as a stream tracer.
 */
final class CallLog extends ServerStreamTracer.Factory {

    /** Header a test sets to find its call here. */
    static final Metadata.Key<String> CALL_ID = Metadata.Key.of("x-test-call-id", Metadata.ASCII_STRING_MARSHALLER);

    static final class Call {
        final AtomicInteger messagesProduced = new AtomicInteger();
        volatile Status closedWith;
    }

    private final Map<String, Call> calls = new ConcurrentHashMap<>();

    Call call(String id) {
        return calls.computeIfAbsent(id, k -> new Call());
    }

    @Override
    public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
        String id = headers.get(CALL_ID);
        if (id == null) {
            return new ServerStreamTracer() {
            };
        }
        Call call = call(id);
        return new ServerStreamTracer() {
            @Override
            public void outboundMessage(int seqNo) {
                call.messagesProduced.incrementAndGet();
            }

            @Override
            public void streamClosed(Status status) {
                call.closedWith = status;
            }
        };
    }
}
