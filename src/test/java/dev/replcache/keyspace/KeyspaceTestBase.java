package dev.replcache.keyspace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.SplittableRandom;
import org.assertj.core.api.AbstractThrowableAssert;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;

/**
 * A master keyspace with a manual clock and a recording log, one per test. After every test the
 * log is replayed on a fresh replica and must rebuild exactly the same dataset (invariant 2
 * of docs/architecture.md), so every unit test also checks that its writes were logged right.
 */
abstract class KeyspaceTestBase {

    final ManualClock clock = new ManualClock();
    RecordingWriteLog log = new RecordingWriteLog();
    private final RecordingWriteLog fullLog = new RecordingWriteLog();
    Keyspace ks = newKeyspace(KeyspaceConfig.DEFAULTS);

    /** Replaces {@link #ks} with a fresh keyspace of this config (and a fresh log). */
    Keyspace newKeyspace(KeyspaceConfig config) {
        log = new RecordingWriteLog();
        fullLog.drain();
        RecordingWriteLog testLog = log;
        // Tests drain `log` to assert what each step wrote; `fullLog` keeps everything for the replay check.
        ks = new Keyspace(config, clock, new SplittableRandom(42), entry -> {
            testLog.append(entry);
            fullLog.append(entry);
        });
        return ks;
    }

    @AfterEach
    void replayingTheLogRebuildsTheDataset() {
        Keyspace replica = new Keyspace(ks.config(), clock, new SplittableRandom(1), WriteLog.DISCARD);
        replica.setRole(KeyspaceRole.REPLICA);
        for (CommandEntry e : fullLog.entries()) {
            replica.apply(e);
        }
        Map<Bytes, Entry> expected = ks.contents();
        assertThat(replica.contents()).isEqualTo(expected);
        assertThat(replica.usedMemory()).isEqualTo(ks.usedMemory());
        assertThat(ks.usedMemory()).isEqualTo(estimateOf(expected));
    }

    /** What {@code usedMemory} must be for a dataset: the sum of its entries' estimates. */
    static long estimateOf(Map<Bytes, Entry> contents) {
        long sum = 0;
        for (Map.Entry<Bytes, Entry> e : contents.entrySet()) {
            sum += MemoryEstimate.entry(e.getKey(), e.getValue().value(), e.getValue().expireAtMs());
        }
        return sum;
    }

    static AbstractThrowableAssert<?, ? extends Throwable> assertKeyspaceError(
            KeyspaceException.Kind kind, ThrowingCallable call) {
        return assertThatThrownBy(call)
                .isInstanceOf(KeyspaceException.class)
                .satisfies(t -> assertThat(((KeyspaceException) t).kind()).isEqualTo(kind));
    }

    long now() {
        return clock.millis();
    }
}
