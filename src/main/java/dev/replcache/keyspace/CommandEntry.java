package dev.replcache.keyspace;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A deterministic write, as it travels on the replication stream. Every write that changes
 * data is expressed as one or more entries; replaying the entries in order on an empty
 * keyspace rebuilds the same dataset. Entries never carry relative times or "depends on the
 * clock" semantics: TTLs are absolute ({@code PXAT}), INCR becomes the resulting SET with the
 * key's expiry, an expiry removal becomes a DEL.
 */
public sealed interface CommandEntry {

    /** SET key value, replacing the value and the expiry ({@link Entry#NO_EXPIRY} = none). */
    record Set(Bytes key, Bytes value, long expireAtMs) implements CommandEntry {
        public Set {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }
    }

    /** APPEND key suffix: kept as is (not the whole value) so large strings stay cheap to stream. */
    record Append(Bytes key, Bytes suffix) implements CommandEntry {
        public Append {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(suffix, "suffix");
        }
    }

    /** DEL keys: client deletes, expirations and evictions alike. */
    record Del(List<Bytes> keys) implements CommandEntry {
        public Del {
            keys = List.copyOf(keys);
        }

        public static Del of(Bytes key) {
            return new Del(List.of(key));
        }
    }

    /** PEXPIREAT key ms: an absolute expiry in the future (a past one is sent as DEL). */
    record PExpireAt(Bytes key, long expireAtMs) implements CommandEntry {
        public PExpireAt {
            Objects.requireNonNull(key, "key");
        }
    }

    /** PERSIST key. */
    record Persist(Bytes key) implements CommandEntry {
        public Persist {
            Objects.requireNonNull(key, "key");
        }
    }

    /** HSET key field value [field value ...]. */
    record HSet(Bytes key, Map<Bytes, Bytes> fields) implements CommandEntry {
        public HSet {
            Objects.requireNonNull(key, "key");
            fields = Map.copyOf(fields);
        }
    }

    /** HDEL key field [field ...]; the key goes away with its last field. */
    record HDel(Bytes key, List<Bytes> fields) implements CommandEntry {
        public HDel {
            Objects.requireNonNull(key, "key");
            fields = List.copyOf(fields);
        }
    }

    /** FLUSHALL. */
    record FlushAll() implements CommandEntry {
    }

    /**
     * MSET key value [key value ...]: one entry, so a replica applies it whole (under one lock, in
     * one frame) and a replica promoted mid-stream never holds half of it. Values have no expiry.
     */
    record MSet(Map<Bytes, Bytes> pairs) implements CommandEntry {
        public MSet {
            pairs = Map.copyOf(pairs);
        }
    }
}
