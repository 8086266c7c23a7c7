package dev.replcache.keyspace;

import static dev.replcache.keyspace.TestKeys.b;
import static dev.replcache.keyspace.TestKeys.bs;
import static dev.replcache.keyspace.TestKeys.delEntry;
import static dev.replcache.keyspace.TestKeys.setEntry;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** DEL, EXISTS, TYPE, the EXPIRE family, PERSIST, TTL/PTTL, DBSIZE and FLUSHALL. */
class KeyCommandsTest extends KeyspaceTestBase {

    @Nested
    class Del {

        @Test
        void removesManyKeysOfAnyTypeInOneEntry() {
            ks.set(b("a"), b("1"));
            ks.hset(b("h"), Map.of(b("f"), b("v")));
            ks.set(b("c"), b("3"));
            log.drain();
            assertThat(ks.del(bs("a", "missing", "h", "a"))).isEqualTo(2);
            assertThat(ks.exists(bs("a", "h"))).isZero();
            assertThat(ks.get(b("c"))).isEqualTo(b("3"));
            // Only the keys that existed, each once, in the order they were named.
            assertThat(log.drain()).containsExactly(delEntry("a", "h"));
        }

        @Test
        void nothingToRemoveLogsNothing() {
            assertThat(ks.del(bs("x", "y"))).isZero();
            assertThat(ks.del(List.of())).isZero();
            assertThat(log.entries()).isEmpty();
        }

        @Test
        void anExpiredKeyDoesNotCountButItsExpiryIsLogged() {
            ks.set(b("k"), b("v"), SetCondition.ALWAYS, Ttl.inMillis(10), false);
            clock.advance(11);
            log.drain();
            assertThat(ks.del(bs("k"))).isZero();
            assertThat(log.drain()).containsExactly(delEntry("k"));
            assertThat(ks.stats().expiredKeys()).isEqualTo(1);
        }
    }

    @Nested
    class Exists {

        @Test
        void countsADuplicateTwice() {
            ks.set(b("a"), b("1"));
            ks.hset(b("h"), Map.of(b("f"), b("v")));
            log.drain();
            assertThat(ks.exists(bs("a", "a", "h", "missing"))).isEqualTo(3);
            assertThat(ks.exists(List.of())).isZero();
            assertThat(log.entries()).isEmpty();
        }
    }

    @Test
    void typeNamesTheValueType() {
        ks.set(b("s"), b("1"));
        ks.hset(b("h"), Map.of(b("f"), b("v")));
        assertThat(ks.type(b("s"))).isEqualTo(ValueType.STRING);
        assertThat(ks.type(b("h"))).isEqualTo(ValueType.HASH);
        assertThat(ks.type(b("none"))).isNull();
        assertThat(ValueType.HASH.redisName()).isEqualTo("hash");
    }

    @Nested
    class Expire {

        @Test
        void expireSetsAnAbsoluteTimeInSeconds() {
            ks.set(b("k"), b("v"));
            log.drain();
            assertThat(ks.expire(b("k"), 100)).isTrue();
            assertThat(ks.ttl(b("k"))).isEqualTo(100);
            assertThat(log.drain()).containsExactly(new CommandEntry.PExpireAt(b("k"), now() + 100_000));
        }

        @Test
        void pexpireSetsAnAbsoluteTimeInMillis() {
            ks.hset(b("h"), Map.of(b("f"), b("v")));
            log.drain();
            assertThat(ks.pexpire(b("h"), 1234)).isTrue();
            assertThat(ks.pttl(b("h"))).isEqualTo(1234);
            assertThat(ks.stats().expires()).isEqualTo(1);
            assertThat(log.drain()).containsExactly(new CommandEntry.PExpireAt(b("h"), now() + 1234));
        }

        @Test
        void expireAtAndPexpireAtTakeUnixTimes() {
            ks.set(b("a"), b("1"));
            ks.set(b("b"), b("2"));
            log.drain();
            long atSeconds = now() / 1000 + 3600;
            assertThat(ks.expireAt(b("a"), atSeconds)).isTrue();
            assertThat(ks.pexpireAt(b("b"), now() + 42)).isTrue();
            assertThat(ks.pexpireTime(b("a"))).isEqualTo(atSeconds * 1000);
            assertThat(ks.pexpireTime(b("b"))).isEqualTo(now() + 42);
            assertThat(log.drain()).containsExactly(
                    new CommandEntry.PExpireAt(b("a"), atSeconds * 1000),
                    new CommandEntry.PExpireAt(b("b"), now() + 42));
        }

        @Test
        void onAMissingKeyIsFalseAndLogsNothing() {
            assertThat(ks.expire(b("k"), 10)).isFalse();
            assertThat(ks.pexpire(b("k"), 10)).isFalse();
            assertThat(ks.expireAt(b("k"), 1)).isFalse();
            assertThat(ks.pexpireAt(b("k"), now() + 10)).isFalse();
            assertThat(log.entries()).isEmpty();
        }

        @ParameterizedTest
        @ValueSource(longs = {0, -1, -1_000_000})
        void nonPositiveTtlDeletesTheKeyAndLogsDel(long ttl) {
            ks.set(b("a"), b("1"));
            ks.set(b("b"), b("1"));
            log.drain();
            assertThat(ks.expire(b("a"), ttl)).isTrue();
            assertThat(ks.pexpire(b("b"), ttl)).isTrue();
            assertThat(ks.contents()).isEmpty();
            assertThat(log.drain()).containsExactly(delEntry("a"), delEntry("b"));
            // A delete by EXPIRE is not an expiry of the key.
            assertThat(ks.stats().expiredKeys()).isZero();
        }

        @Test
        void anAbsoluteTimeNotInTheFutureDeletesTheKey() {
            ks.set(b("a"), b("1"));
            ks.set(b("b"), b("1"));
            ks.set(b("c"), b("1"));
            log.drain();
            assertThat(ks.pexpireAt(b("a"), now())).isTrue();
            assertThat(ks.expireAt(b("b"), 0)).isTrue();
            assertThat(ks.pexpireAt(b("c"), Long.MIN_VALUE)).isTrue();
            assertThat(ks.contents()).isEmpty();
            assertThat(log.drain()).containsExactly(delEntry("a"), delEntry("b"), delEntry("c"));
        }

        @Test
        void secondsTimesThousandOverflowIsInvalidExpire() {
            ks.set(b("k"), b("v"));
            log.drain();
            long tooBig = Long.MAX_VALUE / 1000 + 1;
            assertKeyspaceError(KeyspaceException.Kind.INVALID_EXPIRE, () -> ks.expire(b("k"), tooBig))
                    .hasMessageContaining("'expire'");
            assertKeyspaceError(KeyspaceException.Kind.INVALID_EXPIRE, () -> ks.expire(b("k"), -tooBig));
            assertKeyspaceError(KeyspaceException.Kind.INVALID_EXPIRE, () -> ks.expireAt(b("k"), tooBig))
                    .hasMessageContaining("'expireat'");
            // Fits in the multiplication, overflows when added to now.
            assertKeyspaceError(KeyspaceException.Kind.INVALID_EXPIRE, () -> ks.expire(b("k"), Long.MAX_VALUE / 1000));
            assertKeyspaceError(KeyspaceException.Kind.INVALID_EXPIRE, () -> ks.pexpire(b("k"), Long.MAX_VALUE))
                    .hasMessageContaining("'pexpire'");
            // The same checks apply to a missing key (the argument is checked first, as Redis does).
            assertKeyspaceError(KeyspaceException.Kind.INVALID_EXPIRE, () -> ks.expire(b("missing"), tooBig));
            assertThat(ks.pttl(b("k"))).isEqualTo(-1);
            assertThat(log.entries()).isEmpty();
        }

        @Test
        void expireReplacesAnEarlierExpiry() {
            ks.set(b("k"), b("v"), SetCondition.ALWAYS, Ttl.inMillis(100), false);
            ks.pexpire(b("k"), 5000);
            clock.advance(200);
            assertThat(ks.get(b("k"))).isEqualTo(b("v"));
            assertThat(ks.pttl(b("k"))).isEqualTo(4800);
        }

        @Test
        void onAnExpiredKeyIsFalseAndLogsTheExpiry() {
            ks.set(b("k"), b("v"), SetCondition.ALWAYS, Ttl.inMillis(10), false);
            clock.advance(11);
            log.drain();
            assertThat(ks.expire(b("k"), 100)).isFalse();
            assertThat(log.drain()).containsExactly(delEntry("k"));
        }
    }

    @Nested
    class Persist {

        @Test
        void removesTheTtl() {
            ks.set(b("k"), b("v"), SetCondition.ALWAYS, Ttl.inMillis(1000), false);
            log.drain();
            assertThat(ks.persist(b("k"))).isTrue();
            assertThat(ks.pttl(b("k"))).isEqualTo(-1);
            assertThat(ks.stats().expires()).isZero();
            assertThat(log.drain()).containsExactly(new CommandEntry.Persist(b("k")));
            clock.advance(10_000);
            assertThat(ks.get(b("k"))).isEqualTo(b("v"));
        }

        @Test
        void withoutTtlOrKeyIsFalseAndLogsNothing() {
            ks.set(b("k"), b("v"));
            log.drain();
            assertThat(ks.persist(b("k"))).isFalse();
            assertThat(ks.persist(b("missing"))).isFalse();
            assertThat(log.entries()).isEmpty();
        }
    }

    @Nested
    class TtlAndPttl {

        @Test
        void missingIsMinusTwoAndNoTtlIsMinusOne() {
            ks.set(b("k"), b("v"));
            assertThat(ks.ttl(b("missing"))).isEqualTo(-2);
            assertThat(ks.pttl(b("missing"))).isEqualTo(-2);
            assertThat(ks.pexpireTime(b("missing"))).isEqualTo(-2);
            assertThat(ks.ttl(b("k"))).isEqualTo(-1);
            assertThat(ks.pttl(b("k"))).isEqualTo(-1);
            assertThat(ks.pexpireTime(b("k"))).isEqualTo(Entry.NO_EXPIRY);
        }

        @ParameterizedTest(name = "{0} ms left -> TTL {1}")
        @CsvSource({"1,0", "499,0", "500,1", "1000,1", "1499,1", "1500,2", "2499,2", "2500,3", "86400000,86400"})
        void ttlRoundsAsRedis(long msLeft, long expectedSeconds) {
            ks.set(b("k"), b("v"), SetCondition.ALWAYS, Ttl.atMillis(now() + msLeft), false);
            assertThat(ks.pttl(b("k"))).isEqualTo(msLeft);
            assertThat(ks.ttl(b("k"))).isEqualTo(expectedSeconds);
        }

        @Test
        void countsDownWithTheClockThenTheKeyIsGone() {
            ks.set(b("k"), b("v"), SetCondition.ALWAYS, Ttl.inMillis(3000), false);
            clock.advance(1000);
            assertThat(ks.pttl(b("k"))).isEqualTo(2000);
            clock.advance(2000);
            assertThat(ks.pttl(b("k"))).isZero();
            clock.advance(1);
            log.drain();
            assertThat(ks.pttl(b("k"))).isEqualTo(-2);
            assertThat(ks.ttl(b("k"))).isEqualTo(-2);
            assertThat(log.drain()).containsExactly(delEntry("k"));
        }
    }

    @Nested
    class DbSizeAndFlushAll {

        @Test
        void dbSizeCountsKeysIncludingExpiredOnesNotYetRemoved() {
            ks.set(b("a"), b("1"));
            ks.hset(b("h"), Map.of(b("f"), b("v")));
            ks.set(b("t"), b("1"), SetCondition.ALWAYS, Ttl.inMillis(10), false);
            assertThat(ks.dbSize()).isEqualTo(3);
            clock.advance(11);
            assertThat(ks.dbSize()).isEqualTo(3);
            assertThat(ks.get(b("t"))).isNull();
            assertThat(ks.dbSize()).isEqualTo(2);
            ks.del(bs("a"));
            assertThat(ks.dbSize()).isEqualTo(1);
        }

        @Test
        void flushAllEmptiesEverythingAndLogsOneEntry() {
            for (int i = 0; i < 1000; i++) {
                ks.set(b("k" + i), b("v"), SetCondition.ALWAYS, i % 2 == 0 ? Ttl.inMillis(1000) : Ttl.NONE, false);
            }
            ks.hset(b("h"), Map.of(b("f"), b("v")));
            log.drain();
            ks.flushAll();
            assertThat(ks.dbSize()).isZero();
            assertThat(ks.contents()).isEmpty();
            assertThat(ks.usedMemory()).isZero();
            assertThat(ks.stats()).isEqualTo(new KeyspaceStats(0, 0, 0, 0, 0));
            assertThat(log.drain()).containsExactly(new CommandEntry.FlushAll());
            // The keyspace is usable afterwards, including the sampling indexes.
            ks.set(b("k1"), b("again"), SetCondition.ALWAYS, Ttl.inMillis(5), false);
            clock.advance(6);
            assertThat(ks.activeExpireCycle()).isEqualTo(1);
            assertThat(log.drain()).containsExactly(setEntry("k1", "again", now() - 1), delEntry("k1"));
        }

        @Test
        void flushAllOnAnEmptyKeyspaceIsStillLogged() {
            ks.flushAll();
            assertThat(log.drain()).containsExactly(new CommandEntry.FlushAll());
        }
    }
}
