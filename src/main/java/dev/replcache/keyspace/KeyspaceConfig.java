package dev.replcache.keyspace;

/**
 * Bounds and policies of one keyspace.
 *
 * @param segments                   number of segments, a power of two up to 65536: the unit of
 *                                   SCAN pages and of copy-on-write during a snapshot
 * @param maxMemoryBytes             estimated bytes the dataset may use; 0 = unlimited
 * @param evictionPolicy             what to remove when {@code maxMemoryBytes} is reached
 * @param evictionSamples            keys sampled per eviction (Redis's {@code maxmemory-samples})
 * @param activeExpireKeysPerLoop    keys with a TTL sampled per loop of the active expiry cycle
 * @param activeExpireMaxLoops       loops per cycle at most: bounds the work of one cycle
 */
public record KeyspaceConfig(
        int segments,
        long maxMemoryBytes,
        EvictionPolicy evictionPolicy,
        int evictionSamples,
        int activeExpireKeysPerLoop,
        int activeExpireMaxLoops) {

    /** A segment's table picks slots from the hash bits above the segment's: leave it 16 at least. */
    public static final int MAX_SEGMENTS = 1 << 16;

    public static final KeyspaceConfig DEFAULTS = new KeyspaceConfig(256, 0, EvictionPolicy.NOEVICTION, 5, 20, 16);

    public KeyspaceConfig {
        if (segments < 1 || segments > MAX_SEGMENTS || Integer.bitCount(segments) != 1) {
            throw new IllegalArgumentException("segments must be a power of two up to " + MAX_SEGMENTS + ", got " + segments);
        }
        if (maxMemoryBytes < 0) {
            throw new IllegalArgumentException("maxMemoryBytes must be >= 0, got " + maxMemoryBytes);
        }
        if (evictionPolicy == null) {
            throw new IllegalArgumentException("evictionPolicy is required");
        }
        if (evictionSamples < 1 || activeExpireKeysPerLoop < 1 || activeExpireMaxLoops < 1) {
            throw new IllegalArgumentException("sample sizes and loops must be >= 1");
        }
    }

    public KeyspaceConfig withMaxMemory(long bytes, EvictionPolicy policy) {
        return new KeyspaceConfig(segments, bytes, policy, evictionSamples, activeExpireKeysPerLoop, activeExpireMaxLoops);
    }

    public KeyspaceConfig withSegments(int n) {
        return new KeyspaceConfig(n, maxMemoryBytes, evictionPolicy, evictionSamples, activeExpireKeysPerLoop, activeExpireMaxLoops);
    }
}
