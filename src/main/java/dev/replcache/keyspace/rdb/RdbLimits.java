package dev.replcache.keyspace.rdb;

/**
 * Bounds on what an RDB stream may make the reader allocate: a declared length over a bound is
 * refused with an {@link RdbFormatException} before any memory is taken (TigerStyle: a limit
 * on everything). Within the bounds memory still only grows as bytes actually arrive.
 *
 * <p>Why the total: each string is bounded, but a file can hold many. LZF expands up to 88
 * times, so 17 MB of crafted LZF strings declare 1.5 GB (issue 12, row 8), and tiny keys cost
 * far more heap than file bytes. The reader therefore keeps an estimate of the heap the loaded
 * data takes (the decoded bytes plus the per-object overhead the keyspace counts) and refuses
 * the file before an allocation would take it over {@code maxLoadBytes}.
 *
 * @param maxKeyBytes   the longest key and hash field name (the node's {@code replcache.limits.max-key-bytes})
 * @param maxValueBytes the longest string value, hash field value or aux field, after LZF
 *                      decompression (the node's {@code replcache.limits.max-value-bytes});
 *                      at most {@link #MAX_ARRAY_BYTES}
 * @param maxHashFields the most fields one hash may declare
 * @param maxLoadBytes  the most heap, as estimated, the whole load may take (the node's
 *                      {@code replcache.snapshot.max-load-memory})
 */
public record RdbLimits(int maxKeyBytes, int maxValueBytes, long maxHashFields, long maxLoadBytes) {

    /** What a Java array can hold. */
    public static final int MAX_ARRAY_BYTES = Integer.MAX_VALUE - 8;

    /** 512 MiB strings, as Redis's {@code proto-max-bulk-len}; 2^30 fields per hash; no total. */
    public static final RdbLimits DEFAULTS = new RdbLimits(512 * 1024 * 1024, 1L << 30);

    public RdbLimits {
        if (maxKeyBytes < 0 || maxKeyBytes > MAX_ARRAY_BYTES) {
            throw new IllegalArgumentException("maxKeyBytes must be in [0, " + MAX_ARRAY_BYTES + "], got " + maxKeyBytes);
        }
        if (maxValueBytes < 0 || maxValueBytes > MAX_ARRAY_BYTES) {
            throw new IllegalArgumentException("maxValueBytes must be in [0, " + MAX_ARRAY_BYTES + "], got " + maxValueBytes);
        }
        if (maxHashFields < 0) {
            throw new IllegalArgumentException("maxHashFields must be >= 0, got " + maxHashFields);
        }
        if (maxLoadBytes < 0) {
            throw new IllegalArgumentException("maxLoadBytes must be >= 0, got " + maxLoadBytes);
        }
    }

    /** One bound for every string, keys included, and no total. */
    public RdbLimits(int maxStringBytes, long maxHashFields) {
        this(maxStringBytes, maxStringBytes, maxHashFields, Long.MAX_VALUE);
    }
}
