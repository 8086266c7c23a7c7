package dev.replcache.transport.grpc;

import dev.replcache.api.replication.v1.ReplicationServiceGrpc;
import dev.replcache.config.ReplicationProperties.HostPort;
import dev.replcache.node.MasterConnector;
import dev.replcache.replication.ReplicaMessage;
import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;

/**
 * The replica's side of the Sync stream over gRPC: one channel per connection, inbound flow
 * control by hand: at most {@link #INBOUND_WINDOW_MESSAGES} messages are delivered ahead of the
 * link, and one more is requested each time the link has handled one. A replica that is busy
 * (loading a snapshot) thus makes its master wait rather than buffer without bound, while a
 * streaming replica is not held to one message per thread hop.
 *
 * <p>The channel is plaintext or TLS (with a client certificate for mutual TLS) as
 * {@code replcache.replication.tls.*} says. A connection the TLS handshake refuses ends like any
 * other failed connection: the link is down, with the handshake's reason as its last error.
 */
public final class GrpcMasterConnector implements MasterConnector {

    /**
     * Messages delivered ahead of the link at most. One at a time capped a replica at one
     * message per two thread hops, which under load made it fall behind a master sending one
     * small Entries message per write; 32 keeps the pipe full and bounds the buffer at 32
     * messages (each under the inbound message limit).
     */
    static final int INBOUND_WINDOW_MESSAGES = 32;

    private final int maxInboundMessageBytes;
    private final ChannelCredentials credentials;
    private final String authority;

    /**
     * @param credentials plaintext or TLS credentials for every connection
     * @param authority   the name the master's certificate must carry; empty = the master's host
     */
    public GrpcMasterConnector(int maxInboundMessageBytes, ChannelCredentials credentials, String authority) {
        this.maxInboundMessageBytes = maxInboundMessageBytes;
        this.credentials = credentials;
        this.authority = authority;
    }

    @Override
    public Connection connect(HostPort master, Listener listener) {
        ManagedChannel channel = channel(master);
        GrpcConnection connection = new GrpcConnection(channel, listener);
        connection.requests = ReplicationServiceGrpc.newStub(channel).sync(connection);
        return connection;
    }

    private ManagedChannel channel(HostPort master) {
        NettyChannelBuilder builder = NettyChannelBuilder.forAddress(master.host(), master.port(), credentials)
                .maxInboundMessageSize(maxInboundMessageBytes);
        if (!authority.isEmpty()) {
            builder.overrideAuthority(authority);
        }
        return builder.build();
    }

    /** A health check over a channel set up exactly as the stream's will be, then closed. */
    @Override
    public void warmUp(HostPort master, long timeoutMs) {
        ManagedChannel channel = channel(master);
        try {
            io.grpc.health.v1.HealthGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(timeoutMs, java.util.concurrent.TimeUnit.MILLISECONDS)
                    .check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance());
        } catch (StatusRuntimeException e) {
            // Best effort: the handshake reports real trouble.
        } finally {
            channel.shutdownNow();
        }
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
            requestStream.disableAutoRequestWithInitial(INBOUND_WINDOW_MESSAGES);
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
            listener.onClosed(reason(Status.fromThrowable(t)));
        }

        /**
         * The status, and for a transport failure its root cause: a refused TLS handshake arrives
         * as a bare "UNAVAILABLE: io exception" whose cause says what was wrong (an unknown CA, a
         * missing client certificate), which an operator needs in the link's last error.
         */
        private static String reason(Status s) {
            StringBuilder sb = new StringBuilder(s.getCode().toString());
            if (s.getDescription() != null) {
                // Netty appends its channel pipeline on further lines: of no use to an operator.
                String description = s.getDescription();
                int newline = description.indexOf('\n');
                sb.append(": ").append(newline < 0 ? description : description.substring(0, newline));
            }
            Throwable root = s.getCause();
            while (root != null && root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            if (root != null && root.getMessage() != null) {
                sb.append(" (").append(root.getClass().getSimpleName()).append(": ").append(root.getMessage()).append(')');
            }
            return sb.toString();
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
