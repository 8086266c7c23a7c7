package dev.replcache.keyspace.rdb;

/**
 * Bounds on what an RDB stream may make the reader allocate: a declared length over a bound is
 * refused with an {@link RdbFormatException} before any memory is taken (TigerStyle: a limit
 * on everything). Within the bounds memory still only grows as bytes actually arrive.
 *
 * @param maxStringBytes  the longest string, after LZF decompression, and the largest
 *                        listpack/ziplist/zipmap blob; at most {@link #MAX_ARRAY_BYTES}
 * @param maxHashFields   the most fields one hash may declare
 */
public record RdbLimits(int maxStringBytes, long maxHashFields) {

    /** What a Java array can hold. */
    public static final int MAX_ARRAY_BYTES = Integer.MAX_VALUE - 8;

    /** 512 MiB strings, as Redis's {@code proto-max-bulk-len}; 2^30 fields per hash. */
    public static final RdbLimits DEFAULTS = new RdbLimits(512 * 1024 * 1024, 1L << 30);

    public RdbLimits {
        if (maxStringBytes < 0 || maxStringBytes > MAX_ARRAY_BYTES) {
            throw new IllegalArgumentException("maxStringBytes must be in [0, " + MAX_ARRAY_BYTES + "], got " + maxStringBytes);
        }
        if (maxHashFields < 0) {
            throw new IllegalArgumentException("maxHashFields must be >= 0, got " + maxHashFields);
        }
    }
}
