package dev.replcache.keyspace.rdb;

import dev.replcache.keyspace.Bytes;
import dev.replcache.keyspace.Entry;
import dev.replcache.keyspace.HashValue;
import dev.replcache.keyspace.KeyspaceSnapshot;
import dev.replcache.keyspace.StringValue;
import dev.replcache.keyspace.Value;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes a keyspace as an RDB file, version 10, byte for byte the layout Redis 7.0 writes for
 * strings and hashes, so that {@code redis-check-rdb} accepts it and {@code redis-server} loads
 * it (docs/architecture.md, "Snapshots without fork").
 *
 * <p>Layout: {@code REDIS0010}, the aux fields of Redis's {@code rdbSaveInfoAuxFields}
 * ({@code redis-ver}, {@code redis-bits}, {@code ctime}, {@code used-mem},
 * {@code repl-stream-db}, {@code repl-id}, {@code repl-offset}, {@code aof-base}),
 * {@code SELECTDB 0}, {@code RESIZEDB keys expires}, then per key an optional
 * {@code EXPIRETIME_MS}, the value type, the key and the value, then {@code EOF} and the
 * CRC64 of everything before it, little-endian.
 *
 * <p>Strings are written as Redis's {@code rdbSaveRawString} does, including its integer
 * encodings for short canonical decimals, but never LZF-compressed (allowed: compression is
 * optional for readers). Hashes use the plain dict encoding ({@code RDB_TYPE_HASH}), valid for
 * any size; Redis converts small ones to listpacks on load.
 *
 * <p>Streaming: the writer holds one buffer of {@link #BUFFER_BYTES}, never the file, and
 * {@link #bytesWritten()} says how far it got, so a caller can cut the output into chunks.
 * Use: {@link #begin}, {@link #writeEntry} per key, {@link #finish}; or {@link #write} for a
 * whole {@link KeyspaceSnapshot}. The writer does not close the stream. Not thread-safe.
 */
public final class RdbWriter {

    /** Output buffer size: bytes are handed to the stream in writes of this size. */
    public static final int BUFFER_BYTES = 64 * 1024;

    /** Redis's rdbTryIntegerEncoding is only tried on strings this short. */
    private static final int MAX_INT_ENCODED_CHARS = 11;

    /**
     * The aux fields and RESIZEDB hints at the start of the file.
     *
     * @param ctimeSeconds  creation time, Unix seconds ({@code ctime}): the snapshot's cut time
     * @param usedMemBytes  memory use of the dataset at the cut ({@code used-mem}); informative
     * @param replId        the replication id the data belongs to: 40 hex characters
     * @param replOffset    the replication offset of the data: the first stream byte not in it
     * @param keysHint      number of keys that follow (RESIZEDB; a hint for the loader's table size)
     * @param expiresHint   number of those keys with a TTL (RESIZEDB)
     */
    public record Header(long ctimeSeconds, long usedMemBytes, String replId, long replOffset,
                         long keysHint, long expiresHint) {
        public Header {
            Objects.requireNonNull(replId, "replId");
            if (!replId.matches("[0-9a-fA-F]{40}")) {
                throw new IllegalArgumentException("replId must be 40 hex characters, got '" + replId + "'");
            }
            if (replOffset < 0 || keysHint < 0 || expiresHint < 0 || usedMemBytes < 0) {
                throw new IllegalArgumentException("offsets, hints and sizes must be >= 0");
            }
        }
    }

    /**
     * What was written.
     *
     * @param keys         keys written
     * @param expires      keys written with a TTL
     * @param skippedEmpty empty hashes not written (Redis refuses empty keys on load)
     * @param bytes        total file length, trailer included
     * @param checksum     the CRC64 in the trailer
     */
    public record Summary(long keys, long expires, long skippedEmpty, long bytes, long checksum) {
    }

    private enum State {
        /** Nothing written yet: {@link #begin} is next. */
        NEW,
        /** Header written: entries may follow. */
        ENTRIES,
        /** EOF and checksum written: the file is complete. */
        FINISHED
    }

    private final OutputStream out;
    private final byte[] buf = new byte[BUFFER_BYTES];
    private int pos;
    /** Bytes handed to {@link #out} so far. Invariant: all of them are included in {@link #crc}. */
    private long flushed;
    private long crc;
    private State state = State.NEW;
    private long keys;
    private long expires;
    private long skippedEmpty;

    public RdbWriter(OutputStream out) {
        this.out = Objects.requireNonNull(out, "out");
    }

    /**
     * Writes a whole snapshot, walking it segment by segment, and finishes the file. The
     * snapshot is not closed: the caller owns it.
     */
    public static Summary write(KeyspaceSnapshot snapshot, String replId, long replOffset, OutputStream out)
            throws IOException {
        RdbWriter writer = new RdbWriter(out);
        writer.begin(new Header(Math.floorDiv(snapshot.cutTimeMs(), 1000L), Math.max(0, snapshot.usedMemoryBytes()),
                replId, replOffset, snapshot.keyCount(), snapshot.expiresCount()));
        List<Map.Entry<Bytes, Entry>> segment;
        while ((segment = snapshot.nextSegment()) != null) {
            for (Map.Entry<Bytes, Entry> e : segment) {
                writer.writeEntry(e.getKey(), e.getValue());
            }
        }
        return writer.finish();
    }

    /** Writes the magic, the aux fields, SELECTDB 0 and RESIZEDB. */
    public void begin(Header header) throws IOException {
        expectState(State.NEW, "begin");
        writeRaw(Rdb.MAGIC);
        writeRaw(String.format("%04d", Rdb.VERSION).getBytes(StandardCharsets.US_ASCII));
        writeAux("redis-ver", Rdb.REDIS_VERSION);
        writeAux("redis-bits", "64");
        writeAux("ctime", Long.toString(header.ctimeSeconds()));
        writeAux("used-mem", Long.toString(header.usedMemBytes()));
        writeAux("repl-stream-db", "0");
        writeAux("repl-id", header.replId());
        writeAux("repl-offset", Long.toString(header.replOffset()));
        writeAux("aof-base", "0");
        writeByte(Rdb.OPCODE_SELECTDB);
        writeLength(0);
        writeByte(Rdb.OPCODE_RESIZEDB);
        writeLength(header.keysHint());
        writeLength(header.expiresHint());
        state = State.ENTRIES;
    }

    /**
     * Writes one key: its expiry if it has one (expired or not: a snapshot is the dataset, and
     * the loader decides), its type, the key and the value.
     *
     * @return false when the key was skipped: an empty hash, which Redis would refuse to load
     */
    public boolean writeEntry(Bytes key, Entry entry) throws IOException {
        expectState(State.ENTRIES, "writeEntry");
        Value value = entry.value();
        if (value instanceof HashValue hash && hash.size() == 0) {
            skippedEmpty++;
            return false;
        }
        if (entry.hasExpiry()) {
            writeByte(Rdb.OPCODE_EXPIRETIME_MS);
            writeLongLittleEndian(entry.expireAtMs());
            expires++;
        }
        // Java 17 has no pattern switch: an instanceof chain over the sealed Value, ending in an
        // assertion so that a new value type cannot be silently dropped.
        if (value instanceof StringValue string) {
            writeByte(Rdb.TYPE_STRING);
            writeString(key);
            writeString(string.bytes());
        } else if (value instanceof HashValue hash) {
            writeByte(Rdb.TYPE_HASH);
            writeString(key);
            writeLength(hash.size());
            for (Map.Entry<Bytes, Bytes> field : hash.fields().entrySet()) {
                writeString(field.getKey());
                writeString(field.getValue());
            }
        } else {
            throw new AssertionError("no RDB encoding for " + value.getClass());
        }
        keys++;
        return true;
    }

    /** Writes EOF and the checksum, and flushes the stream. */
    public Summary finish() throws IOException {
        expectState(State.ENTRIES, "finish");
        writeByte(Rdb.OPCODE_EOF);
        flushBuffer();
        long checksum = crc;
        // The trailer is not part of what it checks: it goes out without touching the CRC.
        byte[] trailer = new byte[8];
        for (int i = 0; i < 8; i++) {
            trailer[i] = (byte) (checksum >>> (8 * i));
        }
        out.write(trailer);
        flushed += trailer.length;
        out.flush();
        state = State.FINISHED;
        return new Summary(keys, expires, skippedEmpty, flushed, checksum);
    }

    /** Bytes produced so far, buffered ones included. */
    public long bytesWritten() {
        return flushed + pos;
    }

    // ------------------------------------------------------------------ encodings

    private void writeAux(String key, String value) throws IOException {
        writeByte(Rdb.OPCODE_AUX);
        writeString(key.getBytes(StandardCharsets.UTF_8));
        writeString(value.getBytes(StandardCharsets.UTF_8));
    }

    private void writeString(Bytes s) throws IOException {
        writeString(s.unsafeArray());
    }

    /** Redis's rdbSaveRawString without LZF: an integer encoding when it round-trips, else length + bytes. */
    private void writeString(byte[] s) throws IOException {
        if (s.length > 0 && s.length <= MAX_INT_ENCODED_CHARS && writeIfIntEncodable(s)) {
            return;
        }
        writeLength(s.length);
        writeRaw(s);
    }

    /**
     * Redis's rdbTryIntegerEncoding + rdbEncodeInteger: a string that is the canonical decimal
     * form of a number in the 8, 16 or 32-bit range is stored as that number. "Canonical" (what
     * Redis checks by printing the number back) means no sign other than a leading minus, no
     * leading zeros and no "-0", so the reader gets the exact bytes back.
     */
    private boolean writeIfIntEncodable(byte[] s) throws IOException {
        int i = 0;
        boolean negative = s[0] == '-';
        if (negative) {
            if (s.length == 1) {
                return false;
            }
            i = 1;
        }
        if (s[i] == '0' && (s.length > i + 1 || negative)) {
            return false;
        }
        long value = 0;
        for (; i < s.length; i++) {
            int d = s[i] - '0';
            if (d < 0 || d > 9) {
                return false;
            }
            value = value * 10 + d; // at most 11 characters: no overflow
        }
        if (negative) {
            value = -value;
        }
        if (value >= Byte.MIN_VALUE && value <= Byte.MAX_VALUE) {
            writeByte((Rdb.ENCVAL << 6) | Rdb.ENC_INT8);
            writeByte((int) value);
        } else if (value >= Short.MIN_VALUE && value <= Short.MAX_VALUE) {
            writeByte((Rdb.ENCVAL << 6) | Rdb.ENC_INT16);
            writeByte((int) value);
            writeByte((int) (value >> 8));
        } else if (value >= Integer.MIN_VALUE && value <= Integer.MAX_VALUE) {
            writeByte((Rdb.ENCVAL << 6) | Rdb.ENC_INT32);
            for (int b = 0; b < 4; b++) {
                writeByte((int) (value >> (8 * b)));
            }
        } else {
            return false;
        }
        return true;
    }

    /** Redis's rdbSaveLen: 6-bit, 14-bit, then 32 or 64-bit big-endian lengths. */
    private void writeLength(long len) throws IOException {
        if (len < (1 << 6)) {
            writeByte((int) len);
        } else if (len < (1 << 14)) {
            writeByte((Rdb.LEN_14BIT << 6) | (int) (len >> 8));
            writeByte((int) len);
        } else if (len <= 0xFFFF_FFFFL) {
            writeByte(Rdb.LEN_32BIT);
            for (int shift = 24; shift >= 0; shift -= 8) {
                writeByte((int) (len >>> shift));
            }
        } else {
            writeByte(Rdb.LEN_64BIT);
            for (int shift = 56; shift >= 0; shift -= 8) {
                writeByte((int) (len >>> shift));
            }
        }
    }

    private void writeLongLittleEndian(long v) throws IOException {
        for (int i = 0; i < 8; i++) {
            writeByte((int) (v >>> (8 * i)));
        }
    }

    // ------------------------------------------------------------------ buffer

    private void writeByte(int b) throws IOException {
        if (pos == buf.length) {
            flushBuffer();
        }
        buf[pos++] = (byte) b;
    }

    private void writeRaw(byte[] data) throws IOException {
        if (data.length <= buf.length - pos) {
            System.arraycopy(data, 0, buf, pos, data.length);
            pos += data.length;
            return;
        }
        flushBuffer();
        if (data.length <= buf.length) {
            System.arraycopy(data, 0, buf, 0, data.length);
            pos = data.length;
            return;
        }
        // A big value goes straight to the stream rather than through the buffer.
        crc = Crc64.update(crc, data, 0, data.length);
        out.write(data);
        flushed += data.length;
    }

    private void flushBuffer() throws IOException {
        if (pos == 0) {
            return;
        }
        crc = Crc64.update(crc, buf, 0, pos);
        out.write(buf, 0, pos);
        flushed += pos;
        pos = 0;
    }

    private void expectState(State expected, String call) {
        if (state != expected) {
            throw new IllegalStateException(call + "() called in state " + state + ", expected " + expected);
        }
    }
}
