package dev.replcache.keyspace;

import java.util.Arrays;
import java.util.Objects;

/**
 * What the keyspace stores under a key: an immutable value and its absolute expiry. The only
 * mutable part is the last access time used by approximate LRU eviction, which is not part
 * of the dataset (it is ignored by {@link #equals} and never replicated).
 *
 * <p>An entry is also its segment's hash-table node ({@link SegmentMap}), as Caffeine's nodes
 * are its entries: a stored key costs this object and two arrays (its key and, for a string, its
 * value), not six objects, which halves what a young collection copies for every new key. The
 * link fields are set once by the map before the entry is published and never change after; an
 * entry made with the public constructor is unlinked until the map adopts it.
 */
public final class Entry {

    /** Expiry value meaning "no TTL". */
    public static final long NO_EXPIRY = -1;

    /** The string's own bytes (a string is stored as its bare array), or the {@link HashValue}. */
    private final Object payload;
    private final long expireAtMs;
    /** {@code value.memoryBytes()}, kept so that replacing an entry need not load its old value. */
    private final long valueMemoryBytes;
    private volatile long lastAccessMs;

    // Links, owned by SegmentMap: written before the entry is published, never after.
    byte[] key;
    int hash;
    Entry next;

    public Entry(Value value, long expireAtMs, long lastAccessMs) {
        Objects.requireNonNull(value, "value");
        this.payload = value instanceof StringValue sv ? sv.array() : value;
        this.expireAtMs = expireAtMs;
        this.valueMemoryBytes = value.memoryBytes();
        this.lastAccessMs = lastAccessMs;
    }

    /** An unlinked copy, for the map to relink. */
    private Entry(Entry source) {
        this.payload = source.payload;
        this.expireAtMs = source.expireAtMs;
        this.valueMemoryBytes = source.valueMemoryBytes;
        this.lastAccessMs = source.lastAccessMs;
    }

    /** The value. A string's {@link StringValue} is a fresh view of the stored array. */
    public Value value() {
        return payload instanceof byte[] data ? StringValue.wrap(data) : (Value) payload;
    }

    /** A string's bytes without a wrapper, or null for a hash. Never modify the array. */
    byte[] stringArray() {
        return payload instanceof byte[] data ? data : null;
    }

    /** Absolute expiry in Unix milliseconds, or {@link #NO_EXPIRY}. */
    public long expireAtMs() {
        return expireAtMs;
    }

    public boolean hasExpiry() {
        return expireAtMs != NO_EXPIRY;
    }

    /** As Redis's {@code keyIsExpired}: a key is expired once the clock is past its expiry. */
    public boolean isExpiredAt(long nowMs) {
        return expireAtMs != NO_EXPIRY && nowMs > expireAtMs;
    }

    long valueMemoryBytes() {
        return valueMemoryBytes;
    }

    long lastAccessMs() {
        return lastAccessMs;
    }

    void touch(long nowMs) {
        lastAccessMs = nowMs;
    }

    /** The stored key of a linked entry, as a {@link Bytes} view of its array. */
    Bytes storedKey() {
        return Bytes.of(key);
    }

    Entry unlinkedCopy() {
        return new Entry(this);
    }

    boolean isLinked() {
        return key != null;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Entry other) || expireAtMs != other.expireAtMs) {
            return false;
        }
        if (payload instanceof byte[] data) {
            return other.payload instanceof byte[] otherData && Arrays.equals(data, otherData);
        }
        return payload.equals(other.payload);
    }

    @Override
    public int hashCode() {
        int valueHash = payload instanceof byte[] data ? Arrays.hashCode(data) : payload.hashCode();
        return valueHash * 31 + Long.hashCode(expireAtMs);
    }

    @Override
    public String toString() {
        return value() + (hasExpiry() ? " @" + expireAtMs : "");
    }
}
