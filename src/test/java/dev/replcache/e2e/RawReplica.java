package dev.replcache.e2e;

import dev.replcache.api.replication.v1.Ack;
import dev.replcache.api.replication.v1.Hello;
import dev.replcache.api.replication.v1.MasterMessage;
import dev.replcache.api.replication.v1.Psync;
import dev.replcache.api.replication.v1.ReplicaMessage;
import dev.replcache.api.replication.v1.ReplicationServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A hand-driven peer on a node's replication stream, for hostile-peer tests: it sends exactly the
 * messages a test gives it and records what comes back, reading everything.
 */
final class RawReplica implements AutoCloseable {

    final List<MasterMessage> received = new CopyOnWriteArrayList<>();
    /** How the stream ended ("completed", or the error), null while it is open. */
    final AtomicReference<String> closed = new AtomicReference<>();
    private final ManagedChannel channel;
    private final StreamObserver<ReplicaMessage> out;

    RawReplica(int grpcPort) {
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
        out = ReplicationServiceGrpc.newStub(channel).sync(new StreamObserver<>() {
            @Override
            public void onNext(MasterMessage m) {
                received.add(m);
            }

            @Override
            public void onError(Throwable t) {
                closed.set(t.toString());
            }

            @Override
            public void onCompleted() {
                closed.set("completed");
            }
        });
    }

    RawReplica hello(String id, String address, String token) {
        return send(ReplicaMessage.newBuilder().setHello(Hello.newBuilder().setReplicaId(id)
                .setAnnouncedAddress(address).setAuthToken(token)).build());
    }

    RawReplica psync(String replId, long offset) {
        return send(ReplicaMessage.newBuilder().setPsync(Psync.newBuilder().setReplId(replId).setOffset(offset)).build());
    }

    RawReplica failoverPsync(String replId, long offset, String handoverKey) {
        return send(ReplicaMessage.newBuilder().setPsync(Psync.newBuilder().setReplId(replId).setOffset(offset)
                .setFailover(true).setHandoverKey(handoverKey)).build());
    }

    RawReplica ack(long offset) {
        return send(ReplicaMessage.newBuilder().setAck(Ack.newBuilder().setOffset(offset)).build());
    }

    RawReplica send(ReplicaMessage m) {
        synchronized (out) {
            out.onNext(m);
        }
        return this;
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
