package dev.replcache.replication;

import dev.replcache.keyspace.CommandEntry;
import dev.replcache.keyspace.EntryCodec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The replica's side of {@link StreamFrames}: takes stream bytes batch by batch, checks that
 * each batch starts where the previous one ended, keeps an incomplete trailing frame until the
 * rest arrives, and hands back whole entries with the offset after each.
 *
 * <p>Offsets: {@link #receivedOffset()} is the next stream byte expected (bytes received);
 * {@link #appliedOffset()} is the offset after the last whole entry handed out, which is what
 * the replica has applied once it applies them and what it acks and resumes from.
 * Invariant: {@code appliedOffset <= receivedOffset}, both only grow.
 */
public final class StreamDecoder {

    /** Thrown when the stream cannot be followed: the link must drop and the replica resync. */
    public static class StreamException extends RuntimeException {
        public StreamException(String message) {
            super(message);
        }
    }

    /** A batch that does not start at the received offset: out of order, nothing of it taken; a new stream resumes. */
    public static final class OutOfOrderBatch extends StreamException {
        public OutOfOrderBatch(String message) {
            super(message);
        }
    }

    /** An entry and the stream offset right after it. */
    public record Decoded(CommandEntry entry, long endOffset) {
    }

    private final int maxFrameBytes;
    private long appliedOffset;
    private byte[] pending = new byte[0];

    /**
     * @param startOffset   the offset the replica has (next byte it needs)
     * @param maxFrameBytes largest frame accepted: a bound on what a peer can make us buffer
     */
    public StreamDecoder(long startOffset, int maxFrameBytes) {
        this.appliedOffset = startOffset;
        this.maxFrameBytes = maxFrameBytes;
    }

    public long appliedOffset() {
        return appliedOffset;
    }

    public long receivedOffset() {
        return appliedOffset + pending.length;
    }

    /** Bytes held for an incomplete frame. */
    public int pendingBytes() {
        return pending.length;
    }

    /**
     * Accepts a batch starting at {@code startOffset}.
     *
     * @throws StreamException when the batch does not start at {@link #receivedOffset()} or a frame is malformed
     */
    public List<Decoded> accept(long startOffset, byte[] data) {
        if (startOffset != receivedOffset()) {
            throw new OutOfOrderBatch("batch starts at offset " + startOffset + " but the replica is at " + receivedOffset());
        }
        byte[] buf;
        if (pending.length == 0) {
            buf = data;
        } else {
            buf = Arrays.copyOf(pending, pending.length + data.length);
            System.arraycopy(data, 0, buf, pending.length, data.length);
        }
        List<Decoded> out = new ArrayList<>();
        int pos = 0;
        while (pos < buf.length) {
            // Varint frame length; an incomplete varint waits for more bytes.
            long len = 0;
            int p = pos;
            int shift = 0;
            boolean complete = false;
            while (p < buf.length && shift < 35) {
                int b = buf[p++] & 0xff;
                len |= (long) (b & 0x7f) << shift;
                shift += 7;
                if ((b & 0x80) == 0) {
                    complete = true;
                    break;
                }
            }
            if (!complete) {
                if (shift >= 35) {
                    throw new StreamException("frame length varint too long at offset " + (appliedOffset + pos));
                }
                break;
            }
            if (len < 1 || len > maxFrameBytes) {
                throw new StreamException("frame length " + len + " at offset " + (appliedOffset + pos)
                        + " is outside [1, " + maxFrameBytes + "]");
            }
            if (buf.length - p < len) {
                break;
            }
            CommandEntry entry;
            try {
                entry = EntryCodec.decode(Arrays.copyOfRange(buf, p, p + (int) len));
            } catch (EntryCodec.MalformedEntryException e) {
                throw new StreamException("malformed entry at offset " + (appliedOffset + pos) + ": " + e.getMessage());
            }
            pos = p + (int) len;
            out.add(new Decoded(entry, appliedOffset + pos));
        }
        appliedOffset += pos;
        pending = pos == buf.length ? new byte[0] : Arrays.copyOfRange(buf, pos, buf.length);
        return out;
    }

    /** Drops an incomplete frame: after a link loss the replica resumes from {@link #appliedOffset()}. */
    public void discardPending() {
        pending = new byte[0];
    }
}
