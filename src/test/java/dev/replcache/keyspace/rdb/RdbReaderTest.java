package dev.replcache.keyspace.rdb;

import dev.replcache.keyspace.Bytes;
import dev.replcache.keyspace.Entry;
import dev.replcache.keyspace.HashValue;
import dev.replcache.keyspace.StringValue;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

import static dev.replcache.keyspace.rdb.RdbTestData.ascii;
import static org.assertj.core.api.Assertions.assertThat;

/** Reading files in every encoding the reader supports, including ones only older Redis versions wrote. */
class RdbReaderTest {

    /**
     * A dump.rdb written by redis-server 7.0.15 (SAVE) after:
     * SET s1 "hello hello hello hello hello world" (LZF), SET n1 -5, SET n2 40000,
     * SET n3 3000000000, SET e "", HSET h1 a 1 b -300 c 70000 d 9000000 e 5000000000 f xyz g -1
     * (a listpack with every integer width), PEXPIREAT h1 4102444800000, SET t1 v PXAT 4102444800123.
     */
    static final String REDIS_70_DUMP = "524544495330303130fa0972656469732d76657206372e302e3135fa0a72656469732d62697473"
            + "c040fa056374696d65c22c31086bfa08757365642d6d656dc2b0170f00fa08616f662d62617365c000fe00fb070200027331c3"
            + "11230668656c6c6f2068e00e0504776f726c64fc7bd8c32cbb030000000274310176fc00d8c32cbb030000100268313e3e0000"
            + "000e008161020101816202ded402816302f270110104816402f34054890005816502f400f2052a01000000098166028378797a"
            + "04816702dfff02ff00026e330a3330303030303030303000026e31c0fb00026e32c2409c000000016500ff9618c5c2e0cfc47b";

    static Map<Bytes, Entry> read(byte[] rdb) throws IOException {
        Map<Bytes, Entry> entries = new TreeMap<>();
        RdbReader.read(new ByteArrayInputStream(rdb), (key, entry) -> entries.put(key, entry));
        return entries;
    }

    static Entry string(String value, long expireAt) {
        return new Entry(StringValue.of(ascii(value)), expireAt, 0);
    }

    static Entry hash(long expireAt, String... fieldsAndValues) {
        Map<Bytes, Bytes> fields = new LinkedHashMap<>();
        for (int i = 0; i < fieldsAndValues.length; i += 2) {
            fields.put(ascii(fieldsAndValues[i]), ascii(fieldsAndValues[i + 1]));
        }
        return new Entry(HashValue.of(fields), expireAt, 0);
    }

    @Test
    void readsAFileWrittenByRedis70() throws IOException {
        byte[] rdb = HexFormat.of().parseHex(REDIS_70_DUMP);
        Map<Bytes, Entry> entries = new TreeMap<>();

        RdbInfo info = RdbReader.read(new ByteArrayInputStream(rdb), entries::put);

        assertThat(entries).containsOnly(
                Map.entry(ascii("s1"), string("hello hello hello hello hello world", Entry.NO_EXPIRY)),
                Map.entry(ascii("n1"), string("-5", Entry.NO_EXPIRY)),
                Map.entry(ascii("n2"), string("40000", Entry.NO_EXPIRY)),
                Map.entry(ascii("n3"), string("3000000000", Entry.NO_EXPIRY)),
                Map.entry(ascii("e"), string("", Entry.NO_EXPIRY)),
                Map.entry(ascii("t1"), string("v", 4102444800123L)),
                Map.entry(ascii("h1"), hash(4102444800000L, "a", "1", "b", "-300", "c", "70000", "d", "9000000",
                        "e", "5000000000", "f", "xyz", "g", "-1")));
        assertThat(info.version()).isEqualTo(10);
        assertThat(info.aux()).containsEntry("redis-ver", "7.0.15").containsEntry("redis-bits", "64")
                .containsEntry("aof-base", "0").containsKey("ctime").containsKey("used-mem");
        assertThat(info.replId()).isEmpty();
        assertThat(info.keys()).isEqualTo(7);
        assertThat(info.expires()).isEqualTo(2);
        assertThat(info.keysHint()).isEqualTo(7);
        assertThat(info.expiresHint()).isEqualTo(2);
        assertThat(info.checksum()).isEqualTo(Crc64.update(0, rdb, 0, rdb.length - 8)).isNotZero();
    }

    @Test
    void readsListpackEncodingsRedisWritesOnlyForOtherSizes() throws IOException {
        // 16-bit integer, 12-bit-length string (64..4095 bytes) and 32-bit-length string elements.
        String s100 = "y".repeat(100);
        String s5000 = "z".repeat(5000);
        ByteArrayOutputStream elements = new ByteArrayOutputStream();
        int count = 0;
        count += listpackElement(elements, bytes(0x82, 'f', '1'));
        count += listpackElement(elements, bytes(0xF1, 0x30, 0xF8)); // -2000 as a 16-bit integer
        count += listpackElement(elements, bytes(0x82, 'f', '2'));
        count += listpackElement(elements, concat(bytes(0xE0 | (100 >> 8), 100 & 0xff), RdbBytes.latin1(s100)));
        count += listpackElement(elements, bytes(0x82, 'f', '3'));
        count += listpackElement(elements, concat(bytes(0xF0, 5000 & 0xff, 5000 >> 8, 0, 0), RdbBytes.latin1(s5000)));
        byte[] lp = listpack(elements.toByteArray(), count);

        byte[] rdb = RdbBytes.version(10).selectDb0().u8(Rdb.TYPE_HASH_LISTPACK).str("h").blob(lp).end();

        assertThat(read(rdb)).containsExactly(Map.entry(ascii("h"), hash(Entry.NO_EXPIRY, "f1", "-2000", "f2", s100, "f3", s5000)));
    }

    @Test
    void listpackBacklenMatchesRedisThresholds() {
        // lpEncodeBacklen: 127 inclusive for one byte, then 16383, 2097151, 268435455 exclusive.
        assertThat(Listpack.encodeBacklen(127)).containsExactly(0x7f);
        assertThat(Listpack.encodeBacklen(128)).containsExactly(0x01, 0x80);
        assertThat(Listpack.encodeBacklen(5005)).containsExactly(5005 >> 7, (5005 & 127) | 128);
        assertThat(Listpack.encodeBacklen(16382)).hasSize(2);
        assertThat(Listpack.encodeBacklen(16383)).hasSize(3);
        assertThat(Listpack.encodeBacklen(2097151)).hasSize(4);
        assertThat(Listpack.encodeBacklen(268435455)).hasSize(5);
    }

    @Test
    void readsZiplistHashesOfRedis26To62() throws IOException {
        // The example from the comment at the top of redis/src/ziplist.c: entries "2" and "5".
        byte[] docExample = HexFormat.of().parseHex("0f0000000c0000000200" + "00f3" + "02f6" + "ff");
        byte[] rdb1 = RdbBytes.version(9).selectDb0().u8(Rdb.TYPE_HASH_ZIPLIST).str("doc").blob(docExample).end();
        assertThat(read(rdb1)).containsExactly(Map.entry(ascii("doc"), hash(Entry.NO_EXPIRY, "2", "5")));

        // Every encoding: 6 and 14-bit strings, 8/16/24/32/64-bit integers, an immediate, and a
        // 5-byte prevlen after an entry longer than 253 bytes.
        String s300 = "x".repeat(300);
        byte[][] entries = {
            bytes(0x04, 'n', 'a', 'm', 'e'),
            concat(bytes(0x40 | (300 >> 8), 300 & 0xff), RdbBytes.latin1(s300)),
            bytes(0x02, 'i', '1'), bytes(0xFE, 0xFB),                               // -5
            bytes(0x02, 'i', '2'), bytes(0xC0, 0xE8, 0x03),                         // 1000
            bytes(0x02, 'i', '3'), bytes(0xF0, 0x60, 0x79, 0xFE),                   // -100000
            bytes(0x02, 'i', '4'), bytes(0xD0, 0x00, 0xE1, 0xF5, 0x05),             // 100000000
            bytes(0x02, 'i', '5'), bytes(0xE0, 0x00, 0xE4, 0x0B, 0x54, 0x02, 0, 0, 0), // 10000000000
            bytes(0x02, 'i', '6'), bytes(0xFD),                                     // immediate 12
        };
        byte[] rdb2 = RdbBytes.version(9).selectDb0().hex("fc 00e40b5402000000").u8(Rdb.TYPE_HASH_ZIPLIST)
                .str("all").blob(ziplist(entries)).end();
        assertThat(read(rdb2)).containsExactly(Map.entry(ascii("all"), hash(10_000_000_000L,
                "name", s300, "i1", "-5", "i2", "1000", "i3", "-100000", "i4", "100000000", "i5", "10000000000", "i6", "12")));
    }

    @Test
    void readsZipmapHashesOfRedisBefore26InAVersion4FileWithoutChecksum() throws IOException {
        // The example from redis/src/zipmap.c: "foo" => "bar", "hello" => "world"; here "world"
        // has two free bytes after it, which must be skipped.
        byte[] zipmap = HexFormat.of().parseHex("02" + "03666f6f" + "0300626172" + "0568656c6c6f" + "0502776f726c64aaaa" + "ff");
        // Version 4: EXPIRETIME in seconds was common then; no checksum trailer.
        byte[] rdb = RdbBytes.version(4).selectDb0().hex("fd 80b0b264").u8(Rdb.TYPE_HASH_ZIPMAP).str("zm").blob(zipmap)
                .u8(Rdb.TYPE_STRING).str("k").str("v").end();

        Map<Bytes, Entry> entries = new TreeMap<>();
        RdbInfo info = RdbReader.read(new ByteArrayInputStream(rdb), entries::put);

        assertThat(entries).containsOnly(
                Map.entry(ascii("zm"), hash(1_689_432_192_000L, "foo", "bar", "hello", "world")),
                Map.entry(ascii("k"), string("v", Entry.NO_EXPIRY)));
        assertThat(info.version()).isEqualTo(4);
        assertThat(info.checksum()).isZero();
        assertThat(info.bytes()).isEqualTo(rdb.length);
    }

    @Test
    void ignoresEvictionMetadataAndAcceptsADisabledChecksum() throws IOException {
        // IDLE (a length) and FREQ (a byte) precede a key when Redis runs an LRU/LFU policy.
        byte[] rdb = RdbBytes.version(10).selectDb0().hex("f8 4080").hex("f9 05").u8(0).str("k").str("v").cut();
        byte[] withZeroChecksum = concat(rdb, bytes(0xFF, 0, 0, 0, 0, 0, 0, 0, 0));
        assertThat(read(withZeroChecksum)).containsExactly(Map.entry(ascii("k"), string("v", Entry.NO_EXPIRY)));
    }

    @Test
    void dropsEmptyHashesAsRedisDoes() throws IOException {
        byte[] rdb = RdbBytes.version(10).selectDb0().u8(Rdb.TYPE_HASH).str("empty").u8(0)
                .u8(Rdb.TYPE_STRING).str("k").str("v").end();
        Map<Bytes, Entry> entries = new TreeMap<>();
        RdbInfo info = RdbReader.read(new ByteArrayInputStream(rdb), entries::put);
        assertThat(entries).containsOnlyKeys(ascii("k"));
        assertThat(info.emptyKeysSkipped()).isEqualTo(1);
    }

    // ------------------------------------------------------------------ builders

    static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    static byte[] concat(byte[] a, byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(a);
        out.writeBytes(b);
        return out.toByteArray();
    }

    /** Appends encoding+data and its backlen; returns 1 (one element). */
    static int listpackElement(ByteArrayOutputStream out, byte[] encodingAndData) {
        out.writeBytes(encodingAndData);
        out.writeBytes(Listpack.encodeBacklen(encodingAndData.length));
        return 1;
    }

    static byte[] listpack(byte[] elements, int count) {
        int total = 6 + elements.length + 1;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(bytes(total, total >> 8, total >> 16, total >> 24, count, count >> 8));
        out.writeBytes(elements);
        out.write(0xFF);
        return out.toByteArray();
    }

    /** A ziplist of entries given as encoding+data: adds each prevlen, the header and the end byte. */
    static byte[] ziplist(byte[][] entries) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int prev = 0;
        int tail = 10;
        for (byte[] e : entries) {
            tail = 10 + body.size();
            byte[] prevlen = prev < 254 ? bytes(prev) : bytes(0xFE, prev, prev >> 8, prev >> 16, prev >> 24);
            body.writeBytes(prevlen);
            body.writeBytes(e);
            prev = prevlen.length + e.length;
        }
        int total = 10 + body.size() + 1;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(bytes(total, total >> 8, total >> 16, total >> 24, tail, tail >> 8, tail >> 16, tail >> 24,
                entries.length, entries.length >> 8));
        out.writeBytes(body.toByteArray());
        out.write(0xFF);
        return out.toByteArray();
    }
}
