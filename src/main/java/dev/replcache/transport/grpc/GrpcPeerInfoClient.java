package dev.replcache.transport.grpc;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import dev.replcache.api.replication.v1.InfoRequest;
import dev.replcache.api.replication.v1.ReplicationInfo;
import dev.replcache.api.replication.v1.ReplicationServiceGrpc;
import dev.replcache.config.ReplicationProperties.HostPort;
import dev.replcache.ops.PeerInfoClient;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Asks other nodes for their replication view ({@code replication.v1.ReplicationService/Info}),
 * for the status page's topology. One channel per address, kept for the next refresh (the page
 * asks every few seconds) and idle-closed by gRPC; at most {@link #MAX_CHANNELS} are kept.
 */
public final class GrpcPeerInfoClient implements PeerInfoClient, AutoCloseable {

    static final int MAX_CHANNELS = 64;
    private static final long IDLE_TIMEOUT_SECONDS = 60;

    private final Map<String, ManagedChannel> channels = new LinkedHashMap<>(16, 0.75f, true);
    private boolean closed; // guarded by channels

    @Override
    public CompletableFuture<PeerInfo> info(String address, Duration deadline) {
        ManagedChannel channel;
        try {
            channel = channel(address);
        } catch (IllegalArgumentException | IllegalStateException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<PeerInfo> result = new CompletableFuture<>();
        Futures.addCallback(ReplicationServiceGrpc.newFutureStub(channel)
                .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .info(InfoRequest.getDefaultInstance()), new FutureCallback<>() {
                    @Override
                    public void onSuccess(ReplicationInfo info) {
                        try {
                            result.complete(toPeerInfo(info));
                        } catch (RuntimeException e) {
                            result.completeExceptionally(e);
                        }
                    }

                    @Override
                    public void onFailure(Throwable t) {
                        Status s = Status.fromThrowable(t);
                        result.completeExceptionally(new IllegalStateException(
                                s.getCode() + (s.getDescription() == null ? "" : ": " + s.getDescription()), t));
                    }
                }, MoreExecutors.directExecutor());
        return result;
    }

    private ManagedChannel channel(String address) {
        HostPort target = HostPort.parse(address, "announced address");
        synchronized (channels) {
            if (closed) {
                throw new IllegalStateException("shutting down");
            }
            ManagedChannel c = channels.get(address);
            if (c == null) {
                c = NettyChannelBuilder.forAddress(target.host(), target.port())
                        .usePlaintext()
                        .idleTimeout(IDLE_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                        .build();
                channels.put(address, c);
                if (channels.size() > MAX_CHANNELS) {
                    Iterator<ManagedChannel> eldest = channels.values().iterator();
                    eldest.next().shutdown();
                    eldest.remove();
                }
            }
            return c;
        }
    }

    static PeerInfo toPeerInfo(ReplicationInfo info) {
        return new PeerInfo(info.getRole(), info.getReplId(), info.getOffset(),
                info.getMasterHost().isEmpty() ? "" : (info.getMasterHost().contains(":")
                        ? "[" + info.getMasterHost() + "]" : info.getMasterHost()) + ":" + info.getMasterPort(),
                info.getLinkStatus(),
                info.getReplicasList().stream()
                        .map(r -> new PeerReplica(r.getId(), r.getAddress(), r.getState(), r.getAckOffset(),
                                r.getLagBytes(), r.getLagMs()))
                        .toList(),
                info.hasLease() ? new PeerInfo.Candidacy(info.getLease().getName(), info.getLease().getPriority(),
                        info.getLease().getSynced(), info.getLease().getRefused(), info.getLease().getApiReachable(),
                        info.getLease().getHistoryEpoch()) : null);
    }

    @Override
    public void close() {
        synchronized (channels) {
            closed = true;
            channels.values().forEach(ManagedChannel::shutdownNow);
            channels.clear();
        }
    }
}
