package dev.replcache.ops;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * How the topology asks another node for its replication view (the gRPC transport implements
 * it with {@code replication.v1.ReplicationService/Info}).
 */
public interface PeerInfoClient {

    /**
     * @param address  {@code host:port} of the node's gRPC endpoint, as its master knows it
     * @param deadline how long the call may take
     * @return the node's view; completes exceptionally when the node cannot be asked
     */
    CompletableFuture<PeerInfo> info(String address, Duration deadline);

    /**
     * What a node says of itself.
     *
     * @param master     {@code host:port} of its master, or empty on a master
     * @param linkStatus its link to the master ({@code connecting}, {@code sync}, {@code up}, {@code down}), or empty
     * @param candidacy  what it says as a lease candidate, or null when it runs no election
     */
    record PeerInfo(String role, String replId, long offset, String master, String linkStatus,
                    List<PeerReplica> replicas, Candidacy candidacy) {

        /** A lease candidate's self-description (replcache.failover.mode=lease). */
        public record Candidacy(String name, int priority, boolean synced, boolean refused, boolean apiReachable,
                                long historyEpoch) {
        }
    }

    /** One replica as a node knows it. */
    record PeerReplica(String id, String address, String state, long ackOffset, long lagBytes, long lagMs) {
    }
}
