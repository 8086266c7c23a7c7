package dev.replcache.replication;

import dev.replcache.keyspace.CommandEntry;
import dev.replcache.keyspace.MillisClock;
import dev.replcache.keyspace.WriteLog;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * A node's replication history: its {@code replId}, the {@code replId2} it keeps after a
 * promotion, and the stream itself (offset and backlog). It is the keyspace's {@link WriteLog}:
 * every applied write is framed and appended here inside the keyspace's write lock, so the
 * stream order is the apply order. A replica's keyspace applies its master's entries and logs
 * them here too, which gives it the same bytes and offsets as its master (what cascading
 * replicas and promotion rely on).
 *
 * <p>Thread-safe: appends come from the keyspace's writer, reads from the senders.
 */
public final class ReplicationLog implements WriteLog {

    private final MillisClock clock;
    private final Backlog backlog;
    private ReplicationId replId;
    private ReplicationId replId2 = ReplicationId.NONE;
    private long secondReplOffset = -1;
    private volatile Runnable appendListener = () -> { };
    private volatile Runnable historyListener = () -> { };
    /** Bumped whenever the history changes under the stream (new id, or reset by a full sync). */
    private long epoch;
    /** When recent offsets were produced, for lag in milliseconds: (end offset, time) per millisecond. */
    private final long[] markOffsets = new long[4096];
    private final long[] markTimes = new long[4096];
    private int markCount;
    private int markHead; // index of the oldest mark

    public ReplicationLog(ReplicationId replId, long offset, int backlogCapacityBytes, MillisClock clock) {
        this.replId = Objects.requireNonNull(replId, "replId");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.backlog = new Backlog(backlogCapacityBytes, offset);
    }

    /** A new history at offset 0 with a fresh id: a master that starts with no data. */
    public static ReplicationLog fresh(RandomGenerator random, int backlogCapacityBytes, MillisClock clock) {
        return new ReplicationLog(ReplicationId.random(random), 0, backlogCapacityBytes, clock);
    }

    /** Called after every append (outside no lock of ours; must be quick): wakes the senders. */
    public void setAppendListener(Runnable listener) {
        this.appendListener = Objects.requireNonNull(listener, "listener");
    }

    /**
     * Called after the history changed (promotion, a new id from our master, a full sync): the
     * node disconnects its own replicas so that they learn the new history (as Redis does).
     */
    public void setHistoryListener(Runnable listener) {
        this.historyListener = Objects.requireNonNull(listener, "listener");
    }

    /** Changes whenever the history changes; a reader that saw another epoch must start over. */
    public synchronized long epoch() {
        return epoch;
    }

    @Override
    public void append(CommandEntry entry) {
        byte[] frame = StreamFrames.frame(entry);
        synchronized (this) {
            long now = clock.millis();
            backlog.append(frame, now);
            recordMark(backlog.masterOffset(), now);
        }
        appendListener.run();
    }

    private void recordMark(long endOffset, long now) {
        int cap = markOffsets.length;
        if (markCount > 0) {
            int last = (markHead + markCount - 1) % cap;
            if (markTimes[last] == now) {
                markOffsets[last] = endOffset;
                return;
            }
        }
        int slot;
        if (markCount == cap) {
            slot = markHead;
            markHead = (markHead + 1) % cap;
        } else {
            slot = (markHead + markCount) % cap;
            markCount++;
        }
        markOffsets[slot] = endOffset;
        markTimes[slot] = now;
    }

    /**
     * How long ago the oldest byte at or after {@code ackedOffset} was produced: a replica that
     * acked {@code ackedOffset} is this many milliseconds behind. 0 when it has everything.
     * Precise to the millisecond for the last 4096 distinct milliseconds of writes; older than
     * that it is a lower bound.
     */
    public synchronized long lagMs(long ackedOffset) {
        if (ackedOffset >= backlog.masterOffset() || markCount == 0) {
            return 0;
        }
        int cap = markOffsets.length;
        // Binary search over the ring for the first mark whose end offset passes ackedOffset.
        int lo = 0;
        int hi = markCount - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (markOffsets[(markHead + mid) % cap] > ackedOffset) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return Math.max(0, clock.millis() - markTimes[(markHead + lo) % cap]);
    }

    public synchronized ReplicationId replId() {
        return replId;
    }

    public synchronized ReplicationId replId2() {
        return replId2;
    }

    public synchronized long secondReplOffset() {
        return secondReplOffset;
    }

    /** Next stream byte this node will produce: the bytes produced (or applied) in this history. */
    public synchronized long offset() {
        return backlog.masterOffset();
    }

    public synchronized long backlogFirstOffset() {
        return backlog.firstOffset();
    }

    public synchronized int backlogSizeBytes() {
        return backlog.sizeBytes();
    }

    public synchronized int backlogCapacityBytes() {
        return backlog.capacityBytes();
    }

    public synchronized long backlogCoverageMs() {
        return backlog.coverageMs(clock.millis());
    }

    /** What the PSYNC decision needs, read atomically. */
    public synchronized PsyncDecision.History history() {
        return new PsyncDecision.History(replId, replId2, secondReplOffset, backlog.firstOffset(), backlog.masterOffset());
    }

    /** Stream bytes from {@code offset}, at most {@code maxBytes}; null when the backlog no longer holds it. */
    public synchronized byte[] read(long offset, int maxBytes) {
        if (!backlog.holds(offset)) {
            return null;
        }
        return backlog.read(offset, maxBytes);
    }

    /** As {@link #read(long, int)}, and null too when the history is no longer {@code expectedEpoch}'s. */
    public synchronized byte[] read(long expectedEpoch, long offset, int maxBytes) {
        return expectedEpoch == epoch ? read(offset, maxBytes) : null;
    }

    /** Keeps the stream from {@code offset} for a full sync, up to {@code maxExtraBytes} over the backlog size. */
    public synchronized void pin(long offset, int maxExtraBytes) {
        backlog.pin(offset, maxExtraBytes);
    }

    public synchronized void unpin() {
        backlog.unpin();
    }

    public synchronized boolean holds(long offset) {
        return backlog.holds(offset);
    }

    /**
     * Promotion (Redis's {@code shiftReplicationId}): the current id becomes {@code replId2},
     * valid up to the current offset, and a new id starts here. The stream continues at the same
     * offset, so replicas of the old history can continue partially against us.
     */
    public void shiftReplicationId(ReplicationId newId) {
        synchronized (this) {
            replId2 = replId;
            secondReplOffset = backlog.masterOffset();
            replId = Objects.requireNonNull(newId, "newId");
            epoch++;
        }
        historyListener.run();
    }

    /**
     * A master restarted from the file of its own clean shutdown continues its id, and with it
     * the replId2 it held then (the marker beside the file keeps it; the RDB file has no field for
     * it): replicas of that older history, and a failover's retried handshake, still find it.
     */
    public void restoreSecondId(ReplicationId id2, long offset2) {
        synchronized (this) {
            if (offset2 < 0 || offset2 > backlog.masterOffset() || id2.equals(replId)) {
                throw new IllegalArgumentException("replId2 " + id2 + " up to " + offset2 + " does not fit " + replId
                        + " at offset " + backlog.masterOffset());
            }
            replId2 = Objects.requireNonNull(id2, "id2");
            secondReplOffset = offset2;
            epoch++;
        }
        historyListener.run();
    }

    /**
     * A replica adopts its master's history after a full sync: the dataset now is exactly
     * {@code (replId, offset)}, and the backlog starts empty there.
     */
    public void resetTo(ReplicationId newId, long offset) {
        synchronized (this) {
            replId = Objects.requireNonNull(newId, "newId");
            replId2 = ReplicationId.NONE;
            secondReplOffset = -1;
            backlog.reset(offset);
            markCount = 0;
            markHead = 0;
            epoch++;
        }
        historyListener.run();
    }

    /**
     * A replica whose master answered CONTINUE with a new id (the master was promoted): the
     * old id stays valid as {@code replId2} up to here, as in Redis 4+.
     */
    public void adoptNewId(ReplicationId newId) {
        if (!newId.equals(replId())) {
            shiftReplicationId(newId);
        }
    }
}
