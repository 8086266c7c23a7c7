package dev.replcache.replication;

import java.util.ArrayDeque;

/**
 * The replication backlog: a ring of the most recent stream bytes, {@code [firstOffset,
 * masterOffset)}, as Redis's {@code repl_backlog}. It is what makes partial resync possible:
 * a replica that asks for an offset the ring still holds gets exactly the bytes it lacks.
 *
 * <p>Offsets are absolute positions in the replication history. The byte at offset {@code o}
 * lives at ring index {@code o mod capacity}, so append is O(1) per byte and a read from any
 * held offset is one or two array copies.
 *
 * <p>Invariant: {@code masterOffset - capacity <= firstOffset <= masterOffset}, and offsets only
 * grow (except {@link #reset}, which starts a new history on a replica after a full sync).
 *
 * <p>Not thread-safe: the owner serializes access.
 */
public final class Backlog {

    /** One time mark per this many milliseconds at most, for {@link #coverageMs}. */
    private static final long MARK_INTERVAL_MS = 1000;
    /** Marks kept at most: an hour of per-second marks. */
    private static final int MAX_MARKS = 3600;

    private final int baseCapacity;
    private byte[] ring;
    private long firstOffset;
    /** While a full sync needs the stream from here, the ring grows rather than drop it; -1 = none. */
    private long pinnedOffset = -1;
    private int maxCapacity;
    private long masterOffset;
    /** (offset, time) pairs, oldest first: when the byte at that offset was appended. */
    private final ArrayDeque<long[]> marks = new ArrayDeque<>();

    /**
     * @param capacityBytes ring size in bytes, at least 1
     * @param startOffset   offset of the first byte this backlog will hold (the history's current offset)
     */
    public Backlog(int capacityBytes, long startOffset) {
        if (capacityBytes < 1) {
            throw new IllegalArgumentException("backlog capacity must be >= 1 byte, got " + capacityBytes);
        }
        if (startOffset < 0) {
            throw new IllegalArgumentException("offset must be >= 0, got " + startOffset);
        }
        this.baseCapacity = capacityBytes;
        this.ring = new byte[capacityBytes];
        this.maxCapacity = capacityBytes;
        this.firstOffset = startOffset;
        this.masterOffset = startOffset;
    }

    /** Appends stream bytes; the oldest bytes fall out when the ring is full. */
    public void append(byte[] data, int off, int len, long nowMs) {
        if (len == 0) {
            return;
        }
        if (marks.isEmpty() || nowMs - marks.peekLast()[1] >= MARK_INTERVAL_MS) {
            marks.addLast(new long[] {masterOffset, nowMs});
            if (marks.size() > MAX_MARKS) {
                marks.removeFirst();
            }
        }
        if (pinnedOffset >= 0) {
            long needed = masterOffset + len - pinnedOffset;
            if (needed > ring.length) {
                if (needed <= maxCapacity) {
                    resize((int) Math.min(maxCapacity, Math.max(needed, Math.min((long) ring.length * 2, maxCapacity))));
                } else {
                    pinnedOffset = -1; // over the sync buffer limit: the full sync needing it is abandoned
                }
            }
        }
        int capacity = ring.length;
        if (len >= capacity) {
            // Only the last `capacity` bytes survive.
            off += len - capacity;
            masterOffset += len - capacity;
            len = capacity;
        }
        int pos = (int) (masterOffset % capacity);
        int first = Math.min(len, capacity - pos);
        System.arraycopy(data, off, ring, pos, first);
        System.arraycopy(data, off + first, ring, 0, len - first);
        masterOffset += len;
        firstOffset = Math.max(firstOffset, masterOffset - capacity);
        while (marks.size() > 1 && marks.peekFirst()[0] < firstOffset && secondMark()[0] <= firstOffset) {
            marks.removeFirst();
        }
    }

    public void append(byte[] data, long nowMs) {
        append(data, 0, data.length, nowMs);
    }

    /**
     * Copies stream bytes starting at {@code offset} into {@code dst}.
     *
     * @return bytes copied: {@code min(maxLen, masterOffset - offset)}
     * @throws IllegalArgumentException when the ring no longer (or not yet) holds {@code offset}
     */
    public int read(long offset, byte[] dst, int dstOff, int maxLen) {
        if (!holds(offset)) {
            throw new IllegalArgumentException("offset " + offset + " is outside the backlog ["
                    + firstOffset + ", " + masterOffset + "]");
        }
        int len = (int) Math.min(maxLen, masterOffset - offset);
        int capacity = ring.length;
        int pos = (int) (offset % capacity);
        int first = Math.min(len, capacity - pos);
        System.arraycopy(ring, pos, dst, dstOff, first);
        System.arraycopy(ring, 0, dst, dstOff + first, len - first);
        return len;
    }

    /** The bytes from {@code offset}, at most {@code maxLen}. */
    public byte[] read(long offset, int maxLen) {
        byte[] out = new byte[(int) Math.min(maxLen, Math.max(0, masterOffset - offset))];
        read(offset, out, 0, out.length);
        return out;
    }

    /** True when a replica at {@code offset} can continue from here: {@code firstOffset <= offset <= masterOffset}. */
    public boolean holds(long offset) {
        return offset >= firstOffset && offset <= masterOffset;
    }

    /** Offset of the oldest byte held (Redis's {@code repl_backlog_off}, minus one: ours is 0-based). */
    public long firstOffset() {
        return firstOffset;
    }

    /** Offset of the next byte to be appended: the number of stream bytes produced in this history. */
    public long masterOffset() {
        return masterOffset;
    }

    public int sizeBytes() {
        return (int) (masterOffset - firstOffset);
    }

    public int capacityBytes() {
        return ring.length;
    }

    /**
     * How many milliseconds of recent writes the backlog covers: the age of the oldest write it
     * still holds, to the nearest mark (one per second). An operator sizes the backlog so this
     * is longer than the link outages replicas should survive with a partial resync.
     */
    public long coverageMs(long nowMs) {
        for (long[] mark : marks) {
            if (mark[0] >= firstOffset) {
                return Math.max(0, nowMs - mark[1]);
            }
        }
        return 0;
    }

    /**
     * Keeps the stream from {@code offset} while a full sync needs it (its snapshot's offset),
     * growing the ring by up to {@code maxExtraBytes} over its capacity rather than dropping
     * those bytes (Redis keeps them in the replica's output buffer, bounded by
     * {@code client-output-buffer-limit replica}). Past that the pin is released and the bytes
     * fall out as usual; {@link #holds} then tells the sync it is lost.
     */
    public void pin(long offset, int maxExtraBytes) {
        if (offset < firstOffset) {
            return; // already lost
        }
        pinnedOffset = offset;
        maxCapacity = (int) Math.min(Integer.MAX_VALUE - 8, (long) baseCapacity + maxExtraBytes);
    }

    /** No full sync needs old bytes any more: shrink back to the configured capacity. */
    public void unpin() {
        pinnedOffset = -1;
        maxCapacity = baseCapacity;
        if (ring.length != baseCapacity) {
            firstOffset = Math.max(firstOffset, masterOffset - baseCapacity);
            resize(baseCapacity);
        }
    }

    /** The pinned offset, or -1 (none, or released because the sync buffer limit was passed). */
    public long pinnedOffset() {
        return pinnedOffset;
    }

    private void resize(int newCapacity) {
        byte[] held = read(firstOffset, (int) (masterOffset - firstOffset));
        ring = new byte[newCapacity];
        long from = firstOffset;
        int pos = (int) (from % newCapacity);
        int first = Math.min(held.length, newCapacity - pos);
        System.arraycopy(held, 0, ring, pos, first);
        System.arraycopy(held, first, ring, 0, held.length - first);
    }

    /** Drops everything and starts a new history at {@code offset} (a replica after a full sync). */
    public void reset(long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be >= 0, got " + offset);
        }
        firstOffset = offset;
        masterOffset = offset;
        marks.clear();
        pinnedOffset = -1;
        maxCapacity = baseCapacity;
        if (ring.length != baseCapacity) {
            ring = new byte[baseCapacity];
        }
    }

    private long[] secondMark() {
        var it = marks.iterator();
        it.next();
        return it.next();
    }
}
