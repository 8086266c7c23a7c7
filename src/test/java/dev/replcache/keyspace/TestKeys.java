package dev.replcache.keyspace;

import java.util.List;
import java.util.SplittableRandom;

/** Small helpers shared by the keyspace tests. */
final class TestKeys {

    private TestKeys() {
    }

    /** A UTF-8 key, value or field. */
    static Bytes b(String s) {
        return Bytes.utf8(s);
    }

    static List<Bytes> bs(String... s) {
        return java.util.Arrays.stream(s).map(Bytes::utf8).toList();
    }

    /** A master keyspace with the given config, a manual clock, a seeded random and a recording log. */
    static Keyspace keyspace(KeyspaceConfig config, ManualClock clock, RecordingWriteLog log) {
        return new Keyspace(config, clock, new SplittableRandom(42), log);
    }

    static Keyspace keyspace(ManualClock clock, RecordingWriteLog log) {
        return keyspace(KeyspaceConfig.DEFAULTS, clock, log);
    }

    /** SET's log entry for a key without a TTL. */
    static CommandEntry.Set setEntry(String key, String value) {
        return new CommandEntry.Set(b(key), b(value), Entry.NO_EXPIRY);
    }

    static CommandEntry.Set setEntry(String key, String value, long expireAtMs) {
        return new CommandEntry.Set(b(key), b(value), expireAtMs);
    }

    static CommandEntry.Del delEntry(String... keys) {
        return new CommandEntry.Del(bs(keys));
    }
}
