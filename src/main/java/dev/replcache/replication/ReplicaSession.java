package dev.replcache.replication;

import java.util.ArrayDeque;

/**
 * The master's view of one connected replica (Redis's replica {@code client} with its
 * {@code replstate}). Owned by {@link ReplicationMaster}; read its fields through the view.
 */
public final class ReplicaSession {

    /** Where the replica is in its sync. */
    public enum State {
        /** Connected; waiting for Hello and PSYNC. */
        HANDSHAKE,
        /** Full resync: waiting for the snapshot to be written (Redis's WAIT_BGSAVE_START/END). */
        WAIT_SNAPSHOT,
        /** Full resync: sending the snapshot's chunks (Redis's SEND_BULK). */
        SEND_SNAPSHOT,
        /** Following the stream (Redis's ONLINE). */
        ONLINE
    }

    final String sessionId;
    String replicaId = "";
    String address = "";
    /** The replica's RESP port from Hello, 0 = none. */
    int respPort;
    State state = State.HANDSHAKE;
    /** Next stream byte to send. Invariant: only grows while ONLINE. */
    long nextOffset = -1;
    /** Offset the replica acked: it has applied every byte before it. -1 before its first ack. */
    long ackOffset = -1;
    /** Whether {@link #ackOffset} came from an Ack on this stream, not from the Psync's claim. */
    boolean acked;
    /** The replica's handover key from Hello: what this node presents to hand its role over to it. */
    String handoverKey = "";
    long ackTimeMs = -1;
    long lastHeardMs;
    long lastPingMs;
    /** When the stream opened: it has the handshake timeout from here to send Hello and PSYNC. */
    final long openedMs;
    /** The log's epoch when the PSYNC was answered: the history this session streams. */
    long epoch = -1;
    /** Disconnect policy: since when the replica has been over the soft limit, -1 when it is not. */
    long overSoftLimitSinceMs = -1;
    /**
     * The master's offset when the session went online: what the replica is given to catch up on
     * (a partial resync's gap, the writes during a full sync). The slow-replica limits count only
     * lag past it; else a gap over the hard limit dropped the replica at every resync, forever.
     */
    long catchUpToOffset = -1;
    /** Full resync: the snapshot and how far it has been sent. */
    SnapshotTransfer transfer;
    long transferPosition;
    long transferSeq;
    /** When the full resync was decided, for its duration. */
    long fullSyncStartMs;
    final ArrayDeque<MasterMessage> control = new ArrayDeque<>();
    /**
     * A queued GetAck goes out only once the stream up to here was sent (Redis's GETACK travels in
     * the stream, after the writes before it): an ack it asks for then covers those writes.
     */
    long getAckAfterOffset = -1;
    String closeReason;
    /** The answer to this replica's PSYNC, with its reason; null before. */
    volatile PsyncDecision.Result decision;
    volatile ReplicaMessage.Psync psync;

    ReplicaSession(String sessionId, long nowMs) {
        this.sessionId = sessionId;
        this.lastHeardMs = nowMs;
        this.lastPingMs = nowMs;
        this.openedMs = nowMs;
    }

    public String sessionId() {
        return sessionId;
    }

    /** What the replica asked for in PSYNC, or null before it did. */
    public ReplicaMessage.Psync psync() {
        return psync;
    }

    /** The master's answer to the PSYNC and why, or null before it was asked. */
    public PsyncDecision.Result decision() {
        return decision;
    }

    /** The replica's id from Hello (empty before), for logs. */
    public String replicaId() {
        return replicaId;
    }

    /** The replica's announced address from Hello (empty if none), for logs. */
    public String address() {
        return address;
    }

    /** The replica's id and announced address, from Hello. */
    public String describe() {
        return replicaId + (address.isEmpty() ? "" : " at " + address);
    }

    /** Why the master wants this stream closed, or null while it is fine. */
    public synchronized String closeReason() {
        return closeReason;
    }

    /** A snapshot shared by the replicas that full-sync from it (as Redis shares one BGSAVE). */
    static final class SnapshotTransfer {
        final String snapshotId;
        /** Stream offset of the cut; -1 until the cut is taken. */
        long offset;
        boolean written;
        long sizeBytes = -1;
        /** CRC32C of the whole file, computed once by the writer for every replica it is sent to. */
        int crc32c;
        long keyCount = -1;

        SnapshotTransfer(String snapshotId, long offset) {
            this.snapshotId = snapshotId;
            this.offset = offset;
        }
    }
}
