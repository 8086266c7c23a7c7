package dev.replcache.keyspace;

/**
 * An honest estimate of the heap a key costs, for {@code max-memory}. The constants are the
 * object layouts of a 64-bit JVM with compressed oops (12-byte headers, 8-byte alignment):
 * they count the map node, the entry, the key and value wrappers and their arrays, and the
 * key's slot in the sampling indexes used by expiry and eviction.
 */
final class MemoryEstimate {

    /** byte[] header (16) is added per array by {@link #bytes}. Bytes object: header + ref + hash = 24. */
    static final long BYTES_OBJECT = 24;
    /** StringValue: header + ref to its array = 16 (the array is added by {@link #array}). */
    static final long STRING_VALUE = 16;
    /** HashValue: header, two fields (24) + unmodifiable wrapper (16) + HashMap (48) + table (16). */
    static final long HASH_VALUE = 104;
    /** One HashMap node (32) + a table slot (~8) per hash field. */
    static final long HASH_FIELD = 40;
    /**
     * Per key: ConcurrentHashMap node (32) + table slot (~8) + Entry (40) + the all-keys sample
     * index: ArrayList slot (4) + HashMap node (32) + table slot (~8) + boxed Integer (16).
     */
    static final long KEY_OVERHEAD = 140;
    /** The volatile-keys sample index, for keys with a TTL. */
    static final long EXPIRE_OVERHEAD = 60;

    private MemoryEstimate() {
    }

    static long bytes(Bytes b) {
        return BYTES_OBJECT + array(b.length());
    }

    /** A byte[] of {@code length}: 16-byte header, aligned to 8. */
    static long array(int length) {
        return align(16L + length);
    }

    static long hashField(Bytes field, Bytes value) {
        return HASH_FIELD + bytes(field) + bytes(value);
    }

    static long entry(Bytes key, Value value, long expireAtMs) {
        return entry(key, value.memoryBytes(), expireAtMs != Entry.NO_EXPIRY);
    }

    /** As {@link #entry(Bytes, Value, long)}, from what the entry keeps: no load of its value. */
    static long entry(Bytes key, Entry entry) {
        return entry(key, entry.valueMemoryBytes(), entry.hasExpiry());
    }

    private static long entry(Bytes key, long valueBytes, boolean hasExpiry) {
        return KEY_OVERHEAD + bytes(key) + valueBytes + (hasExpiry ? EXPIRE_OVERHEAD : 0);
    }

    private static long align(long n) {
        return (n + 7) & ~7L;
    }
}
