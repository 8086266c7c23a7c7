package dev.replcache.e2e;

import dev.replcache.api.replication.v1.MasterMessage;
import dev.replcache.api.replication.v1.ReplicaMessage;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * On a FAILOVER target: faults in the handshake of the Sync stream. While {@link #losingAnswers}
 * is set, the answer to a PSYNC (CONTINUE or FULLRESYNC) is lost on the way out and the stream
 * closed, after the target acted on the PSYNC: the worst moment for the old master. While
 * {@link #forgingKeys} is set, a failover PSYNC's handover key is replaced on the way in, so the
 * target refuses to take over.
 */
final class HandshakeFaults implements ServerInterceptor {

    final AtomicBoolean losingAnswers = new AtomicBoolean();
    final AtomicBoolean forgingKeys = new AtomicBoolean();
    final AtomicInteger answersLost = new AtomicInteger();
    final AtomicInteger keysForged = new AtomicInteger();

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (!call.getMethodDescriptor().getFullMethodName().equals("replication.v1.ReplicationService/Sync")) {
            return next.startCall(call, headers);
        }
        AtomicBoolean cut = new AtomicBoolean();
        ServerCall.Listener<Q> listener = next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void sendMessage(R message) {
                if (cut.get()) {
                    return;
                }
                MasterMessage m = (MasterMessage) message;
                if (losingAnswers.get() && (m.hasContinue() || m.hasFullResync())) {
                    answersLost.incrementAndGet();
                    cut.set(true);
                    super.close(Status.UNAVAILABLE.withDescription("test: the handshake's answer was lost"), new Metadata());
                    return;
                }
                super.sendMessage(message);
            }

            @Override
            public void close(Status status, Metadata trailers) {
                if (!cut.get()) {
                    super.close(status, trailers);
                }
            }
        }, headers);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            @SuppressWarnings("unchecked")
            public void onMessage(Q message) {
                ReplicaMessage m = (ReplicaMessage) message;
                if (forgingKeys.get() && m.hasPsync() && m.getPsync().getFailover()) {
                    keysForged.incrementAndGet();
                    m = m.toBuilder().setPsync(m.getPsync().toBuilder().setHandoverKey("forged")).build();
                }
                super.onMessage((Q) m);
            }
        };
    }
}
