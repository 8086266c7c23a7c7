package dev.replcache.keyspace;

import static dev.replcache.keyspace.TestKeys.b;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** SCAN with MATCH and COUNT; DBSIZE. */
class ScanTest extends KeyspaceTestBase {

    private List<List<Bytes>> scanAll(Bytes pattern, int count) {
        List<List<Bytes>> pages = new ArrayList<>();
        long cursor = 0;
        do {
            ScanPage page = ks.scan(cursor, pattern, count);
            pages.add(page.keys());
            cursor = page.nextCursor();
        } while (cursor != 0);
        return pages;
    }

    private static List<Bytes> flatten(List<List<Bytes>> pages) {
        return pages.stream().flatMap(List::stream).toList();
    }

    @Test
    void emptyKeyspaceIsOneEmptyPage() {
        ScanPage page = ks.scan(0, null, 10);
        assertThat(page).isEqualTo(new ScanPage(0, List.of()));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 5, 10, 100, 10_000})
    void returnsEveryKeyExactlyOnceWhateverTheCount(int count) {
        Set<Bytes> expected = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            ks.set(b("key:" + i), b("v"));
            expected.add(b("key:" + i));
        }
        ks.hset(b("hash"), Map.of(b("f"), b("v")));
        expected.add(b("hash"));
        List<Bytes> all = flatten(scanAll(null, count));
        assertThat(all).hasSize(expected.size()).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void countBoundsThePageToWholeSegments() {
        newKeyspace(KeyspaceConfig.DEFAULTS.withSegments(16));
        for (int i = 0; i < 1000; i++) {
            ks.set(b("key:" + i), b("v"));
        }
        // COUNT 1: every page is exactly one segment, so 16 pages (no segment is empty with 1000 keys).
        List<List<Bytes>> pages = scanAll(null, 1);
        assertThat(pages).hasSize(16);
        assertThat(pages).allSatisfy(p -> assertThat(p).isNotEmpty());
        // A COUNT larger than the dataset gives one page and the end cursor at once.
        ScanPage whole = ks.scan(0, null, 5000);
        assertThat(whole.nextCursor()).isZero();
        assertThat(whole.keys()).hasSize(1000);
        // A COUNT in between: pages hold at least COUNT examined keys (here all match), except the last.
        List<List<Bytes>> mid = scanAll(null, 150);
        assertThat(mid.size()).isBetween(2, 8);
        for (int i = 0; i < mid.size() - 1; i++) {
            assertThat(mid.get(i).size()).isGreaterThanOrEqualTo(150);
        }
    }

    @Test
    void nonPositiveCountMeansTheDefault() {
        newKeyspace(KeyspaceConfig.DEFAULTS.withSegments(16));
        for (int i = 0; i < 1000; i++) {
            ks.set(b("key:" + i), b("v"));
        }
        ScanPage page = ks.scan(0, null, 0);
        assertThat(page.nextCursor()).isNotZero();
        assertThat(page.keys().size()).isBetween(10, 999);
    }

    @Test
    void matchFiltersKeysButCountStillCountsExaminedKeys() {
        newKeyspace(KeyspaceConfig.DEFAULTS.withSegments(16));
        for (int i = 0; i < 500; i++) {
            ks.set(b("user:" + i), b("v"));
            ks.set(b("order:" + i), b("v"));
        }
        List<List<Bytes>> pages = scanAll(b("user:1?"), 1);
        assertThat(pages).hasSize(16); // whole segments examined even when nothing matches
        assertThat(flatten(pages)).containsExactlyInAnyOrderElementsOf(
                List.of(b("user:10"), b("user:11"), b("user:12"), b("user:13"), b("user:14"),
                        b("user:15"), b("user:16"), b("user:17"), b("user:18"), b("user:19")));
        assertThat(flatten(scanAll(b("nothing*"), 10))).isEmpty();
    }

    @Test
    void expiredKeysAreNotReturned() {
        ks.set(b("live"), b("v"));
        ks.set(b("dead"), b("v"), SetCondition.ALWAYS, Ttl.inMillis(10), false);
        clock.advance(11);
        assertThat(flatten(scanAll(null, 100))).containsExactly(b("live"));
    }

    @ParameterizedTest
    @ValueSource(longs = {-1, 256, 257, Long.MAX_VALUE, Long.MIN_VALUE})
    void invalidCursorIsRefused(long cursor) {
        assertKeyspaceError(KeyspaceException.Kind.SYNTAX, () -> ks.scan(cursor, null, 10))
                .hasMessage("ERR invalid cursor");
    }

    @Test
    void everyCursorBelowTheSegmentCountIsValid() {
        ks.set(b("k"), b("v"));
        for (long c = 0; c < ks.config().segments(); c++) {
            ScanPage page = ks.scan(c, null, 1);
            assertThat(page.nextCursor()).isBetween(0L, (long) ks.config().segments() - 1);
        }
    }

    /**
     * Keys present for the whole scan are all returned while another thread inserts and deletes
     * other keys; each is returned exactly once.
     */
    @Test
    void stableKeysAreReturnedWhileAnotherThreadWrites() throws Exception {
        Set<Bytes> stable = new HashSet<>();
        for (int i = 0; i < 5000; i++) {
            ks.set(b("stable:" + i), b("v"));
            stable.add(b("stable:" + i));
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger writes = new AtomicInteger();
        Thread writer = new Thread(() -> {
            SplittableRandom random = new SplittableRandom(7);
            while (!stop.get() && writes.get() < 200_000) { // bounded: the replay check after the test replays it all
                Bytes key = b("churn:" + random.nextInt(2000));
                if (random.nextBoolean()) {
                    ks.set(key, b("x"));
                } else {
                    ks.del(List.of(key));
                }
                writes.incrementAndGet();
            }
        });
        writer.start();
        try {
            while (writes.get() == 0) {
                Thread.onSpinWait(); // the writer is running before the first page
            }
            int before = writes.get();
            for (int round = 0; round < 10; round++) {
                List<Bytes> all = new ArrayList<>();
                long cursor = 0;
                do {
                    ScanPage page = ks.scan(cursor, null, 50);
                    all.addAll(page.keys());
                    cursor = page.nextCursor();
                    Thread.yield();
                } while (cursor != 0);
                List<Bytes> seenStable = all.stream().filter(stable::contains).toList();
                assertThat(seenStable).hasSize(stable.size());
                assertThat(new HashSet<>(seenStable)).isEqualTo(stable);
                assertThat(new HashSet<>(all)).hasSize(all.size());
            }
            assertThat(writes.get()).isGreaterThan(before);
        } finally {
            stop.set(true);
            writer.join();
        }
    }
}
