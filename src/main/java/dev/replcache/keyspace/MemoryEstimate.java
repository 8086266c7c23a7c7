package dev.replcache.keyspace;

/**
 * An honest estimate of the heap a key costs, for {@code max-memory}. The constants are the
 * object layouts of a 64-bit JVM with compressed oops (12-byte headers, 8-byte alignment):
 * they count the entry (which is the map's node), its table slot, the key and value arrays, and
 * the key's slot in the sampling indexes used by expiry and eviction.
 */
final class MemoryEstimate {

    /** byte[] header (16) is added per array by {@link #bytes}. Bytes object: header + ref + hash = 24. */
    static final long BYTES_OBJECT = 24;
    /** HashValue: header, two fields (24) + unmodifiable wrapper (16) + HashMap (48) + table (16). */
    static final long HASH_VALUE = 104;
    /** One HashMap node (32) + a table slot (~8) per hash field. */
    static final long HASH_FIELD = 40;
    /**
     * Per key: Entry with its links (56) + table slot (~8) + the all-keys sample index, which
     * holds the key as a {@link Bytes} (24): ArrayList slot (4) + HashMap node (32) + table slot
     * (~8) + boxed Integer (16). A stored string is its bare array, counted by the value.
     */
    static final long KEY_OVERHEAD = 148;
    /** The volatile-keys sample index, for keys with a TTL, with its own {@link Bytes} of the key. */
    static final long EXPIRE_OVERHEAD = 84;

    private MemoryEstimate() {
    }

    static long bytes(Bytes b) {
        return BYTES_OBJECT + array(b.length());
    }

    /** A key as the map keeps it: its bare array (the sample indexes' wrappers are in the overheads). */
    private static long storedKey(Bytes key) {
        return array(key.length());
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
        return KEY_OVERHEAD + storedKey(key) + valueBytes + (hasExpiry ? EXPIRE_OVERHEAD : 0);
    }

    private static long align(long n) {
        return (n + 7) & ~7L;
    }
}
