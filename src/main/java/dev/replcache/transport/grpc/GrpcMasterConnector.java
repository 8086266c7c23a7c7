package dev.replcache.transport.grpc;

import dev.replcache.api.replication.v1.ReplicationServiceGrpc;
import dev.replcache.config.ReplicationProperties.HostPort;
import dev.replcache.node.MasterConnector;
import dev.replcache.replication.ReplicaMessage;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;

/**
 * The replica's side of the Sync stream over gRPC: one channel per connection, inbound flow
 * control by hand (a message is requested only after the previous one was handled), so a
 * replica that is busy (loading a snapshot) makes its master wait rather than buffer.
 */
public final class GrpcMasterConnector implements MasterConnector {

    private final int maxInboundMessageBytes;

    public GrpcMasterConnector(int maxInboundMessageBytes) {
        this.maxInboundMessageBytes = maxInboundMessageBytes;
    }

    @Override
    public Connection connect(HostPort master, Listener listener) {
        ManagedChannel channel = NettyChannelBuilder.forAddress(master.host(), master.port())
                .usePlaintext()
                .maxInboundMessageSize(maxInboundMessageBytes)
                .build();
        GrpcConnection connection = new GrpcConnection(channel, listener);
        connection.requests = ReplicationServiceGrpc.newStub(channel).sync(connection);
        return connection;
    }

    private static final class GrpcConnection implements Connection,
            ClientResponseObserver<dev.replcache.api.replication.v1.ReplicaMessage, dev.replcache.api.replication.v1.MasterMessage> {

        private final ManagedChannel channel;
        private final Listener listener;
        private volatile ClientCallStreamObserver<dev.replcache.api.replication.v1.ReplicaMessage> call;
        private StreamObserver<dev.replcache.api.replication.v1.ReplicaMessage> requests;
        private volatile boolean closed;

        GrpcConnection(ManagedChannel channel, Listener listener) {
            this.channel = channel;
            this.listener = listener;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<dev.replcache.api.replication.v1.ReplicaMessage> requestStream) {
            this.call = requestStream;
            requestStream.disableAutoRequestWithInitial(0);
        }

        @Override
        public void onNext(dev.replcache.api.replication.v1.MasterMessage message) {
            try {
                listener.onMessage(ReplicationProtos.fromProto(message));
            } catch (StatusRuntimeException malformed) {
                close("master sent a malformed message: " + malformed.getStatus().getDescription());
                listener.onClosed("master sent a malformed message: " + malformed.getStatus().getDescription());
            }
        }

        @Override
        public void onError(Throwable t) {
            channel.shutdownNow();
            Status s = Status.fromThrowable(t);
            listener.onClosed(s.getCode() + (s.getDescription() == null ? "" : ": " + s.getDescription()));
        }

        @Override
        public void onCompleted() {
            channel.shutdownNow();
            listener.onClosed("master ended the stream");
        }

        @Override
        public synchronized void send(ReplicaMessage message) {
            if (!closed) {
                requests.onNext(ReplicationProtos.toProto(message));
            }
        }

        @Override
        public void requestMore() {
            if (!closed) {
                call.request(1);
            }
        }

        @Override
        public synchronized void close(String reason) {
            if (closed) {
                return;
            }
            closed = true;
            call.cancel(reason, null);
            channel.shutdownNow();
        }
    }
}
