package dev.replcache.keyspace.rdb;

import dev.replcache.keyspace.Bytes;
import dev.replcache.keyspace.Entry;
import dev.replcache.keyspace.HashValue;
import dev.replcache.keyspace.Keyspace;
import dev.replcache.keyspace.StringValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.stream.LongStream;

import static dev.replcache.keyspace.rdb.RdbTestData.NOW_MS;
import static dev.replcache.keyspace.rdb.RdbTestData.REPL_ID;
import static dev.replcache.keyspace.rdb.RdbTestData.ascii;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RdbRoundTripTest {

    static LongStream seeds() {
        return LongStream.range(0, 40);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void randomKeyspaceReadsBackEqual(long seed) throws IOException {
        Keyspace original = RdbTestData.randomKeyspace(seed, 1 + (int) (seed * 7 % 120));
        byte[] rdb = RdbTestData.writeRdb(original, 1000 + seed);

        RdbTestData.Loaded loaded = RdbTestData.readRdb(rdb);

        assertThat(loaded.keyspace().contents()).as("seed %d", seed).isEqualTo(original.contents());
        long withTtl = original.contents().values().stream().filter(Entry::hasExpiry).count();
        assertThat(loaded.info().keys()).isEqualTo(original.contents().size());
        assertThat(loaded.info().expires()).isEqualTo(withTtl);
        assertThat(loaded.info().keysHint()).isEqualTo(original.contents().size());
        assertThat(loaded.info().expiresHint()).isEqualTo(withTtl);
        assertThat(loaded.info().bytes()).isEqualTo(rdb.length);
    }

    @Test
    void emptyKeyspaceIsAValidFile() throws IOException {
        byte[] rdb = RdbTestData.writeRdb(RdbTestData.newKeyspace(), 0);
        RdbTestData.Loaded loaded = RdbTestData.readRdb(rdb);
        assertThat(loaded.keyspace().contents()).isEmpty();
        assertThat(loaded.info().keys()).isZero();
    }

    @Test
    void auxFieldsAreRedis70sAndCarryTheReplicationPosition() throws IOException {
        Keyspace keyspace = RdbTestData.newKeyspace();
        keyspace.set(ascii("k"), ascii("v"));
        byte[] rdb = RdbTestData.writeRdb(keyspace, 123_456_789L);

        RdbInfo info = RdbTestData.readRdb(rdb).info();

        assertThat(new String(rdb, 0, 9, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("REDIS0010");
        assertThat(info.version()).isEqualTo(10);
        assertThat(info.aux()).containsExactly(
                Map.entry("redis-ver", "7.0.15"),
                Map.entry("redis-bits", "64"),
                Map.entry("ctime", Long.toString(NOW_MS / 1000)),
                Map.entry("used-mem", Long.toString(keyspace.usedMemory())),
                Map.entry("repl-stream-db", "0"),
                Map.entry("repl-id", REPL_ID),
                Map.entry("repl-offset", "123456789"),
                Map.entry("aof-base", "0"));
        assertThat(info.replId()).hasValue(REPL_ID);
        assertThat(info.replOffset()).hasValue(123_456_789L);
        assertThat(info.ctimeSeconds()).hasValue(NOW_MS / 1000);
    }

    @Test
    void integerLikeStringsComeBackByteForByte() throws IOException {
        // Regression guard for the integer encodings: only canonical decimals in 32-bit range may
        // be stored as integers; "007", "-0", "+5" and 64-bit values must stay strings.
        Keyspace keyspace = RdbTestData.newKeyspace();
        for (String s : RdbTestData.INTEGER_LIKE) {
            keyspace.set(ascii(s), ascii(s));
            keyspace.hset(ascii("h"), Map.of(ascii(s), ascii(s)));
        }
        byte[] rdb = RdbTestData.writeRdb(keyspace, 0);
        assertThat(RdbTestData.readRdb(rdb).keyspace().contents()).isEqualTo(keyspace.contents());
    }

    @Test
    void stringsUseRedisIntegerEncodings() throws IOException {
        assertThat(encodedValue("5")).isEqualTo("c005");
        assertThat(encodedValue("-128")).isEqualTo("c080");
        assertThat(encodedValue("128")).isEqualTo("c18000");
        assertThat(encodedValue("-32768")).isEqualTo("c10080");
        assertThat(encodedValue("2147483647")).isEqualTo("c2ffffff7f");
        assertThat(encodedValue("2147483648")).isEqualTo("0a32313437343833363438");
        assertThat(encodedValue("007")).isEqualTo("03303037");
        assertThat(encodedValue("")).isEqualTo("00");
        assertThat(encodedValue("x".repeat(64))).startsWith("4040");
        assertThat(encodedValue("x".repeat(16384))).startsWith("8000004000");
    }

    /** The bytes RdbWriter writes for the value of a string key "k". */
    private static String encodedValue(String value) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RdbWriter writer = new RdbWriter(out);
        writer.begin(new RdbWriter.Header(0, 0, REPL_ID, 0, 1, 0));
        long before = writer.bytesWritten();
        writer.writeEntry(ascii("k"), new Entry(StringValue.of(ascii(value)), Entry.NO_EXPIRY, 0));
        long after = writer.bytesWritten();
        writer.finish();
        byte[] all = out.toByteArray();
        // type (1) + key (length 1 + "k")
        byte[] value_ = Arrays.copyOfRange(all, (int) before + 3, (int) after);
        return HexFormat.of().formatHex(value_);
    }

    @Test
    void streamingApiCountsBytesAndReportsTheTrailer() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RdbWriter writer = new RdbWriter(out);
        writer.begin(new RdbWriter.Header(1_700_000_000L, 42, REPL_ID, 7, 3, 1));
        byte[] big = new byte[3 * RdbWriter.BUFFER_BYTES + 17]; // bigger than the buffer: the direct path
        new java.util.SplittableRandom(3).nextBytes(big);
        assertThat(writer.writeEntry(ascii("a"), new Entry(StringValue.of(ascii("1")), NOW_MS + 5, 0))).isTrue();
        assertThat(writer.writeEntry(ascii("b"), new Entry(StringValue.of(Bytes.of(big)), Entry.NO_EXPIRY, 0))).isTrue();
        assertThat(writer.writeEntry(ascii("c"), new Entry(HashValue.of(Map.of(ascii("f"), ascii("v"))), Entry.NO_EXPIRY, 0)))
                .isTrue();
        assertThat(writer.writeEntry(ascii("empty"), new Entry(HashValue.of(Map.of()), Entry.NO_EXPIRY, 0)))
                .as("an empty hash is skipped: Redis refuses empty keys").isFalse();
        assertThat(writer.bytesWritten()).as("buffered bytes count too").isGreaterThan(out.size());
        RdbWriter.Summary summary = writer.finish();

        byte[] rdb = out.toByteArray();
        assertThat(summary.bytes()).isEqualTo(rdb.length).isEqualTo(writer.bytesWritten());
        assertThat(summary.keys()).isEqualTo(3);
        assertThat(summary.expires()).isEqualTo(1);
        assertThat(summary.skippedEmpty()).isEqualTo(1);
        assertThat(summary.checksum()).isEqualTo(Crc64.update(0, rdb, 0, rdb.length - 8));
        RdbTestData.Loaded loaded = RdbTestData.readRdb(rdb);
        assertThat(loaded.info().checksum()).isEqualTo(summary.checksum());
        assertThat(loaded.keyspace().get(ascii("b"))).isEqualTo(Bytes.of(big));
        assertThat(loaded.keyspace().pexpireTime(ascii("a"))).isEqualTo(NOW_MS + 5);
    }

    @Test
    void writerRefusesCallsOutOfOrderAndBadReplIds() {
        RdbWriter writer = new RdbWriter(new ByteArrayOutputStream());
        Entry entry = new Entry(StringValue.of(ascii("v")), Entry.NO_EXPIRY, 0);
        assertThatThrownBy(() -> writer.writeEntry(ascii("k"), entry)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(writer::finish).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new RdbWriter.Header(0, 0, "not-hex", 0, 0, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("40 hex");
    }

    @Test
    void writesTheStateAtTheCutWhileWritesGoOn() throws IOException {
        // The file of a snapshot is the dataset at the cut, whatever is written during the walk.
        Keyspace keyspace = RdbTestData.randomKeyspace(99, 200);
        Map<Bytes, Entry> atCut = keyspace.contents();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (var snapshot = keyspace.openSnapshot(() -> 5)) {
            for (int i = 0; i < 100; i++) {
                keyspace.set(ascii("new" + i), ascii("x"));
            }
            keyspace.flushAll();
            RdbWriter.write(snapshot, REPL_ID, 5, out);
        }
        assertThat(keyspace.contents()).isEmpty();
        assertThat(RdbTestData.readRdb(out.toByteArray()).keyspace().contents()).isEqualTo(atCut);
    }
}
