package dev.replcache.keyspace;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The compact binary form of {@link CommandEntry}, as replicated. Each entry is self-delimiting:
 * an opcode byte, then its fields; integers are unsigned LEB128 varints (zig-zag for values
 * that may be negative), byte strings are a varint length then the bytes. A batch is entries
 * back to back, so a decoder walks a buffer entry by entry.
 *
 * <p>Encoding is deterministic (hash fields are written in byte order) so that re-encoding an
 * entry on a replica gives the same bytes, and the same offsets, as on its master.
 */
public final class EntryCodec {

    static final int OP_SET = 1;
    static final int OP_APPEND = 2;
    static final int OP_DEL = 3;
    static final int OP_PEXPIREAT = 4;
    static final int OP_PERSIST = 5;
    static final int OP_HSET = 6;
    static final int OP_HDEL = 7;
    static final int OP_FLUSHALL = 8;
    static final int OP_MSET = 9;

    private EntryCodec() {
    }

    /** Encodes one entry to a fresh array of exactly its size. */
    public static byte[] encode(CommandEntry entry) {
        byte[] out = new byte[encodedSize(entry)];
        encodeInto(entry, out, 0);
        return out;
    }

    /**
     * The entry as one stream frame: its encoded length as an unsigned LEB128 varint, then the
     * encoding, in one array sized up front (this runs for every write, under the write lock).
     */
    public static byte[] encodeWithLengthPrefix(CommandEntry entry) {
        int bodyLength = encodedSize(entry);
        SizeSink prefix = new SizeSink();
        writeVarLong(prefix, bodyLength);
        ArraySink out = new ArraySink(new byte[prefix.size + bodyLength], 0);
        writeVarLong(out, bodyLength);
        encode(entry, out);
        return out.dst;
    }

    /** Bytes the encoding of {@code entry} takes. */
    public static int encodedSize(CommandEntry entry) {
        SizeSink size = new SizeSink();
        encode(entry, size);
        return size.size;
    }

    /**
     * Writes the encoding of {@code entry} into {@code dst} from {@code pos}, which must have
     * {@link #encodedSize} bytes of room; returns the position after it. No allocation besides
     * the sort of a hash's or an MSET's pairs: this runs for every write, under the write lock.
     */
    public static int encodeInto(CommandEntry entry, byte[] dst, int pos) {
        ArraySink sink = new ArraySink(dst, pos);
        encode(entry, sink);
        return sink.pos;
    }

    /** Where an encoding goes: one pass counts the bytes, a second writes them in place. */
    private abstract static class Sink {
        abstract void write(int b);

        abstract void write(byte[] b, int off, int len);
    }

    private static final class SizeSink extends Sink {
        int size;

        @Override
        void write(int b) {
            size++;
        }

        @Override
        void write(byte[] b, int off, int len) {
            size += len;
        }
    }

    private static final class ArraySink extends Sink {
        final byte[] dst;
        int pos;

        ArraySink(byte[] dst, int pos) {
            this.dst = dst;
            this.pos = pos;
        }

        @Override
        void write(int b) {
            dst[pos++] = (byte) b;
        }

        @Override
        void write(byte[] b, int off, int len) {
            System.arraycopy(b, off, dst, pos, len);
            pos += len;
        }
    }

    private static void encode(CommandEntry entry, Sink out) {
        // Java 17 has no pattern switch: an instanceof chain over the sealed type, ending in
        // an assertion so that a new entry type cannot be silently dropped.
        if (entry instanceof CommandEntry.Set s) {
            out.write(OP_SET);
            writeBytes(out, s.key());
            writeBytes(out, s.value());
            writeVarLong(out, zigZag(s.expireAtMs()));
        } else if (entry instanceof CommandEntry.Append a) {
            out.write(OP_APPEND);
            writeBytes(out, a.key());
            writeBytes(out, a.suffix());
        } else if (entry instanceof CommandEntry.Del d) {
            out.write(OP_DEL);
            writeVarLong(out, d.keys().size());
            for (Bytes k : d.keys()) {
                writeBytes(out, k);
            }
        } else if (entry instanceof CommandEntry.PExpireAt p) {
            out.write(OP_PEXPIREAT);
            writeBytes(out, p.key());
            writeVarLong(out, zigZag(p.expireAtMs()));
        } else if (entry instanceof CommandEntry.Persist p) {
            out.write(OP_PERSIST);
            writeBytes(out, p.key());
        } else if (entry instanceof CommandEntry.HSet h) {
            out.write(OP_HSET);
            writeBytes(out, h.key());
            writeSortedPairs(out, h.fields());
        } else if (entry instanceof CommandEntry.HDel h) {
            out.write(OP_HDEL);
            writeBytes(out, h.key());
            writeVarLong(out, h.fields().size());
            for (Bytes f : h.fields()) {
                writeBytes(out, f);
            }
        } else if (entry instanceof CommandEntry.FlushAll) {
            out.write(OP_FLUSHALL);
        } else if (entry instanceof CommandEntry.MSet m) {
            out.write(OP_MSET);
            writeSortedPairs(out, m.pairs());
        } else {
            throw new AssertionError("no encoding for " + entry);
        }
    }

    /**
     * Pairs in byte order of their keys (the canonical form {@code Reader.readPairs} insists on).
     * The size does not depend on the order, so only the writing pass sorts.
     */
    private static void writeSortedPairs(Sink out, Map<Bytes, Bytes> pairs) {
        Collection<Map.Entry<Bytes, Bytes>> ordered = pairs.entrySet();
        if (!(out instanceof SizeSink)) {
            List<Map.Entry<Bytes, Bytes>> sorted = new ArrayList<>(ordered);
            sorted.sort(Map.Entry.comparingByKey(Comparator.naturalOrder()));
            ordered = sorted;
        }
        writeVarLong(out, ordered.size());
        for (Map.Entry<Bytes, Bytes> p : ordered) {
            writeBytes(out, p.getKey());
            writeBytes(out, p.getValue());
        }
    }

    /** Decodes every entry of a buffer that holds whole entries back to back. */
    public static List<CommandEntry> decodeAll(byte[] data) {
        Reader r = new Reader(data);
        List<CommandEntry> entries = new ArrayList<>();
        while (r.hasMore()) {
            entries.add(r.next());
        }
        return entries;
    }

    /** Decodes a buffer that must hold exactly one entry. */
    public static CommandEntry decode(byte[] data) {
        Reader r = new Reader(data);
        CommandEntry e = r.next();
        if (r.hasMore()) {
            throw new MalformedEntryException("trailing bytes after entry at position " + r.pos);
        }
        return e;
    }

    /** Thrown for bytes that are not a valid entry: a peer's bug or a corrupted stream. */
    public static final class MalformedEntryException extends RuntimeException {
        public MalformedEntryException(String message) {
            super(message);
        }
    }

    /** Walks a buffer entry by entry. */
    public static final class Reader {
        private final byte[] data;
        private int pos;

        public Reader(byte[] data) {
            this.data = data;
        }

        public boolean hasMore() {
            return pos < data.length;
        }

        /** Position of the next entry in the buffer. */
        public int position() {
            return pos;
        }

        public CommandEntry next() {
            int op = readByte();
            return switch (op) {
                case OP_SET -> new CommandEntry.Set(readBytes(), readBytes(), unZigZag(readVarLong()));
                case OP_APPEND -> new CommandEntry.Append(readBytes(), readBytes());
                case OP_DEL -> {
                    int n = readCount();
                    List<Bytes> keys = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        keys.add(readBytes());
                    }
                    yield new CommandEntry.Del(keys);
                }
                case OP_PEXPIREAT -> new CommandEntry.PExpireAt(readBytes(), unZigZag(readVarLong()));
                case OP_PERSIST -> new CommandEntry.Persist(readBytes());
                case OP_HSET -> {
                    Bytes key = readBytes();
                    int n = readCount();
                    yield new CommandEntry.HSet(key, readPairs(n, "hash field"));
                }
                case OP_HDEL -> {
                    Bytes key = readBytes();
                    int n = readCount();
                    List<Bytes> fields = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        fields.add(readBytes());
                    }
                    yield new CommandEntry.HDel(key, fields);
                }
                case OP_FLUSHALL -> new CommandEntry.FlushAll();
                case OP_MSET -> new CommandEntry.MSet(readPairs(readCount(), "key"));
                default -> throw new MalformedEntryException("unknown opcode " + op + " at position " + (pos - 1));
            };
        }

        /**
         * Pairs in the canonical form the encoder writes: a duplicate would re-encode shorter on
         * the replica, and its offsets would no longer be its master's, so it is malformed.
         */
        private Map<Bytes, Bytes> readPairs(int n, String what) {
            Map<Bytes, Bytes> pairs = new LinkedHashMap<>(n * 2);
            for (int i = 0; i < n; i++) {
                int at = pos;
                if (pairs.put(readBytes(), readBytes()) != null) {
                    throw new MalformedEntryException("duplicate " + what + " at position " + at);
                }
            }
            return pairs;
        }

        private int readByte() {
            if (pos >= data.length) {
                throw new MalformedEntryException("truncated entry at position " + pos);
            }
            return data[pos++] & 0xff;
        }

        private long readVarLong() {
            long result = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                int b = readByte();
                result |= (long) (b & 0x7f) << shift;
                if ((b & 0x80) == 0) {
                    return result;
                }
            }
            throw new MalformedEntryException("varint longer than 10 bytes at position " + pos);
        }

        private int readCount() {
            long n = readVarLong();
            // A count can never exceed the bytes left: each element takes at least one byte.
            if (n < 0 || n > data.length - pos) {
                throw new MalformedEntryException("count " + n + " exceeds the remaining bytes at position " + pos);
            }
            return (int) n;
        }

        private Bytes readBytes() {
            int len = readCount();
            byte[] b = new byte[len];
            System.arraycopy(data, pos, b, 0, len);
            pos += len;
            return Bytes.of(b);
        }
    }

    private static void writeBytes(Sink out, Bytes b) {
        writeVarLong(out, b.length());
        out.write(b.unsafeArray(), 0, b.length());
    }

    private static void writeVarLong(Sink out, long v) {
        while ((v & ~0x7fL) != 0) {
            out.write((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    private static long zigZag(long v) {
        return (v << 1) ^ (v >> 63);
    }

    private static long unZigZag(long v) {
        return (v >>> 1) ^ -(v & 1);
    }
}
