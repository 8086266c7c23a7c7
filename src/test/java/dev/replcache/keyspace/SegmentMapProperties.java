package dev.replcache.keyspace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.replcache.testing.PropertyCheck;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The segment table against a {@link HashMap} model: every operation's answer, through resizes,
 * long chains (one slot: every write copies a chain prefix) and clears; a frozen table stays
 * the segment as it was; and lock-free readers never miss a key that is present throughout.
 */
class SegmentMapProperties {

    /** One try: initial slots, low hash bits to skip, how many distinct keys, how many operations, a seed. */
    record Case(int capacity, int hashShift, int keySpace, int operations, long seed) {
    }

    private static Bytes key(int i) {
        return Bytes.utf8("k" + i);
    }

    private static Entry entry(int value) {
        return new Entry(StringValue.of(Bytes.utf8("v" + value)), Entry.NO_EXPIRY, 0);
    }

    private static Map<Bytes, Entry> contentsOf(Entry[] table) {
        Map<Bytes, Entry> contents = new HashMap<>();
        for (Map.Entry<Bytes, Entry> e : SegmentMap.entriesOf(table, 0)) {
            assertThat(contents.put(e.getKey(), e.getValue())).as("a key twice in one table").isNull();
        }
        return contents;
    }

    @Test
    void answersAsAHashMapDoesAndFrozenTablesNeverChange() {
        PropertyCheck.forAll("segmentMapAgainstHashMap", 300,
                gen -> new Case(gen.pick(1, 2, 16, 64), gen.pick(0, 1, 8), gen.intBetween(1, 300), gen.intBetween(0, 3_000), gen.anyLong()),
                SegmentMapProperties::check);
    }

    private static void check(Case c) {
        SplittableRandom random = new SplittableRandom(c.seed());
        SegmentMap map = new SegmentMap(c.capacity(), c.hashShift());
        Map<Bytes, Entry> model = new HashMap<>();
        List<Entry[]> frozen = new ArrayList<>();
        List<Map<Bytes, Entry>> frozenModels = new ArrayList<>();
        for (int op = 0; op < c.operations(); op++) {
            Bytes key = key(random.nextInt(c.keySpace()));
            int kind = random.nextInt(100);
            if (kind < 50) {
                Entry e = entry(op);
                Entry old = map.put(key, e);
                assertThat(old).isEqualTo(model.put(key, e));
            } else if (kind < 80) {
                assertThat(map.remove(key)).isEqualTo(model.remove(key));
            } else if (kind < 97) {
                assertThat(map.get(key)).isEqualTo(model.get(key));
            } else if (kind < 99) {
                frozen.add(map.frozenTable());
                frozenModels.add(new HashMap<>(model));
            } else {
                map.clear();
                model.clear();
            }
            assertThat(map.size()).isEqualTo(model.size());
        }
        assertThat(contentsOf(map.tableForReading())).isEqualTo(model);
        for (int i = 0; i < frozen.size(); i++) {
            assertThat(contentsOf(frozen.get(i))).as("frozen table %d", i).isEqualTo(frozenModels.get(i));
        }
        // A stored entry that is stored again under another key is copied, not relinked. (The
        // model compares by value: a write copies the entries in front of it in its chain.)
        if (!model.isEmpty()) {
            Bytes some = model.keySet().iterator().next();
            Entry stored = map.get(some);
            Bytes other = Bytes.utf8("other");
            map.put(other, stored);
            assertThat(map.get(some)).isEqualTo(model.get(some));
            assertThat(map.get(other)).isEqualTo(stored).isNotSameAs(stored);
        }
    }

    /**
     * One writer grows, overwrites and shrinks the table while readers look up keys that are
     * present the whole time: a lookup never misses one and never sees a value it did not hold.
     * Bounded: a fixed number of writer rounds (a reader failure ends them early).
     */
    @Test
    void readersNeverMissAKeyPresentThroughoutWhileTheWriterResizes() throws InterruptedException {
        SegmentMap map = new SegmentMap(1, 8);
        int stable = 200;
        for (int i = 0; i < stable; i++) {
            map.put(key(i), entry(i));
        }
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> readers = new ArrayList<>();
        AtomicBoolean done = new AtomicBoolean();
        for (int r = 0; r < 2; r++) {
            int seed = r;
            Thread reader = new Thread(() -> {
                SplittableRandom random = new SplittableRandom(seed);
                try {
                    while (!done.get()) {
                        int i = random.nextInt(stable);
                        Entry e = map.get(key(i));
                        assertThat(e).as("stable key %d", i).isNotNull();
                        assertThat(e.value()).isIn(StringValue.of(Bytes.utf8("v" + i)), StringValue.of(Bytes.utf8("w" + i)));
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            });
            reader.start();
            readers.add(reader);
        }
        try {
            for (int round = 0; round < 200 && failure.get() == null; round++) {
                // New churn keys each round: the table keeps growing (about 18 doublings in all)
                // and chains change around the stable keys; half of them go again.
                for (int i = 0; i < 2_000; i++) {
                    map.put(Bytes.utf8("churn" + round + ":" + i), entry(i));
                }
                for (int i = 0; i < stable; i += 7) {
                    map.put(key(i), new Entry(StringValue.of(Bytes.utf8((round % 2 == 0 ? "w" : "v") + i)), Entry.NO_EXPIRY, 0));
                }
                for (int i = 0; i < 2_000; i += 2) {
                    assertThat(map.remove(Bytes.utf8("churn" + round + ":" + i))).isNotNull();
                }
            }
        } finally {
            done.set(true);
            for (Thread reader : readers) {
                reader.join(10_000);
            }
        }
        if (failure.get() != null) {
            throw new AssertionError("a reader saw a wrong answer", failure.get());
        }
        for (int i = 0; i < stable; i++) {
            assertThat(map.get(key(i))).isNotNull();
        }
        assertThat(map.size()).isEqualTo(stable + 200 * 1_000);
    }
}
