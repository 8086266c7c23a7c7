package dev.replcache.keyspace;

import static dev.replcache.keyspace.TestKeys.b;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fork-less point-in-time snapshots (docs/architecture.md, "Snapshots without fork"): the walk yields exactly the dataset
 * at the cut while writers keep going, which is invariant 2 of section 5 from the snapshot side.
 */
class KeyspaceSnapshotTest {

    private static final int PRELOADED_KEYS = 50_000;
    private static final int WRITERS = 3;

    private final ManualClock clock = new ManualClock();
    private final RecordingWriteLog log = new RecordingWriteLog();

    private static Bytes key(int i) {
        return Bytes.utf8("key:" + i);
    }

    private static Keyspace replay(List<CommandEntry> entries) {
        Keyspace replica = new Keyspace(KeyspaceConfig.DEFAULTS, new ManualClock(0), new SplittableRandom(1), WriteLog.DISCARD);
        replica.setRole(KeyspaceRole.REPLICA);
        entries.forEach(replica::apply);
        return replica;
    }

    /** The walked dataset, failing if a key comes out twice. */
    private static TreeMap<Bytes, Entry> collect(List<Map.Entry<Bytes, Entry>> segment, TreeMap<Bytes, Entry> into) {
        for (Map.Entry<Bytes, Entry> e : segment) {
            assertThat(into.put(e.getKey(), e.getValue())).as("key %s walked twice", e.getKey()).isNull();
        }
        return into;
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void theWalkYieldsExactlyTheStateAtTheCutWhileWritersRun() throws Exception {
        Keyspace ks = new Keyspace(KeyspaceConfig.DEFAULTS, clock, new SplittableRandom(1), log);
        for (int i = 0; i < PRELOADED_KEYS; i++) {
            if (i % 5 == 0) {
                ks.hset(key(i), Map.of(b("a"), b("1"), b("b"), b("2"), b("c"), b("3")));
            } else if (i % 7 == 0) {
                ks.set(key(i), b("value-" + i), SetCondition.ALWAYS, Ttl.inMillis(1 + i % 50), false);
            } else {
                ks.set(key(i), b("value-" + i));
            }
        }
        clock.advance(20); // some TTLs have passed: the snapshot must carry those keys as they are

        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            SplittableRandom random = new SplittableRandom(100 + w);
            Thread t = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        write(ks, random);
                        if (random.nextInt(200) == 0) {
                            clock.advance(1); // TTLs keep passing, so writers also expire keys lazily
                        }
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            }, "writer-" + w);
            writers.add(t);
            t.start();
        }

        long offset;
        int preserved;
        int entriesAtWalkEnd;
        TreeMap<Bytes, Entry> walked = new TreeMap<>();
        try {
            awaitLogGrowth(PRELOADED_KEYS);
            try (KeyspaceSnapshot snapshot = ks.openSnapshot(log::size)) {
                offset = snapshot.offset();
                assertThat(snapshot.segmentCount()).isEqualTo(ks.config().segments());
                for (int segment = 0; ; segment++) {
                    List<Map.Entry<Bytes, Entry>> entries = snapshot.nextSegment();
                    if (entries == null) {
                        break;
                    }
                    collect(entries, walked);
                    if (segment % 8 == 0) {
                        awaitLogGrowth(log.size()); // let writers in between the segments of the walk
                    }
                }
                assertThat(snapshot.nextSegment()).isNull();
                preserved = snapshot.preservedSegments();
                entriesAtWalkEnd = log.size();
            }
        } finally {
            stop.set(true);
            for (Thread t : writers) {
                t.join();
            }
        }
        assertThat(failure.get()).isNull();

        List<CommandEntry> entries = log.entries();
        assertThat(entriesAtWalkEnd).as("entries logged by writers during the walk").isGreaterThan((int) offset);
        assertThat(preserved).as("segments copied before a write changed them").isPositive();
        assertThat(offset).isGreaterThan(PRELOADED_KEYS);

        Map<Bytes, Entry> atCut = replay(entries.subList(0, (int) offset)).contents();
        assertThat(walked.size()).isEqualTo(atCut.size());
        assertThat(walked).isEqualTo(atCut);
        // And the stream from the cut brings a snapshot's loader to the master's current state.
        Keyspace loaded = replay(List.of());
        walked.forEach((k, e) -> loaded.apply(e.value() instanceof StringValue s
                ? new CommandEntry.Set(k, s.bytes(), e.expireAtMs())
                : hashAsEntry(k, e)));
        for (CommandEntry e : entries.subList((int) offset, entries.size())) {
            loaded.apply(e);
        }
        assertThat(loaded.contents()).isEqualTo(ks.contents());
    }

    /** A snapshot's hash key as the writes that rebuild it (HSET then its expiry). */
    private static CommandEntry hashAsEntry(Bytes key, Entry e) {
        assertThat(e.hasExpiry()).as("the writers never give hashes a TTL").isFalse();
        return new CommandEntry.HSet(key, ((HashValue) e.value()).fields());
    }

    private static void write(Keyspace ks, SplittableRandom random) {
        Bytes k = key(random.nextInt(PRELOADED_KEYS + 10_000));
        try {
            switch (random.nextInt(10)) {
                case 0, 1, 2 -> ks.set(k, b("w" + random.nextInt(1000)));
                case 3 -> ks.set(k, b("t"), SetCondition.ALWAYS, Ttl.inMillis(1 + random.nextInt(20)), false);
                case 4, 5 -> ks.del(List.of(k));
                case 6, 7 -> ks.hset(k, Map.of(b("w"), b(Integer.toString(random.nextInt(1000)))));
                case 8 -> ks.get(k); // may expire it lazily
                default -> {
                    if (random.nextInt(50) == 0) {
                        ks.activeExpireCycle();
                    }
                }
            }
        } catch (KeyspaceException wrongType) {
            // HSET on a string key: refused, nothing changed.
        }
    }

    /** Waits (bounded) until the log holds more than {@code size} entries: writers are making progress. */
    private void awaitLogGrowth(int size) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (log.size() <= size) {
            assertThat(System.nanoTime()).as("writers stalled").isLessThan(deadline);
            Thread.yield();
        }
    }

    /**
     * Two snapshots open at once (a replica's full sync and a restart snapshot) each come out
     * exactly as of their own cut; closing one leaves the other intact.
     */
    @Test
    void concurrentSnapshotsEachHoldTheirOwnCut() {
        Keyspace ks = new Keyspace(KeyspaceConfig.DEFAULTS.withSegments(4), clock, new SplittableRandom(1), log);
        ks.set(b("a"), b("1"));
        KeyspaceSnapshot first = ks.openSnapshot(() -> 7);
        assertThat(first.offset()).isEqualTo(7);
        assertThat(first.cutTimeMs()).isEqualTo(clock.millis());
        ks.set(b("a"), b("2"));
        ks.set(b("b"), b("2"));
        try (KeyspaceSnapshot second = ks.openSnapshot(() -> 9)) {
            ks.set(b("a"), b("3"));
            ks.del(List.of(b("b")));
            assertThat(second.offset()).isEqualTo(9);
            assertThat(walk(second)).containsOnly(
                    Map.entry(b("a"), b("2")), Map.entry(b("b"), b("2")));
        }
        assertThat(walk(first)).containsOnly(Map.entry(b("a"), b("1")));
        first.close();
        assertThatThrownBy(first::nextSegment).isInstanceOf(IllegalStateException.class);
    }

    private static Map<Bytes, Bytes> walk(KeyspaceSnapshot snapshot) {
        Map<Bytes, Bytes> out = new java.util.HashMap<>();
        for (var segment = snapshot.nextSegment(); segment != null; segment = snapshot.nextSegment()) {
            for (var e : segment) {
                out.put(e.getKey(), ((StringValue) e.getValue().value()).bytes());
            }
        }
        return out;
    }

    @Test
    void aWriteCopiesAnUnwalkedSegmentOnceAndAWalkedOneNever() {
        KeyspaceConfig config = KeyspaceConfig.DEFAULTS.withSegments(4);
        Keyspace ks = new Keyspace(config, clock, new SplittableRandom(1), log);
        Bytes inFirst = keyInSegment(0, 4);
        Bytes inLast = keyInSegment(3, 4);
        ks.set(inFirst, b("old"));
        ks.set(inLast, b("old"));
        ks.set(b("expired"), b("v"), SetCondition.ALWAYS, Ttl.inMillis(1), false);
        clock.advance(2);
        Bytes expiredKey = b("expired");

        try (KeyspaceSnapshot snapshot = ks.openSnapshot(log::size)) {
            assertThat(snapshot.offset()).isEqualTo(3);
            TreeMap<Bytes, Entry> walked = collect(snapshot.nextSegment(), new TreeMap<>()); // segment 0
            assertThat(walked).containsKey(inFirst);
            assertThat(snapshot.preservedSegments()).isZero();

            ks.set(inFirst, b("new")); // segment 0 was walked: no copy
            assertThat(snapshot.preservedSegments()).isZero();
            ks.set(inLast, b("new")); // segment 3 was not: copied once
            ks.set(inLast, b("newer"));
            ks.del(List.of(inLast));
            assertThat(snapshot.preservedSegments()).isEqualTo(1);

            for (List<Map.Entry<Bytes, Entry>> s = snapshot.nextSegment(); s != null; s = snapshot.nextSegment()) {
                collect(s, walked);
            }
            assertThat(walked.get(inFirst).value()).isEqualTo(StringValue.of(b("old")));
            assertThat(walked.get(inLast).value()).isEqualTo(StringValue.of(b("old")));
            // A key whose TTL passed but that nobody removed is part of the dataset.
            assertThat(walked).containsKey(expiredKey);
            assertThat(walked).hasSize(3);

            // Every segment walked: writes stop copying even before close.
            ks.set(keyInSegment(2, 4), b("x"));
            assertThat(snapshot.preservedSegments()).isEqualTo(1);
        }
    }

    @Test
    void afterCloseWritesNoLongerCopy() {
        Keyspace ks = new Keyspace(KeyspaceConfig.DEFAULTS.withSegments(16), clock, new SplittableRandom(1), log);
        for (int i = 0; i < 1000; i++) {
            ks.set(key(i), b("v"));
        }
        KeyspaceSnapshot snapshot = ks.openSnapshot(log::size);
        ks.set(key(0), b("changed"));
        assertThat(snapshot.preservedSegments()).isEqualTo(1);
        snapshot.close();
        for (int i = 0; i < 1000; i++) {
            ks.set(key(i), b("after close"));
        }
        ks.flushAll();
        assertThat(snapshot.preservedSegments()).isEqualTo(1);
        assertThatThrownBy(snapshot::nextSegment).isInstanceOf(IllegalStateException.class);
        snapshot.close(); // idempotent
    }

    @Test
    void flushAllDuringAWalkPreservesEverySegmentStillToCome() {
        Keyspace ks = new Keyspace(KeyspaceConfig.DEFAULTS.withSegments(8), clock, new SplittableRandom(1), log);
        for (int i = 0; i < 500; i++) {
            ks.set(key(i), b("v"));
        }
        Map<Bytes, Entry> before = ks.contents();
        try (KeyspaceSnapshot snapshot = ks.openSnapshot(log::size)) {
            TreeMap<Bytes, Entry> walked = collect(snapshot.nextSegment(), new TreeMap<>());
            ks.flushAll();
            ks.set(key(1), b("after"));
            assertThat(snapshot.preservedSegments()).isEqualTo(7);
            for (List<Map.Entry<Bytes, Entry>> s = snapshot.nextSegment(); s != null; s = snapshot.nextSegment()) {
                collect(s, walked);
            }
            assertThat(walked).isEqualTo(before);
        }
    }

    /** A key that lands in {@code segment} of a keyspace with {@code segments} segments. */
    private static Bytes keyInSegment(int segment, int segments) {
        for (int i = 0; ; i++) {
            Bytes k = b("probe:" + i);
            if ((k.hashCode() & (segments - 1)) == segment) {
                return k;
            }
        }
    }
}
