package dev.replcache.keyspace;

import static dev.replcache.keyspace.TestKeys.b;
import static dev.replcache.keyspace.TestKeys.bs;
import static dev.replcache.keyspace.TestKeys.delEntry;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** HSET, HGET, HDEL, HGETALL and HINCRBY. */
class HashCommandsTest extends KeyspaceTestBase {

    @Test
    void hsetCountsNewFieldsAndLogsTheFieldsItWasGiven() {
        assertThat(ks.hset(b("h"), Map.of(b("a"), b("1"), b("b"), b("2")))).isEqualTo(2);
        assertThat(ks.hset(b("h"), Map.of(b("b"), b("20"), b("c"), b("3")))).isEqualTo(1);
        assertThat(ks.hgetAll(b("h"))).isEqualTo(Map.of(b("a"), b("1"), b("b"), b("20"), b("c"), b("3")));
        assertThat(log.drain()).containsExactly(
                new CommandEntry.HSet(b("h"), Map.of(b("a"), b("1"), b("b"), b("2"))),
                new CommandEntry.HSet(b("h"), Map.of(b("b"), b("20"), b("c"), b("3"))));
    }

    @Test
    void hsetWithNoFieldsIsASyntaxError() {
        assertKeyspaceError(KeyspaceException.Kind.SYNTAX, () -> ks.hset(b("h"), Map.of()));
        assertThat(ks.contents()).isEmpty();
        assertThat(log.entries()).isEmpty();
    }

    @Test
    void hsetOnAStringIsWrongTypeAndChangesNothing() {
        ks.set(b("s"), b("v"));
        log.drain();
        assertKeyspaceError(KeyspaceException.Kind.WRONGTYPE, () -> ks.hset(b("s"), Map.of(b("f"), b("v"))));
        assertThat(ks.get(b("s"))).isEqualTo(b("v"));
        assertThat(log.entries()).isEmpty();
    }

    @Test
    void hsetKeepsTheKeysTtl() {
        ks.hset(b("h"), Map.of(b("a"), b("1")));
        ks.pexpire(b("h"), 1000);
        long at = ks.pexpireTime(b("h"));
        ks.hset(b("h"), Map.of(b("b"), b("2")));
        assertThat(ks.pexpireTime(b("h"))).isEqualTo(at);
        clock.advance(1001);
        assertThat(ks.hgetAll(b("h"))).isEmpty();
    }

    @Test
    void hgetAndHgetAll() {
        ks.hset(b("h"), Map.of(b("f"), b("v"), b(""), Bytes.EMPTY));
        assertThat(ks.hget(b("h"), b("f"))).isEqualTo(b("v"));
        assertThat(ks.hget(b("h"), b(""))).isEqualTo(Bytes.EMPTY);
        assertThat(ks.hget(b("h"), b("nope"))).isNull();
        assertThat(ks.hget(b("missing"), b("f"))).isNull();
        assertThat(ks.hgetAll(b("missing"))).isEmpty();
        assertThat(ks.hgetAll(b("h"))).hasSize(2);
    }

    @Test
    void hashReadsOnAStringAreWrongType() {
        ks.set(b("s"), b("v"));
        assertKeyspaceError(KeyspaceException.Kind.WRONGTYPE, () -> ks.hget(b("s"), b("f")));
        assertKeyspaceError(KeyspaceException.Kind.WRONGTYPE, () -> ks.hgetAll(b("s")));
        assertKeyspaceError(KeyspaceException.Kind.WRONGTYPE, () -> ks.hdel(b("s"), bs("f")));
    }

    @Test
    void hdelCountsDistinctRemovedFieldsAndLogsOnlyThose() {
        ks.hset(b("h"), Map.of(b("a"), b("1"), b("b"), b("2"), b("c"), b("3")));
        log.drain();
        assertThat(ks.hdel(b("h"), bs("b", "x", "a", "b"))).isEqualTo(2);
        assertThat(ks.hgetAll(b("h"))).isEqualTo(Map.of(b("c"), b("3")));
        assertThat(log.drain()).containsExactly(new CommandEntry.HDel(b("h"), bs("b", "a")));
    }

    @Test
    void hdelOfNothingLogsNothing() {
        ks.hset(b("h"), Map.of(b("a"), b("1")));
        log.drain();
        assertThat(ks.hdel(b("h"), bs("x", "y"))).isZero();
        assertThat(ks.hdel(b("missing"), bs("a"))).isZero();
        assertThat(log.entries()).isEmpty();
    }

    @Test
    void deletingTheLastFieldRemovesTheKey() {
        ks.hset(b("h"), Map.of(b("a"), b("1"), b("b"), b("2")));
        ks.pexpire(b("h"), 10_000);
        log.drain();
        assertThat(ks.hdel(b("h"), bs("a", "b"))).isEqualTo(2);
        assertThat(ks.exists(bs("h"))).isZero();
        assertThat(ks.type(b("h"))).isNull();
        assertThat(ks.dbSize()).isZero();
        assertThat(ks.stats().expires()).isZero();
        assertThat(ks.usedMemory()).isZero();
        // One HDEL, no extra DEL: the replica removes the key with its last field too.
        assertThat(log.drain()).containsExactly(new CommandEntry.HDel(b("h"), bs("a", "b")));
    }

    @Test
    void hincrbyCreatesAndAddsAndLogsTheResultAsHset() {
        assertThat(ks.hincrBy(b("h"), b("n"), 5)).isEqualTo(5);
        assertThat(ks.hincrBy(b("h"), b("n"), -7)).isEqualTo(-2);
        assertThat(ks.hget(b("h"), b("n"))).isEqualTo(b("-2"));
        assertThat(log.drain()).containsExactly(
                new CommandEntry.HSet(b("h"), Map.of(b("n"), b("5"))),
                new CommandEntry.HSet(b("h"), Map.of(b("n"), b("-2"))));
    }

    @Test
    void hincrbyKeepsTheTtl() {
        ks.hset(b("h"), Map.of(b("n"), b("1")));
        ks.pexpire(b("h"), 500);
        long at = ks.pexpireTime(b("h"));
        ks.hincrBy(b("h"), b("n"), 1);
        assertThat(ks.pexpireTime(b("h"))).isEqualTo(at);
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", " 1", "+1", "01", "-0", "", "1.0", "100000000000000000000"})
    void hincrbyOnANonIntegerFieldIsRefused(String stored) {
        ks.hset(b("h"), Map.of(b("f"), b(stored)));
        log.drain();
        assertKeyspaceError(KeyspaceException.Kind.HASH_NOT_INTEGER, () -> ks.hincrBy(b("h"), b("f"), 1))
                .hasMessage("ERR hash value is not an integer");
        assertThat(ks.hget(b("h"), b("f"))).isEqualTo(b(stored));
        assertThat(log.entries()).isEmpty();
    }

    @Test
    void hincrbyOverflowIsRefused() {
        ks.hset(b("h"), Map.of(b("f"), b(Long.toString(Long.MAX_VALUE))));
        log.drain();
        assertKeyspaceError(KeyspaceException.Kind.OVERFLOW, () -> ks.hincrBy(b("h"), b("f"), 1));
        assertThat(log.entries()).isEmpty();
    }

    @Test
    void hincrbyOnAStringIsWrongType() {
        ks.set(b("s"), b("1"));
        assertKeyspaceError(KeyspaceException.Kind.WRONGTYPE, () -> ks.hincrBy(b("s"), b("f"), 1));
    }

    @Test
    void anExpiredHashIsReplacedByAFreshOne() {
        ks.hset(b("h"), Map.of(b("old"), b("1")));
        ks.pexpire(b("h"), 10);
        clock.advance(11);
        log.drain();
        assertThat(ks.hset(b("h"), Map.of(b("new"), b("2")))).isEqualTo(1);
        assertThat(ks.hgetAll(b("h"))).isEqualTo(Map.of(b("new"), b("2")));
        assertThat(ks.pttl(b("h"))).isEqualTo(-1);
        assertThat(log.drain()).containsExactly(delEntry("h"), new CommandEntry.HSet(b("h"), Map.of(b("new"), b("2"))));
    }
}
