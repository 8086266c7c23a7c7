package dev.replcache.keyspace;

/** A Redis string: any bytes. */
public record StringValue(Bytes bytes) implements Value {

    public StringValue {
        if (bytes == null) {
            throw new NullPointerException("bytes");
        }
    }

    public static StringValue of(Bytes bytes) {
        return new StringValue(bytes);
    }

    @Override
    public ValueType type() {
        return ValueType.STRING;
    }

    @Override
    public long memoryBytes() {
        return MemoryEstimate.STRING_VALUE + MemoryEstimate.bytes(bytes);
    }
}
