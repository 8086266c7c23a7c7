package dev.replcache.keyspace;

import java.util.Arrays;
import java.util.Objects;

/**
 * A Redis string: any bytes. Holds the array itself, not a {@link Bytes}. The keyspace stores
 * only the array (inside its {@link Entry}); a StringValue is a short-lived view of it, so a
 * stored string costs no object beyond its bytes.
 */
public final class StringValue implements Value {

    private final byte[] data;

    private StringValue(byte[] data) {
        this.data = data;
    }

    /** Shares the bytes' array: both are immutable. */
    public static StringValue of(Bytes bytes) {
        return new StringValue(Objects.requireNonNull(bytes, "bytes").unsafeArray());
    }

    /** Wraps a stored array without copying it (an {@link Entry} keeps strings as bare arrays). */
    static StringValue wrap(byte[] data) {
        return new StringValue(data);
    }

    byte[] array() {
        return data;
    }

    /** The value as a {@link Bytes} view of the same array. */
    public Bytes bytes() {
        return Bytes.of(data);
    }

    public int length() {
        return data.length;
    }

    @Override
    public ValueType type() {
        return ValueType.STRING;
    }

    @Override
    public long memoryBytes() {
        return MemoryEstimate.array(data.length);
    }

    @Override
    public boolean equals(Object o) {
        return this == o || (o instanceof StringValue other && Arrays.equals(data, other.data));
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "StringValue[bytes=" + bytes() + "]";
    }
}
