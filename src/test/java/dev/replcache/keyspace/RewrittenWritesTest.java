package dev.replcache.keyspace;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The writes the RESP server added, each travelling as existing entry types: GETEX, MSETNX,
 * INCRBYFLOAT, SETRANGE, RENAME. The base class replays every test's log on a replica, so each
 * test also proves its entries rebuild the same dataset.
 */
class RewrittenWritesTest extends KeyspaceTestBase {

    private static Bytes b(String s) {
        return Bytes.utf8(s);
    }

    @Test
    void getExSetsOrClearsTheTtlAndLogsThatOnly() {
        ks.set(b("k"), b("v"));
        log.drain();
        assertThat(ks.getEx(b("k"), Ttl.inMillis(5_000), false)).isEqualTo(b("v"));
        assertThat(ks.pttl(b("k"))).isEqualTo(5_000);
        assertThat(log.drain()).containsExactly(new CommandEntry.PExpireAt(b("k"), now() + 5_000));
        assertThat(ks.getEx(b("k"), Ttl.NONE, true)).isEqualTo(b("v"));
        assertThat(ks.pttl(b("k"))).isEqualTo(-1);
        assertThat(log.drain()).containsExactly(new CommandEntry.Persist(b("k")));
        assertThat(ks.getEx(b("k"), Ttl.NONE, false)).isEqualTo(b("v"));
        assertThat(log.drain()).isEmpty();
        assertThat(ks.getEx(b("k"), Ttl.atMillis(now() - 1), false)).isEqualTo(b("v")); // a time past deletes
        assertThat(ks.exists(List.of(b("k")))).isZero();
        assertThat(log.drain()).containsExactly(CommandEntry.Del.of(b("k")));
        assertThat(ks.getEx(b("missing"), Ttl.inMillis(10), false)).isNull();
        ks.hset(b("h"), Map.of(b("f"), b("v")));
        assertKeyspaceError(KeyspaceException.Kind.WRONGTYPE, () -> ks.getEx(b("h"), Ttl.NONE, true));
    }

    @Test
    void msetNxSetsAllOrNothing() {
        ks.set(b("a"), b("1"));
        Map<Bytes, Bytes> pairs = new LinkedHashMap<>();
        pairs.put(b("a"), b("x"));
        pairs.put(b("b"), b("y"));
        log.drain();
        assertThat(ks.msetNx(pairs)).isFalse();
        assertThat(log.drain()).isEmpty();
        assertThat(ks.get(b("b"))).isNull();
        pairs.remove(b("a"));
        pairs.put(b("c"), b("z"));
        assertThat(ks.msetNx(pairs)).isTrue();
        assertThat(ks.mget(List.of(b("b"), b("c")))).containsExactly(b("y"), b("z"));
    }

    @Test
    void incrByFloatFormatsAsRedisAndKeepsTheTtl() {
        ks.set(b("f"), b("10.5"), SetCondition.ALWAYS, Ttl.inMillis(60_000), false);
        assertThat(ks.incrByFloat(b("f"), new BigDecimal("0.1"))).isEqualTo(b("10.6"));
        assertThat(ks.pttl(b("f"))).isEqualTo(60_000);
        assertThat(ks.incrByFloat(b("f"), new BigDecimal("-10.6"))).isEqualTo(b("0"));
        assertThat(ks.incrByFloat(b("e"), new BigDecimal("5.0e3"))).isEqualTo(b("5000"));
        assertThat(ks.incrByFloat(b("e"), new BigDecimal("1e-5"))).isEqualTo(b("5000.00001"));
        ks.set(b("text"), b("abc"));
        assertKeyspaceError(KeyspaceException.Kind.SYNTAX, () -> ks.incrByFloat(b("text"), BigDecimal.ONE))
                .hasMessage("ERR value is not a valid float");
        assertKeyspaceError(KeyspaceException.Kind.SYNTAX, () -> Keyspace.parseFloat(b(" 1")))
                .hasMessage("ERR value is not a valid float");
        assertKeyspaceError(KeyspaceException.Kind.SYNTAX, () -> ks.incrByFloat(b("e"), new BigDecimal("1e400")))
                .hasMessage("ERR increment would produce NaN or Infinity");
    }

    @Test
    void setRangeOverwritesPadsAndIsBounded() {
        ks.set(b("s"), b("Hello World"), SetCondition.ALWAYS, Ttl.inMillis(1_000), false);
        assertThat(ks.setRange(b("s"), 6, b("Redis"), 100)).isEqualTo(11);
        assertThat(ks.get(b("s"))).isEqualTo(b("Hello Redis"));
        assertThat(ks.pttl(b("s"))).isEqualTo(1_000);
        assertThat(ks.setRange(b("p"), 2, b("x"), 100)).isEqualTo(3);
        assertThat(ks.get(b("p"))).isEqualTo(Bytes.of(new byte[] {0, 0, 'x'}));
        log.drain();
        assertThat(ks.setRange(b("none"), 5, Bytes.EMPTY, 100)).isZero();
        assertThat(log.drain()).isEmpty();
        assertKeyspaceError(KeyspaceException.Kind.STRING_TOO_LONG, () -> ks.setRange(b("s"), 98, b("abc"), 100));
        assertKeyspaceError(KeyspaceException.Kind.SYNTAX, () -> ks.setRange(b("s"), -1, b("a"), 100))
                .hasMessage("ERR offset is out of range");
    }

    @Test
    void renameMovesValueAndTtlOfStringsAndHashes() {
        ks.set(b("s"), b("v"), SetCondition.ALWAYS, Ttl.inMillis(9_000), false);
        ks.set(b("target"), b("old"));
        assertThat(ks.rename(b("s"), b("target"), false)).isTrue();
        assertThat(ks.get(b("target"))).isEqualTo(b("v"));
        assertThat(ks.pttl(b("target"))).isEqualTo(9_000);
        assertThat(ks.get(b("s"))).isNull();

        ks.hset(b("h"), Map.of(b("f"), b("1")));
        ks.pexpire(b("h"), 7_000);
        ks.hset(b("h2"), Map.of(b("other"), b("x"))); // overwritten whole, not merged
        assertThat(ks.rename(b("h"), b("h2"), false)).isTrue();
        assertThat(ks.hgetAll(b("h2"))).isEqualTo(Map.of(b("f"), b("1")));
        assertThat(ks.pttl(b("h2"))).isEqualTo(7_000);

        assertThat(ks.rename(b("h2"), b("target"), true)).isFalse();
        assertThat(ks.rename(b("target"), b("target"), false)).isTrue();
        assertThat(ks.rename(b("target"), b("target"), true)).isFalse();
        assertKeyspaceError(KeyspaceException.Kind.SYNTAX, () -> ks.rename(b("missing"), b("x"), false))
                .hasMessage("ERR no such key");
    }

    @Test
    void expireConditionsAreCheckedBeforeAPastTimeDeletes() {
        Keyspace.ExpireCondition nx = new Keyspace.ExpireCondition(true, false, false, false);
        Keyspace.ExpireCondition gt = new Keyspace.ExpireCondition(false, false, true, false);
        Keyspace.ExpireCondition lt = new Keyspace.ExpireCondition(false, false, false, true);
        ks.set(b("k"), b("v"));
        assertThat(ks.expire(b("k"), 10, 1000, true, gt, "expire")).isFalse(); // no TTL = infinite
        assertThat(ks.expire(b("k"), 10, 1000, true, nx, "expire")).isTrue();
        assertThat(ks.pttl(b("k"))).isEqualTo(10_000);
        assertThat(ks.expire(b("k"), 20, 1000, true, nx, "expire")).isFalse();
        assertThat(ks.expire(b("k"), now() + 5_000, 1, false, lt, "pexpireat")).isTrue();
        assertThat(ks.pttl(b("k"))).isEqualTo(5_000);
        log.drain();
        assertThat(ks.expire(b("k"), -1, 1000, true, gt, "expire")).isFalse(); // GT fails: the key stays
        assertThat(ks.get(b("k"))).isEqualTo(b("v"));
        assertThat(log.drain()).isEmpty();
        assertThat(ks.expire(b("k"), -1, 1000, true, lt, "expire")).isTrue(); // LT holds: a past time deletes
        assertThat(ks.get(b("k"))).isNull();
        assertThat(log.drain()).containsExactly(CommandEntry.Del.of(b("k")));
        ks.set(b("k"), b("v"));
        assertKeyspaceError(KeyspaceException.Kind.INVALID_EXPIRE,
                () -> ks.expire(b("k"), Long.MAX_VALUE / 10, 1000, true, Keyspace.ExpireCondition.ALWAYS, "expire"))
                .hasMessage("ERR invalid expire time in 'expire' command");
    }

    @Test
    void theNewWritesAreRefusedOnAReplicaAndWhilePaused() {
        ks.set(b("k"), b("1"));
        ks.pauseWrites();
        assertKeyspaceError(KeyspaceException.Kind.PAUSED, () -> ks.rename(b("k"), b("j"), false));
        assertKeyspaceError(KeyspaceException.Kind.PAUSED, () -> ks.incrByFloat(b("k"), BigDecimal.ONE));
        assertKeyspaceError(KeyspaceException.Kind.PAUSED, () -> ks.setRange(b("k"), 0, b("x"), 10));
        assertKeyspaceError(KeyspaceException.Kind.PAUSED, () -> ks.getEx(b("k"), Ttl.NONE, true));
        assertKeyspaceError(KeyspaceException.Kind.PAUSED, () -> ks.msetNx(Map.of(b("z"), b("1"))));
        ks.resumeWrites();
        assertThat(ks.get(b("k"))).isEqualTo(b("1"));
    }
}
