package dev.replcache.replication;

/** What a replica sends its master on the Sync stream (the proto's ReplicaMessage, transport-free). */
public sealed interface ReplicaMessage {

    /** First message: who the replica is and where it can be reached. */
    record Hello(String replicaId, String announcedAddress, String authToken) implements ReplicaMessage {
    }

    /** Asks for the stream from {@code offset} of history {@code replId} (or {@code ?} / -1 for none). */
    record Psync(ReplicationId replId, long offset) implements ReplicaMessage {
    }

    /** The replica has applied every stream byte before {@code offset}. */
    record Ack(long offset) implements ReplicaMessage {
    }
}
