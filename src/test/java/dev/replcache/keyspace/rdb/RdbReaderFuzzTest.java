package dev.replcache.keyspace.rdb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.replcache.testing.CraftedRdb;
import dev.replcache.testing.Gen;
import dev.replcache.testing.PropertyCheck;
import java.io.ByteArrayInputStream;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A seeded fuzz test of the RDB loader (issue 12, row 8): random bytes after a valid header, and
 * valid files (ours, with strings and listpack hashes, and a crafted LZF one) with bytes flipped,
 * lengths overwritten, slices cut, inserted or repeated. Whatever the input, reading it ends
 * normally or in an {@link RdbFormatException}: never another exception, never an Error, and it
 * never allocates much past the load budget. A failure prints its seed
 * ({@code -Dreplcache.seed=N} replays it).
 */
class RdbReaderFuzzTest {

    private static final int TRIES = 1500;
    private static final long BUDGET = 4L * 1024 * 1024;
    private static final RdbLimits LIMITS = new RdbLimits(1024, 256 * 1024, 10_000, BUDGET);

    private static final List<byte[]> SEEDS = List.of(
            RdbTestData.writeRdb(RdbTestData.randomKeyspace(1, 40), 100),
            RdbTestData.writeRdb(RdbTestData.randomKeyspace(2, 15), 7),
            CraftedRdb.create().lzfBomb("a", 300).string("k".getBytes(), "v".getBytes()).end(),
            RdbBytes.version(10).selectDb0().u8(4).str("h").u8(2).str("f1").str("v1").str("f2").str("v2").end());

    /** Bytes that mean something in the format: length prefixes, encodings, opcodes. */
    private static final int[] INTERESTING = {0x00, 0x3f, 0x40, 0x7f, 0x80, 0x81, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xff,
            0xfe, 0xfd, 0xfc, 0xfb, 0xfa, 0x04, 0x09, 0x0d, 0x10, 0xe0};

    @Test
    void everyInputEndsInAResultOrAFormatError() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        AtomicInteger loaded = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        PropertyCheck.forAll("everyInputEndsInAResultOrAFormatError", TRIES, RdbReaderFuzzTest::input, input -> {
            long before = threads.getCurrentThreadAllocatedBytes();
            Throwable thrown = null;
            try {
                RdbReader.read(new ByteArrayInputStream(input), LIMITS, (k, e) -> { });
            } catch (Throwable t) {
                thrown = t;
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            (thrown == null ? loaded : refused).incrementAndGet();
            if (thrown != null) {
                assertThat(thrown).as("what reading %d fuzzed bytes threw", input.length)
                        .isInstanceOf(RdbFormatException.class);
            }
            // The budget plus one read buffer, the input's own bytes and the decoders' transient lists.
            assertThat(allocated).as("bytes allocated reading %d bytes", input.length)
                    .isLessThan(BUDGET * 4 + 8L * input.length + 1024 * 1024);
        });
        if (!PropertyCheck.replaying()) {
            // Both sides must be reached: mutations that only ever break the header prove little.
            assertThat(loaded.get()).as("inputs read to the end").isGreaterThan(TRIES / 100);
            assertThat(refused.get()).as("inputs refused").isGreaterThan(TRIES / 2);
        }
    }

    private static byte[] input(Gen gen) {
        if (gen.oneIn(5)) {
            byte[] tail = gen.bytes(0, 2000);
            byte[] out = Arrays.copyOf("REDIS0010".getBytes(), 9 + tail.length);
            System.arraycopy(tail, 0, out, 9, tail.length);
            return out;
        }
        byte[] b = gen.pick(SEEDS).clone();
        int mutations = gen.intBetween(1, 6);
        for (int i = 0; i < mutations; i++) {
            b = mutate(gen, b);
        }
        if (gen.bool() && b.length > 8) {
            Arrays.fill(b, b.length - 8, b.length, (byte) 0); // a zero checksum is not checked: the parser alone decides
        }
        return b;
    }

    private static byte[] mutate(Gen gen, byte[] b) {
        if (b.length < 10) {
            return b;
        }
        int at = gen.intBetween(9, b.length - 1);
        switch (gen.intBetween(0, 5)) {
            case 0 -> b[at] ^= (byte) (1 << gen.intBetween(0, 7));
            case 1 -> b[at] = (byte) INTERESTING[gen.intBetween(0, INTERESTING.length - 1)];
            case 2 -> { // a 32-bit length, of any size
                b[at] = (byte) 0x80;
                for (int k = 1; k <= 4 && at + k < b.length; k++) {
                    b[at + k] = (byte) gen.intBetween(0, 255);
                }
            }
            case 3 -> b = Arrays.copyOf(b, gen.intBetween(9, b.length - 1)); // truncated
            case 4 -> { // random bytes inserted
                byte[] ins = gen.bytes(1, 16);
                byte[] out = new byte[b.length + ins.length];
                System.arraycopy(b, 0, out, 0, at);
                System.arraycopy(ins, 0, out, at, ins.length);
                System.arraycopy(b, at, out, at + ins.length, b.length - at);
                b = out;
            }
            default -> { // a slice repeated
                int len = Math.min(gen.intBetween(1, 64), b.length - at);
                byte[] out = new byte[b.length + len];
                System.arraycopy(b, 0, out, 0, at + len);
                System.arraycopy(b, at, out, at + len, b.length - at);
                b = out;
            }
        }
        return b;
    }
}
