package dev.replcache.ops;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The history's fixed rings keep the newest samples, oldest first. */
class ReplicationHistoryRingTest {

    @Test
    void aFullRingOverwritesItsOldestSamples() {
        ReplicationHistory.Ring ring = new ReplicationHistory.Ring(3, 2);
        assertThat(ring.series("a", "b").t()).isEmpty();
        assertThat(ring.lastTime()).isEqualTo(Long.MIN_VALUE);
        for (int i = 1; i <= 5; i++) {
            ring.add(i * 1000L, i, -i);
        }
        ReplicationHistory.Series s = ring.series("a", "b");
        assertThat(s.t()).containsExactly(3000, 4000, 5000);
        assertThat(s.values().get("a")).containsExactly(3, 4, 5);
        assertThat(s.values().get("b")).containsExactly(-3, -4, -5);
        assertThat(ring.lastTime()).isEqualTo(5000);
    }

    @Test
    void aRingNotYetFullKeepsEverySample() {
        ReplicationHistory.Ring ring = new ReplicationHistory.Ring(4, 1);
        ring.add(10, 7);
        ring.add(20, 8);
        assertThat(ring.series("v").t()).containsExactly(10, 20);
        assertThat(ring.series("v").values().get("v")).containsExactly(7, 8);
    }
}
