package dev.replcache.keyspace;

import java.util.Objects;

/**
 * What the keyspace stores under a key: an immutable value and its absolute expiry. The only
 * mutable part is the last access time used by approximate LRU eviction, which is not part
 * of the dataset (it is ignored by {@link #equals} and never replicated).
 */
public final class Entry {

    /** Expiry value meaning "no TTL". */
    public static final long NO_EXPIRY = -1;

    private final Value value;
    private final long expireAtMs;
    /** {@code value.memoryBytes()}, kept so that replacing an entry need not load its old value. */
    private final long valueMemoryBytes;
    private volatile long lastAccessMs;

    public Entry(Value value, long expireAtMs, long lastAccessMs) {
        this.value = Objects.requireNonNull(value, "value");
        this.expireAtMs = expireAtMs;
        this.valueMemoryBytes = value.memoryBytes();
        this.lastAccessMs = lastAccessMs;
    }

    public Value value() {
        return value;
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

    @Override
    public boolean equals(Object o) {
        return this == o
                || (o instanceof Entry other && expireAtMs == other.expireAtMs && value.equals(other.value));
    }

    @Override
    public int hashCode() {
        return value.hashCode() * 31 + Long.hashCode(expireAtMs);
    }

    @Override
    public String toString() {
        return value + (hasExpiry() ? " @" + expireAtMs : "");
    }
}
