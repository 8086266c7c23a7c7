package dev.replcache.replication;

/**
 * The lease epoch a master's stream carries under {@code failover.mode=lease}: the epoch of the
 * lease it holds, the offset at which it took it (its entries past it are of this epoch), and the
 * epoch of the history before that offset. A node can so tell the epoch of its last entry, which
 * candidates compare before offsets (Raft's last log term), and a replica can refuse the stream
 * of a master deposed by a newer epoch.
 *
 * @param epoch       the lease's transitions when the master took it, -1 with none
 * @param startOffset the master's offset when it took the lease
 * @param previous    the epoch of the history up to {@code startOffset}, -1 when unknown
 */
public record LeaseEpoch(long epoch, long startOffset, long previous) {

    /** No election (manual mode), or a master that holds no lease. */
    public static final LeaseEpoch NONE = new LeaseEpoch(-1, -1, -1);

    public boolean isNone() {
        return epoch < 0;
    }

    /** The epoch of the entry at {@code offset} of this history (the last one a node at that offset holds). */
    public long historyEpochAt(long offset) {
        if (isNone()) {
            return -1;
        }
        return offset > startOffset ? epoch : previous;
    }
}
