package dev.replcache.keyspace.rdb;

import dev.replcache.keyspace.Bytes;
import dev.replcache.keyspace.Entry;
import dev.replcache.keyspace.HashValue;
import dev.replcache.keyspace.Keyspace;
import dev.replcache.keyspace.StringValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static dev.replcache.keyspace.rdb.RdbTestData.REPL_ID;
import static dev.replcache.keyspace.rdb.RdbTestData.ascii;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Our files against the real thing: redis-check-rdb and redis-server 7.0 must accept what we
 * write, and we must read what redis-server writes. Needs the Debian packages redis-server
 * and redis-tools (see {@link RedisTools}); fails, never skips, without them.
 */
class RedisInteropTest {

    private static final long HOUR_MS = 3_600_000L;

    /**
     * Strings (small, integer-like, empty, binary, 1.5 MB), hashes (small, 600 fields, a long
     * value), TTLs in the future and already passed. Times are on the real clock, because
     * redis-server drops keys that are expired by its clock when it loads a file.
     */
    private static Keyspace interopKeyspace(long nowMs) {
        SplittableRandom random = new SplittableRandom(11);
        Keyspace ks = RdbTestData.newKeyspace();
        putString(ks, "str:small", ascii("hello"), Entry.NO_EXPIRY);
        putString(ks, "str:int", ascii("12345"), Entry.NO_EXPIRY);
        putString(ks, "str:neg", ascii("-42"), Entry.NO_EXPIRY);
        putString(ks, "str:int64", ascii("9223372036854775807"), Entry.NO_EXPIRY);
        putString(ks, "str:leading-zero", ascii("007"), Entry.NO_EXPIRY);
        putString(ks, "str:empty", Bytes.EMPTY, Entry.NO_EXPIRY);
        putString(ks, "str:text", ascii("the same words again and again and again and again"), Entry.NO_EXPIRY);
        RdbTestData.put(ks, Bytes.of(new byte[] {0, 1, 2, (byte) 0xff, '\r', '\n'}),
                new Entry(StringValue.of(RdbTestData.randomBytes(random, 100)), Entry.NO_EXPIRY, 0));
        putString(ks, "str:big", RdbTestData.randomBytes(random, 1_500_000), Entry.NO_EXPIRY);
        putString(ks, "str:ttl", ascii("soon"), nowMs + HOUR_MS + 123);
        putString(ks, "str:expired", ascii("gone"), nowMs - HOUR_MS);
        putHash(ks, "hash:small", fields(random, 10, 8), Entry.NO_EXPIRY);
        putHash(ks, "hash:big", fields(random, 600, 20), Entry.NO_EXPIRY);
        putHash(ks, "hash:long-value", Map.of(ascii("f"), RdbTestData.randomBytes(random, 1000), ascii("n"), ascii("1")),
                Entry.NO_EXPIRY);
        putHash(ks, "hash:ttl", fields(random, 3, 5), nowMs + 2 * HOUR_MS);
        putHash(ks, "hash:expired", fields(random, 3, 5), nowMs - HOUR_MS);
        return ks;
    }

    private static void putString(Keyspace ks, String key, Bytes value, long expireAt) {
        RdbTestData.put(ks, ascii(key), new Entry(StringValue.of(value), expireAt, 0));
    }

    private static void putHash(Keyspace ks, String key, Map<Bytes, Bytes> fields, long expireAt) {
        RdbTestData.put(ks, ascii(key), new Entry(HashValue.of(fields), expireAt, 0));
    }

    private static Map<Bytes, Bytes> fields(SplittableRandom random, int n, int valueBytes) {
        Map<Bytes, Bytes> fields = new HashMap<>();
        for (int i = 0; i < n; i++) {
            fields.put(ascii("field-" + i), i % 3 == 0 ? ascii(Integer.toString(i * 1000 - 7))
                    : RdbTestData.randomBytes(random, valueBytes));
        }
        return fields;
    }

    private static Path writeFile(Keyspace keyspace, Path file, long replOffset) throws IOException {
        try (OutputStream out = Files.newOutputStream(file); var snapshot = keyspace.openSnapshot(() -> replOffset)) {
            RdbWriter.write(snapshot, REPL_ID, replOffset, out);
        }
        return file;
    }

    @Test
    void redisCheckRdbAcceptsOurFile(@TempDir Path dir) throws Exception {
        long now = System.currentTimeMillis();
        Keyspace keyspace = interopKeyspace(now);
        Path file = writeFile(keyspace, dir.resolve("ours.rdb"), 42);
        assertThat(Files.size(file)).isGreaterThan(1_500_000);

        RedisTools.CheckResult result = RedisTools.checkRdb(file);

        assertThat(result.output()).contains("RDB looks OK").contains("Checksum OK")
                .contains("AUX FIELD repl-id = '" + REPL_ID + "'")
                .contains("AUX FIELD repl-offset = '42'")
                .contains("[info] " + keyspace.contents().size() + " keys read")
                .contains("[info] 4 expires")
                .contains("[info] 2 already expired");
        assertThat(result.exitCode()).as(result.output()).isZero();
    }

    @Test
    void redisServerLoadsOurFile(@TempDir Path dir) throws Exception {
        long now = System.currentTimeMillis();
        Keyspace keyspace = interopKeyspace(now);
        writeFile(keyspace, dir.resolve("dump.rdb"), 4242);

        try (RedisTools.Server server = RedisTools.Server.start(dir); RespClient redis = server.client()) {
            // Redis takes the file's repl-id/repl-offset as the history it continues: replid2,
            // valid up to our offset (second_repl_offset is Redis's "first byte after", 4242 + 1).
            String replication = new String((byte[]) redis.call("INFO", "replication"), StandardCharsets.US_ASCII);
            assertThat(replication).contains("master_replid2:" + REPL_ID).contains("second_repl_offset:4243");

            Map<Bytes, Entry> expected = keyspace.contents();
            long live = expected.values().stream().filter(e -> !e.isExpiredAt(now)).count();
            assertThat(redis.callLong("DBSIZE")).as(server.log()).isEqualTo(live);
            for (Map.Entry<Bytes, Entry> e : expected.entrySet()) {
                byte[] key = e.getKey().toByteArray();
                Entry entry = e.getValue();
                if (entry.isExpiredAt(now)) {
                    // A master drops keys its clock says are expired while loading.
                    assertThat(redis.callLong("EXISTS", key)).as("%s", e.getKey()).isZero();
                    continue;
                }
                assertThat(redis.callLong("PEXPIRETIME", key)).as("expiry of %s", e.getKey()).isEqualTo(entry.expireAtMs());
                if (entry.value() instanceof StringValue s) {
                    assertThat(redis.call("TYPE", key)).isEqualTo("string");
                    assertThat((byte[]) redis.call("GET", key)).as("%s", e.getKey()).isEqualTo(s.bytes().toByteArray());
                } else {
                    assertThat(redis.call("TYPE", key)).isEqualTo("hash");
                    assertThat(hgetAll(redis, key)).as("%s", e.getKey()).isEqualTo(((HashValue) entry.value()).fields());
                }
            }
        }
    }

    @Test
    void readsWhatRedisServerWrites(@TempDir Path dir) throws Exception {
        SplittableRandom random = new SplittableRandom(5);
        Map<Bytes, Entry> expected = new TreeMap<>();
        try (RedisTools.Server server = RedisTools.Server.start(dir); RespClient redis = server.client()) {
            // Strings: integers (Redis keeps them as integers and saves them in the int encodings
            // or as text), long compressible text (LZF), random binary (not compressible), empty.
            String[] values = {"0", "-1", "127", "-32768", "2147483647", "9223372036854775807", "007", "",
                "short", "compress me compress me compress me compress me compress me", "x".repeat(5000)};
            for (int i = 0; i < values.length; i++) {
                redis.call("SET", "s" + i, values[i]);
                expected.put(ascii("s" + i), new Entry(StringValue.of(ascii(values[i])), Entry.NO_EXPIRY, 0));
            }
            Bytes binary = RdbTestData.randomBytes(random, 300);
            redis.call("SET", new byte[] {(byte) 0xfe, 0, 'k'}, binary.toByteArray());
            expected.put(Bytes.of(new byte[] {(byte) 0xfe, 0, 'k'}), new Entry(StringValue.of(binary), Entry.NO_EXPIRY, 0));
            // TTLs given relative (PX); Redis stores the absolute time, which PEXPIRETIME reports.
            redis.call("SET", "ttl:str", "with a ttl that is long enough to be compressed, compressed", "PX", "3600000");
            expected.put(ascii("ttl:str"), new Entry(StringValue.of(ascii(
                    "with a ttl that is long enough to be compressed, compressed")), redis.callLong("PEXPIRETIME", "ttl:str"), 0));
            // Hashes: small ones are listpacks (with integer fields and values of every width),
            // ones over 128 fields or with values over 64 bytes are dicts.
            Map<Bytes, Bytes> small = new HashMap<>();
            String[] smallValues = {"1", "-1", "100", "-300", "4000", "-30000", "70000", "9000000", "5000000000", "abc", ""};
            for (int i = 0; i < smallValues.length; i++) {
                small.put(ascii("f" + i), ascii(smallValues[i]));
            }
            hset(redis, "hash:small", small);
            expected.put(ascii("hash:small"), new Entry(HashValue.of(small), Entry.NO_EXPIRY, 0));
            Map<Bytes, Bytes> big = new HashMap<>();
            for (int i = 0; i < 700; i++) {
                big.put(ascii("field:" + i), i % 2 == 0 ? ascii(Integer.toString(i)) : RdbTestData.randomBytes(random, 30));
            }
            hset(redis, "hash:big", big);
            redis.call("PEXPIRE", "hash:big", "7200000");
            expected.put(ascii("hash:big"), new Entry(HashValue.of(big), redis.callLong("PEXPIRETIME", "hash:big"), 0));
            Map<Bytes, Bytes> longValue = Map.of(ascii("long"), ascii("long value ".repeat(20)), ascii("n"), ascii("7"));
            hset(redis, "hash:long-value", longValue);
            expected.put(ascii("hash:long-value"), new Entry(HashValue.of(longValue), Entry.NO_EXPIRY, 0));
            assertThat(redis.call("OBJECT", "ENCODING", "hash:small")).isEqualTo(bytes("listpack"));
            assertThat(redis.call("OBJECT", "ENCODING", "hash:big")).isEqualTo(bytes("hashtable"));
            assertThat(redis.call("SAVE")).isEqualTo("OK");

            Map<Bytes, Entry> read = new TreeMap<>();
            RdbInfo info;
            try (InputStream in = Files.newInputStream(dir.resolve("dump.rdb"))) {
                info = RdbReader.read(in, read::put);
            }
            assertThat(read).isEqualTo(expected);
            assertThat(info.version()).isEqualTo(10);
            assertThat(info.aux()).containsEntry("redis-ver", "7.0.15");
            assertThat(info.checksum()).isNotZero();

            // A type we do not hold fails by name, in a file Redis wrote.
            redis.call("RPUSH", "mylist", "a", "b");
            assertThat(redis.call("SAVE")).isEqualTo("OK");
            assertThatThrownBy(() -> {
                try (InputStream in = Files.newInputStream(dir.resolve("dump.rdb"))) {
                    RdbReader.read(in, (k, e) -> { });
                }
            }).isInstanceOf(RdbFormatException.class).hasMessageContaining("key 'mylist'").hasMessageContaining("list");
        }
    }

    @Test
    void aMissingBinaryFailsNamingThePackageToInstall() {
        // On a machine without Redis these tests must fail loudly, not pass by skipping.
        assertThatThrownBy(() -> RedisTools.binary("redis-server-that-is-not-installed", "redis-server"))
                .isInstanceOf(org.opentest4j.AssertionFailedError.class)
                .hasMessageContaining("install the Debian package redis-server");
    }

    private static void hset(RespClient redis, String key, Map<Bytes, Bytes> fields) throws IOException {
        Object[] args = new Object[2 + 2 * fields.size()];
        args[0] = "HSET";
        args[1] = key;
        int i = 2;
        for (Map.Entry<Bytes, Bytes> f : fields.entrySet()) {
            args[i++] = f.getKey().toByteArray();
            args[i++] = f.getValue().toByteArray();
        }
        redis.call(args);
    }

    private static Map<Bytes, Bytes> hgetAll(RespClient redis, byte[] key) throws IOException {
        List<?> flat = (List<?>) redis.call("HGETALL", key);
        Map<Bytes, Bytes> map = new HashMap<>();
        for (int i = 0; i < flat.size(); i += 2) {
            map.put(Bytes.of((byte[]) flat.get(i)), Bytes.of((byte[]) flat.get(i + 1)));
        }
        return map;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
