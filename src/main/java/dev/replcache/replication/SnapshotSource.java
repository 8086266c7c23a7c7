package dev.replcache.replication;

/**
 * The master's port to its snapshots: the node implements it with the keyspace and files in the
 * data directory, the simulation with memory. A snapshot is cut at an exact stream offset while
 * writes go on (docs/architecture.md, "Snapshots without fork"), written somewhere readable, then read chunk by chunk for
 * each replica that syncs from it.
 */
public interface SnapshotSource {

    /**
     * Cuts a point-in-time snapshot now and starts writing it; returns the stream offset of the
     * cut. When the snapshot is written the implementation calls
     * {@link ReplicationMaster#snapshotWritten} (or {@link ReplicationMaster#snapshotFailed}),
     * possibly from another thread, possibly before this method returns.
     */
    long startSnapshot(String snapshotId);

    /** Reads up to {@code len} bytes of a written snapshot at {@code position}; returns the count read. */
    int read(String snapshotId, long position, byte[] dst, int len);

    /**
     * Keys in the dataset now (logically expired ones included), announced with FULLRESYNC so
     * that a replica with data can refuse to be emptied by a master that has none.
     */
    long datasetKeys();

    /** The snapshot is no longer needed. */
    void delete(String snapshotId);
}
