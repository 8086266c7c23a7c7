package dev.replcache.keyspace.rdb;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * The byte source under {@link RdbReader}: buffered reads that keep the stream offset (for
 * error messages) and the running CRC64 of every byte consumed, and that turn the end of the
 * stream into a clear "truncated" {@link RdbFormatException}.
 *
 * <p>Lengths read from the file are never trusted for allocation: {@link #readBytes} grows its
 * result as bytes actually arrive, so a corrupt length costs at most what the stream really
 * holds, plus one initial chunk.
 */
final class RdbInput {

    private static final int BUFFER_BYTES = 64 * 1024;
    /** A byte array read from the stream starts at most this big and doubles as data arrives. */
    private static final int INITIAL_ARRAY_BYTES = 64 * 1024;

    private final InputStream in;
    private final byte[] buf = new byte[BUFFER_BYTES];
    private int pos;
    private int limit;
    /** Bytes of {@link #buf} before {@code crcPos} are already in {@link #crc}. Invariant: crcPos <= pos. */
    private int crcPos;
    /** Stream offset of {@code buf[0]}. */
    private long bufferStart;
    private long crc;
    /** What is being read, for the "truncated" message; built only when it is needed. */
    private String reading = "the header";
    private byte[] readingKey;

    RdbInput(InputStream in) {
        this.in = in;
    }

    /** Offset of the next byte to be read, from the start of the stream. */
    long offset() {
        return bufferStart + pos;
    }

    void reading(String what) {
        this.reading = what;
        this.readingKey = null;
    }

    /** As {@link #reading(String)}, about a key: the key is rendered only if an error needs it. */
    void reading(String what, byte[] key) {
        this.reading = what;
        this.readingKey = key;
    }

    /** What {@link #reading} last said, for error messages. */
    String describeReading() {
        return readingKey == null ? reading : reading + " " + describeKey(readingKey);
    }

    /** A key for a message: quoted, non-printable bytes escaped, cut after 64 bytes. */
    static String describeKey(byte[] key) {
        StringBuilder sb = new StringBuilder("'");
        for (int i = 0; i < Math.min(key.length, 64); i++) {
            int b = key[i] & 0xff;
            if (b >= 0x20 && b < 0x7f && b != '\\' && b != '\'') {
                sb.append((char) b);
            } else {
                sb.append(String.format("\\x%02x", b));
            }
        }
        if (key.length > 64) {
            sb.append("...");
        }
        return sb.append("' (").append(key.length).append(" bytes)").toString();
    }

    int readU8() throws IOException {
        ensure(1);
        return buf[pos++] & 0xff;
    }

    long readLittleEndian(int bytes) throws IOException {
        ensure(bytes);
        long v = 0;
        for (int i = 0; i < bytes; i++) {
            v |= (long) (buf[pos++] & 0xff) << (8 * i);
        }
        return v;
    }

    long readBigEndian(int bytes) throws IOException {
        ensure(bytes);
        long v = 0;
        for (int i = 0; i < bytes; i++) {
            v = (v << 8) | (buf[pos++] & 0xff);
        }
        return v;
    }

    /** Exactly {@code n} bytes; the array grows as they arrive instead of trusting {@code n} up front. */
    byte[] readBytes(int n) throws IOException {
        byte[] out = new byte[Math.min(n, INITIAL_ARRAY_BYTES)];
        int filled = 0;
        while (filled < n) {
            if (pos == limit) {
                ensure(1);
            }
            int take = Math.min(limit - pos, n - filled);
            if (take > out.length - filled) {
                out = Arrays.copyOf(out, (int) Math.min(n, Math.max(2L * out.length, (long) filled + take)));
            }
            System.arraycopy(buf, pos, out, filled, take);
            pos += take;
            filled += take;
        }
        return out;
    }

    /** The CRC64 of every byte consumed so far. */
    long checksumSoFar() {
        crc = Crc64.update(crc, buf, crcPos, pos - crcPos);
        crcPos = pos;
        return crc;
    }

    /** Makes {@code k} bytes (k <= buffer size) available at {@link #pos}, or fails as truncated. */
    private void ensure(int k) throws IOException {
        if (limit - pos >= k) {
            return;
        }
        checksumSoFar();
        int remaining = limit - pos;
        System.arraycopy(buf, pos, buf, 0, remaining);
        bufferStart += pos;
        pos = 0;
        crcPos = 0;
        limit = remaining;
        while (limit < k) {
            int n = in.read(buf, limit, buf.length - limit);
            if (n < 0) {
                throw new RdbFormatException("truncated RDB: the stream ended while reading " + describeReading()
                        + " (" + (k - limit) + " more bytes needed)", bufferStart + limit);
            }
            limit += n;
        }
    }
}
