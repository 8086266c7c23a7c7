package dev.replcache.keyspace;

import java.util.Locale;

/** What to remove when max-memory is reached, named as Redis's {@code maxmemory-policy}. */
public enum EvictionPolicy {
    /** Remove nothing: writes that need memory fail with OOM, reads and deletes keep working. */
    NOEVICTION,
    /** Approximate LRU over all keys, by sampling. */
    ALLKEYS_LRU,
    /** Approximate LRU over keys with a TTL. */
    VOLATILE_LRU,
    /** A random key. */
    ALLKEYS_RANDOM,
    /** A random key with a TTL. */
    VOLATILE_RANDOM,
    /** Of a sample of keys with a TTL, the one that expires first. */
    VOLATILE_TTL;

    /** Redis's spelling: {@code allkeys-lru}. */
    public String redisName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Parses Redis's spelling ({@code allkeys-lru}) or the enum name. */
    public static EvictionPolicy parse(String text) {
        String normalized = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (EvictionPolicy p : values()) {
            if (p.name().equals(normalized)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown eviction policy '" + text + "'; expected one of "
                + java.util.Arrays.stream(values()).map(EvictionPolicy::redisName).toList());
    }

    boolean volatileOnly() {
        return this == VOLATILE_LRU || this == VOLATILE_RANDOM || this == VOLATILE_TTL;
    }
}
