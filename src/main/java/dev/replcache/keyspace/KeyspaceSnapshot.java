package dev.replcache.keyspace;

import java.util.List;
import java.util.Map;

/**
 * A point-in-time view of a keyspace, taken without stopping writes (docs/architecture.md, "Snapshots without fork").
 *
 * <p>The cut is an O(1)-per-segment step under the write lock: it records each segment's
 * version and the replication offset at that moment. The walker then asks for segments one by
 * one with {@link #nextSegment()}. A write that is about to change a segment the walk has not
 * reached first copies that segment as it was (copy-on-write by segment, as Dragonfly does),
 * so every segment comes out exactly as it was at the cut. The extra memory is bounded by the
 * segments copied ahead of the walk.
 *
 * <p>Not thread-safe for several walkers; one thread walks a snapshot. Close it when done (or
 * abandoned) so writes stop copying.
 */
public final class KeyspaceSnapshot implements AutoCloseable {

    private final Keyspace keyspace;
    private final long offset;
    private final long cutTimeMs;
    private final long keysAtCut;
    private final long expiresAtCut;
    private final long usedMemoryAtCut;
    private final long[] versionsAtCut;
    // Guarded by the keyspace's write lock.
    /** Frozen tables of the segments that writes reached before the walk did. */
    private final Entry[][] preserved;
    private final boolean[] walked;
    private int nextSegment;
    private int preservedCount;
    private boolean closed;

    KeyspaceSnapshot(Keyspace keyspace, long offset, long cutTimeMs, long keysAtCut, long expiresAtCut,
                     long usedMemoryAtCut, long[] versionsAtCut) {
        this.keyspace = keyspace;
        this.offset = offset;
        this.cutTimeMs = cutTimeMs;
        this.keysAtCut = keysAtCut;
        this.expiresAtCut = expiresAtCut;
        this.usedMemoryAtCut = usedMemoryAtCut;
        this.versionsAtCut = versionsAtCut;
        this.preserved = new Entry[versionsAtCut.length][];
        this.walked = new boolean[versionsAtCut.length];
    }

    /** The replication offset at the cut: the snapshot holds exactly the writes before it. */
    public long offset() {
        return offset;
    }

    /** Keyspace clock time at the cut (for the RDB {@code ctime} field). */
    public long cutTimeMs() {
        return cutTimeMs;
    }

    /**
     * Keys in the snapshot (expired ones included), known at the cut before any segment is
     * walked: what an RDB writer puts in RESIZEDB, which comes before the keys.
     */
    public long keyCount() {
        return keysAtCut;
    }

    /** Keys with a TTL in the snapshot (the second RESIZEDB number). */
    public long expiresCount() {
        return expiresAtCut;
    }

    /** The keyspace's estimated memory use at the cut (the RDB {@code used-mem} field). */
    public long usedMemoryBytes() {
        return usedMemoryAtCut;
    }

    public int segmentCount() {
        return versionsAtCut.length;
    }

    /**
     * The entries of the next segment as they were at the cut, or null when every segment
     * has been returned. Entries include keys whose TTL has passed: a snapshot is the dataset,
     * and expiry is for the master to decide.
     */
    public List<Map.Entry<Bytes, Entry>> nextSegment() {
        return keyspace.walkSnapshot(this);
    }

    /** How many segments writes had to copy ahead of the walk so far (a measure of extra memory). */
    public int preservedSegments() {
        return keyspace.withLock(() -> preservedCount);
    }

    @Override
    public void close() {
        keyspace.closeSnapshot(this);
    }

    // --- called by Keyspace under its write lock ---

    int takeNextIndex() {
        return nextSegment < walked.length ? nextSegment++ : -1;
    }

    long versionAtCut(int segment) {
        return versionsAtCut[segment];
    }

    List<Map.Entry<Bytes, Entry>> takePreserved(int segment) {
        Entry[] frozen = preserved[segment];
        preserved[segment] = null;
        walked[segment] = true;
        return frozen == null ? null : SegmentMap.entriesOf(frozen, frozen.length);
    }

    /** Before a write changes {@code segment}: keep its cut state if the walk still needs it. */
    void preserveIfPending(int segment, SegmentMap contents) {
        if (!walked[segment] && preserved[segment] == null) {
            // Published chains never change, so the table's copy is the segment at the cut.
            preserved[segment] = contents.frozenTable();
            preservedCount++;
        }
    }

    boolean isClosed() {
        return closed;
    }

    void markClosed() {
        closed = true;
        java.util.Arrays.fill(preserved, null);
    }
}
