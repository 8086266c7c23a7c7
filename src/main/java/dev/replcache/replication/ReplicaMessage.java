package dev.replcache.replication;

/** What a replica sends its master on the Sync stream (the proto's ReplicaMessage, transport-free). */
public sealed interface ReplicaMessage {

    /**
     * First message: who the replica is and where it can be reached.
     *
     * @param respPort port of the replica's Redis protocol server, 0 = none (Redis's
     *                 {@code REPLCONF listening-port}): for INFO replication and ROLE on the master
     */
    record Hello(String replicaId, String announcedAddress, String authToken, int respPort) implements ReplicaMessage {
        public Hello(String replicaId, String announcedAddress, String authToken) {
            this(replicaId, announcedAddress, authToken, 0);
        }
    }

    /**
     * Asks for the stream from {@code offset} of history {@code replId} (or {@code ?} / -1 for
     * none). With {@code failover}, the sender is the receiver's master, paused at {@code offset}
     * and handing its role over (Redis's {@code PSYNC ... FAILOVER}).
     */
    record Psync(ReplicationId replId, long offset, boolean failover) implements ReplicaMessage {
        public Psync(ReplicationId replId, long offset) {
            this(replId, offset, false);
        }
    }

    /** The replica has applied every stream byte before {@code offset}. */
    record Ack(long offset) implements ReplicaMessage {
    }
}
