package dev.replcache.replication;

/** What a replica sends its master on the Sync stream (the proto's ReplicaMessage, transport-free). */
public sealed interface ReplicaMessage {

    /**
     * First message: who the replica is and where it can be reached; {@code handoverKey} is a
     * secret of this stream, which only the master it follows learns and which a coordinated
     * failover must present (see {@link Psync#handoverKey()}).
     *
     * @param respPort port of the replica's Redis protocol server, 0 = none (Redis's
     *                 {@code REPLCONF listening-port}): for INFO replication and ROLE on the master
     */
    record Hello(String replicaId, String announcedAddress, String authToken, String handoverKey, int respPort)
            implements ReplicaMessage {
        public Hello(String replicaId, String announcedAddress, String authToken) {
            this(replicaId, announcedAddress, authToken, "", 0);
        }

        @Override
        public String toString() { // the token and the key are secrets: never in a log line
            return "Hello[replicaId=" + replicaId + ", announcedAddress=" + announcedAddress + ", respPort=" + respPort + "]";
        }
    }

    /**
     * Asks for the stream from {@code offset} of history {@code replId} (or {@code ?} / -1 for
     * none). With {@code failover}, the sender is the receiver's master, paused at {@code offset}
     * and handing its role over (Redis's {@code PSYNC ... FAILOVER}); it proves it is that
     * master with {@code handoverKey}, the key the receiver sent it in its Hello.
     */
    record Psync(ReplicationId replId, long offset, boolean failover, String handoverKey) implements ReplicaMessage {
        public Psync(ReplicationId replId, long offset) {
            this(replId, offset, false, "");
        }

        @Override
        public String toString() { // the key is a secret: never in a log line
            return "Psync[replId=" + replId + ", offset=" + offset + ", failover=" + failover + "]";
        }
    }

    /** The replica has applied every stream byte before {@code offset}. */
    record Ack(long offset) implements ReplicaMessage {
    }
}
