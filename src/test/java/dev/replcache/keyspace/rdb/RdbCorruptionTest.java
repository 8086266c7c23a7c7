package dev.replcache.keyspace.rdb;

import dev.replcache.keyspace.Bytes;
import dev.replcache.keyspace.CommandEntry;
import dev.replcache.keyspace.Keyspace;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.SplittableRandom;

import static dev.replcache.keyspace.rdb.RdbTestData.ascii;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/** Bad input gets a clear RdbFormatException: never a wrong keyspace, a runtime exception or an OutOfMemoryError. */
class RdbCorruptionTest {

    private static RdbInfo read(byte[] rdb) throws IOException {
        return RdbReader.read(new ByteArrayInputStream(rdb), (k, e) -> { });
    }

    private static RdbInfo read(byte[] rdb, RdbLimits limits) throws IOException {
        return RdbReader.read(new ByteArrayInputStream(rdb), limits, (k, e) -> { });
    }

    private static byte[] fileWithOneBigValue() {
        Keyspace keyspace = RdbTestData.newKeyspace();
        keyspace.set(ascii("big"), RdbTestData.randomBytes(new SplittableRandom(1), 10_000));
        return RdbTestData.writeRdb(keyspace, 0);
    }

    @Test
    void aFlippedByteFailsTheChecksum() throws IOException {
        byte[] rdb = fileWithOneBigValue();
        read(rdb); // intact: fine
        byte[] corrupt = rdb.clone();
        corrupt[rdb.length / 2] ^= 0x01; // inside the value: still parses, so only the checksum can tell

        assertThatThrownBy(() -> read(corrupt)).isInstanceOf(RdbFormatException.class)
                .hasMessageContaining("checksum mismatch").hasMessageContaining("corrupt");
    }

    @Test
    void aFlippedChecksumByteFailsTheChecksum() {
        byte[] corrupt = fileWithOneBigValue();
        corrupt[corrupt.length - 3] ^= 0x40;
        assertThatThrownBy(() -> read(corrupt)).isInstanceOf(RdbFormatException.class).hasMessageContaining("checksum mismatch");
    }

    @Test
    void everyTruncationIsAClearError() {
        // Small (every prefix is parsed), but with every kind of record: TTLs, integer
        // encodings, 6 and 14-bit lengths, an empty string, a hash.
        Keyspace keyspace = RdbTestData.newKeyspace();
        keyspace.apply(new CommandEntry.Set(ascii("ttl"), ascii("v"), RdbTestData.NOW_MS + 1000));
        keyspace.apply(new CommandEntry.Set(ascii("expired"), ascii("v"), 1000));
        keyspace.set(ascii("int8"), ascii("-7"));
        keyspace.set(ascii("int16"), ascii("1000"));
        keyspace.set(ascii("int32"), ascii("100000"));
        keyspace.set(ascii("empty"), Bytes.EMPTY);
        keyspace.set(ascii("long"), ascii("L".repeat(300)));
        keyspace.hset(ascii("hash"), Map.of(ascii("f1"), ascii("1"), ascii("f2"), ascii("two")));
        byte[] rdb = RdbTestData.writeRdb(keyspace, 0);
        for (int len = 0; len < rdb.length; len++) {
            byte[] prefix = Arrays.copyOf(rdb, len);
            try {
                read(prefix);
                fail("a file cut at " + len + " of " + rdb.length + " bytes was accepted");
            } catch (RdbFormatException expected) {
                assertThat(expected.getMessage()).as("cut at %d", len).contains("truncated RDB");
                assertThat(expected.offset()).isEqualTo(len);
            } catch (IOException | RuntimeException e) {
                fail("a file cut at " + len + " gave " + e, e);
            }
        }
    }

    @Test
    void truncationMessageNamesTheKey() {
        byte[] rdb = fileWithOneBigValue();
        assertThatThrownBy(() -> read(Arrays.copyOf(rdb, rdb.length / 2))).isInstanceOf(RdbFormatException.class)
                .hasMessageContaining("the value of key 'big'");
    }

    @Test
    void hugeDeclaredLengthsAreRefusedBeforeAllocating() {
        // A 64-bit length of 2^40 bytes for a string.
        byte[] s64 = RdbBytes.version(10).selectDb0().u8(0).str("k").hex("81 0000010000000000").cut();
        assertThatThrownBy(() -> read(s64)).isInstanceOf(RdbFormatException.class)
                .hasMessageContaining("1099511627776 bytes").hasMessageContaining("over the limit");
        // A 32-bit length of 4 GiB - 1.
        byte[] s32 = RdbBytes.version(10).selectDb0().u8(0).str("k").hex("80 ffffffff").cut();
        assertThatThrownBy(() -> read(s32)).isInstanceOf(RdbFormatException.class).hasMessageContaining("over the limit");
        // An LZF string claiming 1 GiB from 10 compressed bytes.
        byte[] lzf = RdbBytes.version(10).selectDb0().u8(0).str("k").hex("c3 0a 80 40000000").cut();
        assertThatThrownBy(() -> read(lzf)).isInstanceOf(RdbFormatException.class)
                .hasMessageContaining("over the limit");
        byte[] lzfRatio = RdbBytes.version(10).selectDb0().u8(0).str("k").hex("c3 0a 80 00100000").cut();
        assertThatThrownBy(() -> read(lzfRatio)).isInstanceOf(RdbFormatException.class)
                .hasMessageContaining("more than LZF can expand to");
        // A hash declaring 2^40 fields.
        byte[] hash = RdbBytes.version(10).selectDb0().u8(4).str("h").hex("81 0000010000000000").cut();
        assertThatThrownBy(() -> read(hash)).isInstanceOf(RdbFormatException.class)
                .hasMessageContaining("fields, over the limit");
        // A 64-bit length with the top bit set.
        byte[] negative = RdbBytes.version(10).selectDb0().u8(0).str("k").hex("81 ffffffffffffffff").cut();
        assertThatThrownBy(() -> read(negative)).isInstanceOf(RdbFormatException.class)
                .hasMessageContaining("18446744073709551615");
    }

    @Test
    void configuredLimitsApply() {
        RdbLimits small = new RdbLimits(1024, 10);
        byte[] string = RdbBytes.version(10).selectDb0().u8(0).str("k").hex("80 00000800").cut();
        assertThatThrownBy(() -> read(string, small)).isInstanceOf(RdbFormatException.class)
                .hasMessageContaining("2048 bytes").hasMessageContaining("limit of 1024");
        byte[] hash = RdbBytes.version(10).selectDb0().u8(4).str("h").u8(11).cut();
        assertThatThrownBy(() -> read(hash, small)).isInstanceOf(RdbFormatException.class)
                .hasMessageContaining("11 fields, over the limit of 10");
    }

    @Test
    void aLengthWithinTheLimitButWithoutTheDataCostsOnlyWhatArrives() {
        // Guards against allocating what a corrupt length claims: ~2 GiB declared, 100 bytes present.
        RdbLimits max = new RdbLimits(RdbLimits.MAX_ARRAY_BYTES, 1L << 30);
        byte[] rdb = RdbBytes.version(10).selectDb0().u8(0).str("k").hex("80 7ffffff0").hex("61".repeat(100)).cut();
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();

        assertThatThrownBy(() -> read(rdb, max)).isInstanceOf(RdbFormatException.class).hasMessageContaining("truncated");

        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(allocated).as("bytes allocated by the read").isLessThan(16L * 1024 * 1024);
    }

    @Test
    void refusesWhatItDoesNotSupportByName() {
        assertThatThrownBy(() -> read(RdbBytes.version(11).end())).isInstanceOf(RdbFormatException.class)
                .hasMessageContaining("RDB version 11 is newer than the newest supported, 10");
        assertThatThrownBy(() -> read(RdbBytes.latin1("REDIT0010\u00ff"))).isInstanceOf(RdbFormatException.class)
                .hasMessageContaining("not an RDB file");
        assertThatThrownBy(() -> read(RdbBytes.latin1("REDIS00a0\u00ff"))).isInstanceOf(RdbFormatException.class)
                .hasMessageContaining("not four digits");
        assertThatThrownBy(() -> read(RdbBytes.version(0).end())).isInstanceOf(RdbFormatException.class)
                .hasMessageContaining("version 0 does not exist");
        assertThatThrownBy(() -> read(RdbBytes.version(10).hex("fe 01").end())).isInstanceOf(RdbFormatException.class)
                .hasMessageContaining("SELECTDB 1: only database 0 is supported");
        assertThatThrownBy(() -> read(RdbBytes.version(10).hex("f7").end())).isInstanceOf(RdbFormatException.class)
                .hasMessageContaining("MODULE_AUX");
        assertThatThrownBy(() -> read(RdbBytes.version(10).hex("f5").end())).isInstanceOf(RdbFormatException.class)
                .hasMessageContaining("FUNCTION2");
        assertThatThrownBy(() -> read(RdbBytes.version(10).selectDb0().u8(100).str("k").end()))
                .isInstanceOf(RdbFormatException.class).hasMessageContaining("unknown value type 100");
        assertThatThrownBy(() -> read(RdbBytes.version(10).selectDb0().u8(18).str("mylist").hex("01 02 0b").end()))
                .isInstanceOf(RdbFormatException.class)
                .hasMessageContaining("key 'mylist'").hasMessageContaining("type 18 (list (quicklist_2))")
                .hasMessageContaining("strings and hashes only");
    }

    @Test
    void refusesMalformedValues() {
        assertThatThrownBy(() -> read(RdbBytes.version(10).selectDb0().u8(4).str("h").u8(2)
                .str("f").str("1").str("f").str("2").end()))
                .isInstanceOf(RdbFormatException.class).hasMessageContaining("has the field 'f' (1 bytes) twice");
        assertThatThrownBy(() -> read(RdbBytes.version(10).selectDb0().u8(0).str("k").hex("c4").end()))
                .isInstanceOf(RdbFormatException.class).hasMessageContaining("unknown string encoding 4");
        assertThatThrownBy(() -> read(RdbBytes.version(10).selectDb0().u8(0).str("k").hex("c3 03 05 016161").end()))
                .isInstanceOf(RdbFormatException.class).hasMessageContaining("corrupt LZF data");
        assertThatThrownBy(() -> read(RdbBytes.version(10).hex("fb c0 00").end()))
                .isInstanceOf(RdbFormatException.class).hasMessageContaining("expected a length");
        byte[] badListpack = HexFormat.of().parseHex("0c0000000200" + "8161" + "02" + "ff" + "ffff"); // size lies
        assertThatThrownBy(() -> read(RdbBytes.version(10).selectDb0().u8(16).str("h").blob(badListpack).end()))
                .isInstanceOf(RdbFormatException.class).hasMessageContaining("hash 'h'").hasMessageContaining("corrupt listpack");
        byte[] oddListpack = HexFormat.of().parseHex("0a0000000100" + "8161" + "02" + "ff");
        assertThatThrownBy(() -> read(RdbBytes.version(10).selectDb0().u8(16).str("h").blob(oddListpack).end()))
                .isInstanceOf(RdbFormatException.class).hasMessageContaining("odd number of elements");
        assertThatThrownBy(() -> read(RdbBytes.version(10).aux("ctime", "soon").end()))
                .isInstanceOf(RdbFormatException.class).hasMessageContaining("ctime is not an integer");
    }

    @Test
    void randomCorruptionNeverEscapesAsAnythingButRdbFormatException() {
        // Mutations of a real Redis file (listpack, LZF, integers, expiries) with its checksum
        // zeroed, so that damage reaches every decoder instead of stopping at the checksum.
        byte[] original = HexFormat.of().parseHex(RdbReaderTest.REDIS_70_DUMP);
        Arrays.fill(original, original.length - 8, original.length, (byte) 0);
        SplittableRandom random = new SplittableRandom(2024);
        int accepted = 0;
        for (int round = 0; round < 2000; round++) {
            byte[] mutated = original.clone();
            int flips = 1 + random.nextInt(3);
            for (int i = 0; i < flips; i++) {
                int at = 9 + random.nextInt(mutated.length - 17); // keep magic and trailer
                mutated[at] = random.nextBoolean() ? (byte) random.nextInt(256) : (byte) (mutated[at] ^ (1 << random.nextInt(8)));
            }
            try {
                read(mutated);
                accepted++;
            } catch (RdbFormatException expected) {
                assertThat(expected.getMessage()).isNotBlank();
            } catch (Throwable e) {
                throw new AssertionError("round " + round + ": " + HexFormat.of().formatHex(mutated) + " gave " + e, e);
            }
        }
        assertThat(accepted).as("some mutations only change data").isGreaterThan(0).isLessThan(2000);
    }
}
