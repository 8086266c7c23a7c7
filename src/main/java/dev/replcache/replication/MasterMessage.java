package dev.replcache.replication;

/** What a master sends a replica on the Sync stream (the proto's MasterMessage, transport-free). */
public sealed interface MasterMessage {

    /**
     * The lease epoch the stream carries: the master's (or its own master's) on Continue,
     * FullResync and Ping, {@link LeaseEpoch#NONE} on every other message and without a lease.
     */
    default LeaseEpoch lease() {
        return LeaseEpoch.NONE;
    }

    /**
     * Partial resync accepted: the stream continues from {@code offset} under {@code replId}.
     * {@code lease} is the lease epoch the master holds (or its own master's), {@link LeaseEpoch#NONE} without one.
     */
    record Continue(ReplicationId replId, long offset, LeaseEpoch lease) implements MasterMessage {
        public Continue {
            lease = lease == null ? LeaseEpoch.NONE : lease;
        }

        public Continue(ReplicationId replId, long offset) {
            this(replId, offset, LeaseEpoch.NONE);
        }
    }

    /**
     * A snapshot at {@code offset} follows in chunks, then the stream from {@code offset}.
     * {@code keyCount} is the number of keys the master holds (at least the snapshot's), -1 when
     * unknown; {@code replId2} the previous history the master continues, {@code ?} when none, and
     * {@code secondReplOffset} the last offset of it the master holds (-1 with none).
     */
    record FullResync(ReplicationId replId, long offset, String snapshotId, long sizeEstimate, long keyCount,
                      ReplicationId replId2, long secondReplOffset, LeaseEpoch lease) implements MasterMessage {
        public FullResync {
            lease = lease == null ? LeaseEpoch.NONE : lease;
        }

        public FullResync(ReplicationId replId, long offset, String snapshotId, long sizeEstimate, long keyCount,
                          ReplicationId replId2, long secondReplOffset) {
            this(replId, offset, snapshotId, sizeEstimate, keyCount, replId2, secondReplOffset, LeaseEpoch.NONE);
        }

        public FullResync(ReplicationId replId, long offset, String snapshotId, long sizeEstimate, long keyCount) {
            this(replId, offset, snapshotId, sizeEstimate, keyCount, ReplicationId.NONE, -1);
        }
    }

    /** One chunk of the snapshot file; {@code crc32c} covers {@code data}. */
    record SnapshotChunk(String snapshotId, long seq, byte[] data, int crc32c) implements MasterMessage {
    }

    /** The snapshot is complete: {@code totalBytes} and the CRC32C of the whole file. */
    record SnapshotEnd(String snapshotId, long totalBytes, int crc32c) implements MasterMessage {
    }

    /**
     * Stream bytes starting at {@code startOffset} (frames may be cut anywhere); {@code crc32c}
     * covers the offset (8 bytes, big-endian) and the bytes, so a batch damaged on the way, or
     * relabelled with another offset, is refused before anything of it is applied.
     */
    record Entries(long startOffset, byte[] data, int crc32c) implements MasterMessage {
        /** A batch with its checksum. */
        public Entries(long startOffset, byte[] data) {
            this(startOffset, data, checksum(startOffset, data));
        }

        public static int checksum(long startOffset, byte[] data) {
            java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
            crc.update(java.nio.ByteBuffer.allocate(Long.BYTES).putLong(0, startOffset));
            crc.update(data);
            return (int) crc.getValue();
        }

        /** Whether the checksum matches the offset and the bytes. */
        public boolean intact() {
            return checksum(startOffset, data) == crc32c;
        }
    }

    /** Asks the replica to ack its offset now. */
    record GetAck() implements MasterMessage {
    }

    /**
     * Heartbeat, with the master's offset so an idle replica can measure its lag, and its lease
     * epoch so a replica that learned of a newer one leaves a deposed master's stream.
     */
    record Ping(long masterOffset, LeaseEpoch lease) implements MasterMessage {
        public Ping {
            lease = lease == null ? LeaseEpoch.NONE : lease;
        }

        public Ping(long masterOffset) {
            this(masterOffset, LeaseEpoch.NONE);
        }
    }
}
