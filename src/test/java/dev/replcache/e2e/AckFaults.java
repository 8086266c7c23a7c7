package dev.replcache.e2e;

import dev.replcache.api.replication.v1.ReplicaMessage;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/** On a master: loses the replicas' acks on the way in while {@link #dropping} is set (a replica that stalls). */
final class AckFaults implements ServerInterceptor {

    final AtomicBoolean dropping = new AtomicBoolean();
    final AtomicLong dropped = new AtomicLong();

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        ServerCall.Listener<Q> listener = next.startCall(call, headers);
        if (!call.getMethodDescriptor().getFullMethodName().equals("replication.v1.ReplicationService/Sync")) {
            return listener;
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onMessage(Q message) {
                if (dropping.get() && ((ReplicaMessage) message).hasAck()) {
                    dropped.incrementAndGet();
                    return;
                }
                super.onMessage(message);
            }
        };
    }
}
