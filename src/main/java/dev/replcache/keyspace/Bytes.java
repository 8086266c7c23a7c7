package dev.replcache.keyspace;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An immutable, binary-safe byte string: the type of keys, string values and hash fields.
 *
 * <p>{@link #of(byte[])} takes ownership of the array without copying it: callers hand over
 * arrays they will not touch again (decoded protobuf bytes, request bodies). Use
 * {@link #copyOf(byte[])} when the array may still change.
 */
public final class Bytes implements Comparable<Bytes> {

    public static final Bytes EMPTY = new Bytes(new byte[0]);

    private final byte[] data;
    private int hash; // cached; 0 = not computed yet (a real hash of 0 is just recomputed)

    private Bytes(byte[] data) {
        this.data = data;
    }

    /** Wraps the array without copying it; the caller must not modify it afterwards. */
    public static Bytes of(byte[] data) {
        return data.length == 0 ? EMPTY : new Bytes(data);
    }

    public static Bytes copyOf(byte[] data) {
        return of(data.clone());
    }

    public static Bytes utf8(String s) {
        return of(s.getBytes(StandardCharsets.UTF_8));
    }

    public int length() {
        return data.length;
    }

    public byte byteAt(int i) {
        return data[i];
    }

    /** A copy of the content. */
    public byte[] toByteArray() {
        return data.clone();
    }

    /**
     * The backing array, for code that only reads it (encoders, network writes). Never modify it.
     */
    public byte[] unsafeArray() {
        return data;
    }

    public Bytes concat(Bytes suffix) {
        byte[] joined = Arrays.copyOf(data, data.length + suffix.data.length);
        System.arraycopy(suffix.data, 0, joined, data.length, suffix.data.length);
        return of(joined);
    }

    public String utf8String() {
        return new String(data, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return this == o || (o instanceof Bytes other && Arrays.equals(data, other.data));
    }

    @Override
    public int hashCode() {
        int h = hash;
        if (h == 0) {
            // FNV-1a, then a final mix so that segment selection by low bits is well spread.
            h = 0x811c9dc5;
            for (byte b : data) {
                h = (h ^ (b & 0xff)) * 0x01000193;
            }
            h ^= h >>> 16;
            h *= 0x85ebca6b;
            h ^= h >>> 13;
            hash = h;
        }
        return h;
    }

    @Override
    public int compareTo(Bytes o) {
        return Arrays.compareUnsigned(data, o.data);
    }

    /** The content as UTF-8 text, for logs and error messages. */
    @Override
    public String toString() {
        return utf8String();
    }
}
