package dev.replcache.keyspace.rdb;

import dev.replcache.keyspace.Bytes;
import dev.replcache.keyspace.CommandEntry;
import dev.replcache.keyspace.Entry;
import dev.replcache.keyspace.HashValue;
import dev.replcache.keyspace.Keyspace;
import dev.replcache.keyspace.KeyspaceConfig;
import dev.replcache.keyspace.KeyspaceSnapshot;
import dev.replcache.keyspace.StringValue;
import dev.replcache.keyspace.WriteLog;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** Keyspaces for RDB tests: random ones from a seed, and the write/read helpers around them. */
final class RdbTestData {

    static final String REPL_ID = "8d2b1a7f4c3e9d0b6a5f1e2c3b4a5d6e7f809a1b";
    /** A fixed "now" for keyspaces built here: 2026-01-01T00:00:00Z. */
    static final long NOW_MS = 1_767_225_600_000L;

    /** Integers as strings at every boundary of Redis's int encodings, and strings that only look like integers. */
    static final String[] INTEGER_LIKE = {
        "0", "1", "-1", "127", "128", "-128", "-129", "255", "256", "32767", "32768", "-32768", "-32769",
        "65535", "2147483647", "2147483648", "-2147483648", "-2147483649", "4294967296",
        "9223372036854775807", "-9223372036854775808", "12345678901", "-1234567890", "123456789012",
        "007", "-0", "+5", " 5", "5 ", "1e3", "0x10", "00", "-", "--1", "1.5",
    };

    private RdbTestData() {
    }

    static Keyspace newKeyspace() {
        return new Keyspace(KeyspaceConfig.DEFAULTS.withSegments(16), () -> NOW_MS, new SplittableRandom(1),
                WriteLog.DISCARD);
    }

    /** Puts an entry exactly as given (expired or not), as a replica applies the stream. */
    static void put(Keyspace keyspace, Bytes key, Entry entry) {
        if (entry.value() instanceof StringValue s) {
            keyspace.apply(new CommandEntry.Set(key, s.bytes(), entry.expireAtMs()));
        } else if (entry.value() instanceof HashValue h) {
            keyspace.apply(new CommandEntry.HSet(key, h.fields()));
            if (entry.hasExpiry()) {
                keyspace.apply(new CommandEntry.PExpireAt(key, entry.expireAtMs()));
            }
        } else {
            throw new AssertionError(entry);
        }
    }

    /**
     * A random keyspace: binary and empty keys and values, integer-like strings, small and big
     * hashes, no TTL, future TTLs and TTLs already passed.
     */
    static Keyspace randomKeyspace(long seed, int keys) {
        SplittableRandom random = new SplittableRandom(seed);
        Keyspace keyspace = newKeyspace();
        for (int i = 0; i < keys; i++) {
            Bytes key = random.nextInt(50) == 0 ? Bytes.EMPTY : randomBytes(random, 1 + random.nextInt(40));
            // A key drawn twice starts afresh: HSET onto a string would be WRONGTYPE.
            keyspace.apply(CommandEntry.Del.of(key));
            long expireAt;
            int ttlKind = random.nextInt(10);
            if (ttlKind < 6) {
                expireAt = Entry.NO_EXPIRY;
            } else if (ttlKind < 8) {
                expireAt = NOW_MS + 1 + random.nextLong(1_000_000_000L);
            } else {
                expireAt = 1 + random.nextLong(NOW_MS); // already expired: a snapshot keeps it
            }
            int kind = random.nextInt(10);
            if (kind < 6) {
                put(keyspace, key, new Entry(StringValue.of(randomValue(random)), expireAt, 0));
            } else {
                int fields = random.nextInt(20) == 0 ? 513 + random.nextInt(200) : 1 + random.nextInt(30);
                Map<Bytes, Bytes> map = new HashMap<>();
                while (map.size() < fields) {
                    map.put(randomValue(random), randomValue(random));
                }
                put(keyspace, key, new Entry(HashValue.of(map), expireAt, 0));
            }
        }
        return keyspace;
    }

    static Bytes randomValue(SplittableRandom random) {
        int kind = random.nextInt(20);
        if (kind == 0) {
            return Bytes.EMPTY;
        } else if (kind < 6) {
            return ascii(INTEGER_LIKE[random.nextInt(INTEGER_LIKE.length)]);
        } else if (kind < 8) {
            return ascii(Long.toString(random.nextLong()));
        } else if (kind == 8) {
            // Lengths around the 6-bit and 14-bit length-encoding boundaries.
            int[] lengths = {63, 64, 16383, 16384};
            return randomBytes(random, lengths[random.nextInt(lengths.length)]);
        } else {
            return randomBytes(random, random.nextInt(100));
        }
    }

    static Bytes randomBytes(SplittableRandom random, int length) {
        byte[] b = new byte[length];
        random.nextBytes(b);
        return Bytes.of(b);
    }

    static Bytes ascii(String s) {
        return Bytes.of(s.getBytes(StandardCharsets.US_ASCII));
    }

    /** The keyspace as an RDB file, through a snapshot, as a master writes it for a replica. */
    static byte[] writeRdb(Keyspace keyspace, long replOffset) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (KeyspaceSnapshot snapshot = keyspace.openSnapshot(() -> replOffset)) {
            RdbWriter.write(snapshot, REPL_ID, replOffset, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Loaded file: a fresh keyspace and what the file said about itself. */
    record Loaded(Keyspace keyspace, RdbInfo info) {
    }

    static Loaded readRdb(byte[] rdb) throws IOException {
        Keyspace keyspace = newKeyspace();
        RdbInfo info = RdbReader.read(new ByteArrayInputStream(rdb), (key, entry) -> put(keyspace, key, entry));
        return new Loaded(keyspace, info);
    }
}
