package dev.replcache.replication;

import dev.replcache.keyspace.CommandEntry;
import java.util.ArrayList;
import java.util.List;

/**
 * A replica's dataset for tests of the link alone: it records what the link applies and how
 * many snapshots it began and threw away. With a log, applied entries are appended to it and a
 * loaded snapshot resets it, as the node's keyspace does; without one, nothing else happens.
 * Tests override a method to make the dataset fail.
 */
public class RecordingDataset implements MasterLink.Dataset {

    public final List<CommandEntry> applied = new ArrayList<>();
    /** What {@link #keyCount()} answers. */
    public long keys;
    public int snapshotsBegun;
    public int aborted;
    private final ReplicationLog log;

    public RecordingDataset() {
        this(null);
    }

    public RecordingDataset(ReplicationLog log) {
        this.log = log;
    }

    @Override
    public void apply(CommandEntry entry) {
        applied.add(entry);
        if (log != null) {
            log.append(entry);
        }
    }

    @Override
    public long keyCount() {
        return keys;
    }

    @Override
    public void beginSnapshot(String snapshotId) {
        snapshotsBegun++;
    }

    @Override
    public void writeSnapshotChunk(byte[] data) {
    }

    @Override
    public void abortSnapshot() {
        aborted++;
    }

    @Override
    public void loadSnapshot(ReplicationId replId, long offset) {
        if (log != null) {
            log.resetTo(replId, offset);
        }
    }
}
