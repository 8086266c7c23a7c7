package dev.replcache.keyspace;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * A Redis hash: fields to values. Immutable; {@link #with} and {@link #without} return a
 * changed copy. Copy-on-write costs O(fields) per write, which suits cache-sized hashes and
 * buys lock-free reads and a free point-in-time view for snapshots.
 */
public final class HashValue implements Value {

    private final Map<Bytes, Bytes> fields;
    private final long memoryBytes;

    private HashValue(Map<Bytes, Bytes> fields) {
        this.fields = Collections.unmodifiableMap(fields);
        long size = MemoryEstimate.HASH_VALUE;
        for (Map.Entry<Bytes, Bytes> e : fields.entrySet()) {
            size += MemoryEstimate.hashField(e.getKey(), e.getValue());
        }
        this.memoryBytes = size;
    }

    public static HashValue of(Map<Bytes, Bytes> fields) {
        return new HashValue(new HashMap<>(fields));
    }

    public Map<Bytes, Bytes> fields() {
        return fields;
    }

    public Bytes get(Bytes field) {
        return fields.get(field);
    }

    public int size() {
        return fields.size();
    }

    public HashValue with(Map<Bytes, Bytes> changes) {
        Map<Bytes, Bytes> copy = new HashMap<>(fields);
        copy.putAll(changes);
        return new HashValue(copy);
    }

    public HashValue without(Iterable<Bytes> removed) {
        Map<Bytes, Bytes> copy = new HashMap<>(fields);
        for (Bytes f : removed) {
            copy.remove(f);
        }
        return new HashValue(copy);
    }

    @Override
    public ValueType type() {
        return ValueType.HASH;
    }

    @Override
    public long memoryBytes() {
        return memoryBytes;
    }

    @Override
    public boolean equals(Object o) {
        return this == o || (o instanceof HashValue other && fields.equals(other.fields));
    }

    @Override
    public int hashCode() {
        return fields.hashCode();
    }

    @Override
    public String toString() {
        return "HashValue" + fields;
    }
}
