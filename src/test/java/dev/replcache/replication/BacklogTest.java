package dev.replcache.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BacklogTest {

    private static byte[] seq(int from, int len) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = (byte) (from + i);
        }
        return b;
    }

    @Test
    void offsetGrowsWithNoReaderAndStartsWhereTheHistoryIs() {
        Backlog b = new Backlog(16, 1000);
        assertThat(b.firstOffset()).isEqualTo(1000);
        assertThat(b.masterOffset()).isEqualTo(1000);
        b.append(seq(0, 5), 0);
        assertThat(b.masterOffset()).isEqualTo(1005);
        assertThat(b.firstOffset()).isEqualTo(1000);
        assertThat(b.read(1000, 100)).containsExactly(seq(0, 5));
        assertThat(b.read(1005, 100)).isEmpty();
    }

    @Test
    void wrapKeepsTheLastCapacityBytesReadableAcrossTheSeam() {
        Backlog b = new Backlog(10, 0);
        b.append(seq(0, 7), 0);   // [0,7)
        b.append(seq(7, 7), 0);   // [0,14): wraps, first = 4
        assertThat(b.firstOffset()).isEqualTo(4);
        assertThat(b.masterOffset()).isEqualTo(14);
        assertThat(b.sizeBytes()).isEqualTo(10);
        // the oldest byte still held, read across the ring's end
        assertThat(b.read(4, 100)).containsExactly(seq(4, 10));
        // the newest byte
        assertThat(b.read(13, 100)).containsExactly(seq(13, 1));
        // one past the newest: a caught-up replica
        assertThat(b.holds(14)).isTrue();
        assertThat(b.read(14, 100)).isEmpty();
        // one before the oldest: gone
        assertThat(b.holds(3)).isFalse();
        assertThatThrownBy(() -> b.read(3, 1)).isInstanceOf(IllegalArgumentException.class);
        // one past the newest: never produced
        assertThat(b.holds(15)).isFalse();
    }

    @Test
    void anAppendLargerThanTheRingKeepsItsTail() {
        Backlog b = new Backlog(8, 0);
        b.append(seq(0, 3), 0);
        b.append(seq(3, 20), 0);
        assertThat(b.masterOffset()).isEqualTo(23);
        assertThat(b.firstOffset()).isEqualTo(15);
        assertThat(b.read(15, 100)).containsExactly(seq(15, 8));
    }

    @Test
    void readsMatchAModelForRandomAppendsAndReads() {
        SplittableRandom random = new SplittableRandom(42);
        for (int round = 0; round < 200; round++) {
            int capacity = 1 + random.nextInt(64);
            long start = random.nextInt(1000);
            Backlog b = new Backlog(capacity, start);
            byte[] all = new byte[0];
            for (int i = 0; i < 30; i++) {
                byte[] chunk = new byte[random.nextInt(capacity * 2 + 1)];
                random.nextBytes(chunk);
                b.append(chunk, i);
                int old = all.length;
                all = Arrays.copyOf(all, old + chunk.length);
                System.arraycopy(chunk, 0, all, old, chunk.length);
                long first = Math.max(start, start + all.length - capacity);
                assertThat(b.firstOffset()).isEqualTo(first);
                assertThat(b.masterOffset()).isEqualTo(start + all.length);
                long from = first + random.nextInt((int) (b.masterOffset() - first) + 1);
                int max = random.nextInt(capacity + 1);
                byte[] got = b.read(from, max);
                int expectedLen = (int) Math.min(max, b.masterOffset() - from);
                int idx = (int) (from - start);
                assertThat(got).containsExactly(Arrays.copyOfRange(all, idx, idx + expectedLen));
            }
        }
    }

    @Test
    void coverageTellsHowFarBackTheRingReaches() {
        Backlog b = new Backlog(100, 0);
        b.append(seq(0, 40), 10_000);
        b.append(seq(0, 40), 11_000);
        b.append(seq(0, 40), 12_000); // 120 bytes: the first mark's bytes fell out partly
        assertThat(b.coverageMs(12_500)).isEqualTo(1_500); // oldest whole second still held: the 11_000 mark
        Backlog empty = new Backlog(100, 0);
        assertThat(empty.coverageMs(5_000)).isZero();
    }

    @Test
    void aPinKeepsTheStreamFromASnapshotOffsetUpToTheLimitThenLetsGo() {
        Backlog b = new Backlog(10, 0);
        b.append(seq(0, 8), 0);
        b.pin(5, 20); // a full sync needs [5, ...): the ring may grow to 30 bytes
        b.append(seq(8, 17), 0); // 25 bytes total: without the pin, [15, 25) only
        assertThat(b.firstOffset()).isEqualTo(5);
        assertThat(b.capacityBytes()).isEqualTo(20);
        assertThat(b.holds(5)).isTrue();
        assertThat(b.read(5, 100)).containsExactly(seq(5, 20));
        b.append(seq(25, 11), 0); // 36 bytes: the stream from 5 needs 31 > 30: the pin is released
        assertThat(b.pinnedOffset()).isEqualTo(-1);
        assertThat(b.holds(5)).isFalse();
        assertThat(b.read(b.firstOffset(), 100)).containsExactly(seq((int) b.firstOffset(), (int) (36 - b.firstOffset())));
    }

    @Test
    void unpinShrinksBackToTheConfiguredSizeKeepingTheNewestBytes() {
        Backlog b = new Backlog(10, 100);
        b.pin(100, 1000);
        b.append(seq(0, 50), 0);
        assertThat(b.sizeBytes()).isEqualTo(50);
        b.unpin();
        assertThat(b.capacityBytes()).isEqualTo(10);
        assertThat(b.firstOffset()).isEqualTo(140);
        assertThat(b.read(140, 100)).containsExactly(seq(40, 10));
        b.append(seq(50, 3), 0);
        assertThat(b.read(143, 100)).containsExactly(seq(43, 10));
    }

    @Test
    void resetStartsANewHistory() {
        Backlog b = new Backlog(10, 0);
        b.append(seq(0, 10), 0);
        b.reset(500);
        assertThat(b.firstOffset()).isEqualTo(500);
        assertThat(b.masterOffset()).isEqualTo(500);
        assertThat(b.holds(499)).isFalse();
        b.append(seq(1, 3), 0);
        assertThat(b.read(500, 10)).containsExactly(seq(1, 3));
    }
}
