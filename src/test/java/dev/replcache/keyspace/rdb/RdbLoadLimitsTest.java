package dev.replcache.keyspace.rdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.replcache.testing.CraftedRdb;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Issue 12, row 8: declared lengths in an RDB file (LZF's decompressed length, string lengths,
 * hash sizes) are checked against the node's key and value limits, and the whole load against
 * a heap budget, before anything is allocated: 17 MB of LZF that expanded to 1.5 GB used to end
 * in an OutOfMemoryError.
 */
class RdbLoadLimitsTest {

    private static final int MAX_KEY = 64 * 1024;
    private static final int MAX_VALUE = 16 * 1024 * 1024;

    private static RdbInfo read(byte[] rdb, RdbLimits limits) throws IOException {
        return RdbReader.read(new ByteArrayInputStream(rdb), limits, (k, e) -> { });
    }

    private static long allocatedBy(ThrowingRunnable r) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        r.run();
        return threads.getCurrentThreadAllocatedBytes() - before;
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run();
    }

    @Test
    void anLzfValueThatExpandsPastMaxValueBytesIsRefusedBeforeItIsDecompressed() {
        // 1.2 MB of LZF declaring (and really holding) 105 MB: within LZF's ratio, over max-value-bytes.
        byte[] rdb = CraftedRdb.create().lzfBomb("bomb", 400_000).end();
        RdbLimits limits = new RdbLimits(MAX_KEY, MAX_VALUE, 1 << 20, Long.MAX_VALUE);

        long allocated = allocatedBy(() -> assertThatThrownBy(() -> read(rdb, limits))
                .isInstanceOf(RdbFormatException.class)
                .hasMessageContaining("a value of 105600001 bytes")
                .hasMessageContaining("over the limit of " + MAX_VALUE + " bytes (replcache.limits.max-value-bytes)"));
        assertThat(allocated).as("bytes allocated by the refused read").isLessThan(8L * 1024 * 1024);
    }

    @Test
    void manyValuesWithinTheirLimitAreRefusedOnceTheLoadPassesItsBudget() {
        // 20 values of 10.5 MB from 120 KB each: 2.4 MB of file, 211 MB loaded; the budget is 64 MB.
        CraftedRdb file = CraftedRdb.create();
        for (int i = 0; i < 20; i++) {
            file.lzfBomb("k" + i, 40_000);
        }
        byte[] rdb = file.end();
        long budget = 64L * 1024 * 1024;
        RdbLimits limits = new RdbLimits(MAX_KEY, MAX_VALUE, 1 << 20, budget);

        long allocated = allocatedBy(() -> assertThatThrownBy(() -> read(rdb, limits))
                .isInstanceOf(RdbFormatException.class)
                .hasMessageContaining("over replcache.snapshot.max-load-memory")
                .hasMessageContaining("6 keys"));
        assertThat(allocated).as("bytes allocated: the budget, not the 211 MB declared").isLessThan(budget + 16L * 1024 * 1024);
    }

    @Test
    void tinyKeysAreChargedTheirHeapNotTheirFileBytes() throws IOException {
        // 100,000 one-byte values: 1.5 MB of file, ~25 MB of heap as the keyspace counts it.
        CraftedRdb file = CraftedRdb.create();
        for (int i = 0; i < 100_000; i++) {
            file.string(Integer.toString(i).getBytes(), new byte[] {'v'});
        }
        byte[] rdb = file.end();
        assertThatThrownBy(() -> read(rdb, new RdbLimits(MAX_KEY, MAX_VALUE, 1 << 20, 10L * 1024 * 1024)))
                .isInstanceOf(RdbFormatException.class)
                .hasMessageContaining("max-load-memory");
        // The same file within a budget that holds it loads whole.
        AtomicLong keys = new AtomicLong();
        RdbReader.read(new ByteArrayInputStream(rdb), new RdbLimits(MAX_KEY, MAX_VALUE, 1 << 20, 64L * 1024 * 1024),
                (k, e) -> keys.incrementAndGet());
        assertThat(keys.get()).isEqualTo(100_000);
    }

    @Test
    void keysAndHashFieldsAreBoundedByMaxKeyBytes() {
        RdbLimits limits = new RdbLimits(1024, MAX_VALUE, 1 << 20, Long.MAX_VALUE);
        byte[] longKey = CraftedRdb.create().string(new byte[1025], new byte[] {'v'}).end();
        assertThatThrownBy(() -> read(longKey, limits)).isInstanceOf(RdbFormatException.class)
                .hasMessageContaining("a key of 1025 bytes")
                .hasMessageContaining("(replcache.limits.max-key-bytes)");
        // A dict hash (type 4) with one field of 2,000 bytes.
        byte[] hash = RdbBytes.version(10).selectDb0().u8(4).str("h").u8(1).blob(new byte[2000]).str("v").end();
        assertThatThrownBy(() -> read(hash, limits)).isInstanceOf(RdbFormatException.class)
                .hasMessageContaining("a hash field name of 2000 bytes");
    }

    @Test
    void aFileWithinEveryLimitLoads() throws IOException {
        byte[] rdb = CraftedRdb.create().lzfBomb("fine", 1000).string("k".getBytes(), "v".getBytes()).end();
        RdbInfo info = read(rdb, new RdbLimits(MAX_KEY, MAX_VALUE, 1 << 20, 16L * 1024 * 1024));
        assertThat(info.keys()).isEqualTo(2);
    }
}
