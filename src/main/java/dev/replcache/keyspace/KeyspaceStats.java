package dev.replcache.keyspace;

/**
 * Counters of a keyspace, read without locks (each is individually current).
 *
 * @param keys         keys stored, including logically expired ones not removed yet (as DBSIZE)
 * @param expires      keys with a TTL
 * @param memoryBytes  estimated bytes used by the dataset
 * @param expiredKeys  keys removed by expiry since start
 * @param evictedKeys  keys removed by eviction since start
 */
public record KeyspaceStats(long keys, long expires, long memoryBytes, long expiredKeys, long evictedKeys) {
}
