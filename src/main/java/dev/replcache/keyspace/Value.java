package dev.replcache.keyspace;

/**
 * A value stored under a key. Values are immutable: a write replaces the value object, so
 * concurrent readers and the snapshotter always see a consistent value without locks.
 */
public sealed interface Value permits StringValue, HashValue {

    ValueType type();

    /** Estimated heap bytes held by this value (not counting the key or the map entry). */
    long memoryBytes();
}
