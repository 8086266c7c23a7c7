package dev.replcache.keyspace;

import static dev.replcache.keyspace.TestKeys.b;
import static dev.replcache.keyspace.TestKeys.bs;
import static dev.replcache.keyspace.TestKeys.delEntry;
import static dev.replcache.keyspace.TestKeys.setEntry;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** GET, SET and its options, GETDEL, MGET, MSET, INCRBY and APPEND, with Redis's edge cases. */
class StringCommandsTest extends KeyspaceTestBase {

    @Nested
    class Get {

        @Test
        void missingKeyIsNull() {
            assertThat(ks.get(b("nope"))).isNull();
            assertThat(log.entries()).isEmpty();
        }

        @Test
        void returnsTheStoredBytes() {
            byte[] binary = {0, (byte) 0xff, 10, 13, (byte) 0x80};
            ks.set(b("k"), Bytes.copyOf(binary));
            assertThat(ks.get(b("k")).toByteArray()).isEqualTo(binary);
        }

        @Test
        void onAHashIsWrongType() {
            ks.hset(b("h"), Map.of(b("f"), b("v")));
            assertKeyspaceError(KeyspaceException.Kind.WRONGTYPE, () -> ks.get(b("h")));
        }
    }

    @Nested
    class Set {

        @Test
        void plainSetStoresAndLogsWithoutExpiry() {
            SetResult r = ks.set(b("k"), b("v"), SetCondition.ALWAYS, Ttl.NONE, false);
            assertThat(r).isEqualTo(new SetResult(true, null));
            assertThat(ks.get(b("k"))).isEqualTo(b("v"));
            assertThat(ks.pttl(b("k"))).isEqualTo(-1);
            assertThat(log.drain()).containsExactly(setEntry("k", "v"));
        }

        @Test
        void emptyValueIsAValue() {
            ks.set(b("k"), Bytes.EMPTY);
            assertThat(ks.get(b("k"))).isEqualTo(Bytes.EMPTY);
            assertThat(ks.exists(bs("k"))).isEqualTo(1);
            assertThat(log.drain()).containsExactly(new CommandEntry.Set(b("k"), Bytes.EMPTY, Entry.NO_EXPIRY));
        }

        @Test
        void overwritesAHash() {
            ks.hset(b("k"), Map.of(b("f"), b("v")));
            log.drain();
            ks.set(b("k"), b("s"));
            assertThat(ks.type(b("k"))).isEqualTo(ValueType.STRING);
            assertThat(log.drain()).containsExactly(setEntry("k", "s"));
        }

        @Test
        void exAndPxAreRelativeButLoggedAsAbsoluteTimes() {
            long start = now();
            ks.set(b("ex"), b("v"), SetCondition.ALWAYS, Ttl.inMillis(10 * 1000L), false); // EX 10
            ks.set(b("px"), b("v"), SetCondition.ALWAYS, Ttl.inMillis(1500), false); // PX 1500
            assertThat(ks.pttl(b("ex"))).isEqualTo(10_000);
            assertThat(ks.ttl(b("ex"))).isEqualTo(10);
            assertThat(ks.pttl(b("px"))).isEqualTo(1500);
            assertThat(ks.pexpireTime(b("px"))).isEqualTo(start + 1500);
            assertThat(log.drain()).containsExactly(
                    setEntry("ex", "v", start + 10_000),
                    setEntry("px", "v", start + 1500));
        }

        @Test
        void exatAndPxatAreAbsolute() {
            long at = now() + 60_000;
            ks.set(b("k"), b("v"), SetCondition.ALWAYS, Ttl.atMillis(at), false);
            assertThat(ks.pexpireTime(b("k"))).isEqualTo(at);
            assertThat(ks.pttl(b("k"))).isEqualTo(60_000);
            assertThat(log.drain()).containsExactly(setEntry("k", "v", at));
        }

        @Test
        void pxatInThePastRemovesAnExistingKeyAndLogsDel() {
            ks.set(b("k"), b("old"));
            log.drain();
            SetResult r = ks.set(b("k"), b("new"), SetCondition.ALWAYS, Ttl.atMillis(now() - 1), true);
            assertThat(r).isEqualTo(new SetResult(true, b("old")));
            assertThat(ks.get(b("k"))).isNull();
            assertThat(ks.contents()).isEmpty();
            assertThat(log.drain()).containsExactly(delEntry("k"));
        }

        @Test
        void pxatInThePastOnAMissingKeyLogsNothing() {
            SetResult r = ks.set(b("k"), b("v"), SetCondition.ALWAYS, Ttl.atMillis(1), false);
            assertThat(r.applied()).isTrue();
            assertThat(ks.contents()).isEmpty();
            assertThat(log.entries()).isEmpty();
        }

        @Test
        void pxatEqualToNowIsStillAlive() {
            // Redis's keyIsExpired: expired only once now > when.
            ks.set(b("k"), b("v"), SetCondition.ALWAYS, Ttl.atMillis(now()), false);
            assertThat(ks.get(b("k"))).isEqualTo(b("v"));
            assertThat(ks.pttl(b("k"))).isZero();
            clock.advance(1);
            assertThat(ks.get(b("k"))).isNull();
        }

        @ParameterizedTest
        @ValueSource(longs = {0, -1, -1000, Long.MIN_VALUE})
        void nonPositiveRelativeTtlIsInvalidExpire(long ms) {
            ks.set(b("k"), b("old"));
            log.drain();
            assertKeyspaceError(KeyspaceException.Kind.INVALID_EXPIRE,
                    () -> ks.set(b("k"), b("v"), SetCondition.ALWAYS, Ttl.inMillis(ms), false))
                    .hasMessageContaining("invalid expire time in 'set' command");
            assertThat(ks.get(b("k"))).isEqualTo(b("old"));
            assertThat(log.entries()).isEmpty();
        }

        @ParameterizedTest
        @ValueSource(longs = {0, -1, Long.MIN_VALUE})
        void nonPositiveAbsoluteTimeIsInvalidExpire(long at) {
            assertKeyspaceError(KeyspaceException.Kind.INVALID_EXPIRE,
                    () -> ks.set(b("k"), b("v"), SetCondition.ALWAYS, Ttl.atMillis(at), false));
            assertThat(ks.contents()).isEmpty();
            assertThat(log.entries()).isEmpty();
        }

        @Test
        void relativeTtlThatOverflowsNowIsInvalidExpire() {
            assertKeyspaceError(KeyspaceException.Kind.INVALID_EXPIRE,
                    () -> ks.set(b("k"), b("v"), SetCondition.ALWAYS, Ttl.inMillis(Long.MAX_VALUE - now() + 1), false));
            // The largest one that fits is accepted.
            ks.set(b("k"), b("v"), SetCondition.ALWAYS, Ttl.inMillis(Long.MAX_VALUE - now()), false);
            assertThat(ks.pexpireTime(b("k"))).isEqualTo(Long.MAX_VALUE);
            assertThat(log.drain()).containsExactly(setEntry("k", "v", Long.MAX_VALUE));
        }

        @Test
        void nxSetsOnlyAMissingKey() {
            assertThat(ks.set(b("k"), b("1"), SetCondition.IF_ABSENT, Ttl.NONE, false).applied()).isTrue();
            assertThat(ks.set(b("k"), b("2"), SetCondition.IF_ABSENT, Ttl.NONE, false).applied()).isFalse();
            assertThat(ks.get(b("k"))).isEqualTo(b("1"));
            assertThat(log.drain()).containsExactly(setEntry("k", "1"));
        }

        @Test
        void nxTreatsAnExpiredKeyAsMissingAndLogsItsDelFirst() {
            ks.set(b("k"), b("1"), SetCondition.ALWAYS, Ttl.inMillis(10), false);
            clock.advance(11);
            log.drain();
            assertThat(ks.set(b("k"), b("2"), SetCondition.IF_ABSENT, Ttl.NONE, false).applied()).isTrue();
            assertThat(log.drain()).containsExactly(delEntry("k"), setEntry("k", "2"));
            assertThat(ks.stats().expiredKeys()).isEqualTo(1);
        }

        @Test
        void xxSetsOnlyAnExistingKey() {
            assertThat(ks.set(b("k"), b("1"), SetCondition.IF_PRESENT, Ttl.NONE, false).applied()).isFalse();
            assertThat(ks.contents()).isEmpty();
            assertThat(log.entries()).isEmpty();
            ks.set(b("k"), b("1"));
            assertThat(ks.set(b("k"), b("2"), SetCondition.IF_PRESENT, Ttl.NONE, false).applied()).isTrue();
            assertThat(ks.get(b("k"))).isEqualTo(b("2"));
            assertThat(log.drain()).containsExactly(setEntry("k", "1"), setEntry("k", "2"));
        }

        @Test
        void xxOnAnExpiredKeyDoesNotSet() {
            ks.set(b("k"), b("1"), SetCondition.ALWAYS, Ttl.inMillis(10), false);
            clock.advance(11);
            log.drain();
            assertThat(ks.set(b("k"), b("2"), SetCondition.IF_PRESENT, Ttl.NONE, false).applied()).isFalse();
            assertThat(ks.contents()).isEmpty();
            assertThat(log.drain()).containsExactly(delEntry("k"));
        }

        @Test
        void keepTtlKeepsTheExpiry() {
            long at = now() + 5000;
            ks.set(b("k"), b("1"), SetCondition.ALWAYS, Ttl.atMillis(at), false);
            clock.advance(1000);
            ks.set(b("k"), b("2"), SetCondition.ALWAYS, Ttl.KEEP, false);
            assertThat(ks.pexpireTime(b("k"))).isEqualTo(at);
            assertThat(ks.pttl(b("k"))).isEqualTo(4000);
            assertThat(log.drain()).containsExactly(setEntry("k", "1", at), setEntry("k", "2", at));
        }

        @Test
        void keepTtlOnAMissingKeyMeansNoExpiry() {
            ks.set(b("k"), b("v"), SetCondition.ALWAYS, Ttl.KEEP, false);
            assertThat(ks.pttl(b("k"))).isEqualTo(-1);
            assertThat(log.drain()).containsExactly(setEntry("k", "v"));
        }

        @Test
        void setWithoutKeepTtlClearsTheExpiry() {
            ks.set(b("k"), b("1"), SetCondition.ALWAYS, Ttl.inMillis(5000), false);
            ks.set(b("k"), b("2"));
            assertThat(ks.pttl(b("k"))).isEqualTo(-1);
            assertThat(ks.stats().expires()).isZero();
            assertThat(log.drain()).containsExactly(setEntry("k", "1", now() + 5000), setEntry("k", "2"));
        }

        @Test
        void getReturnsThePreviousValue() {
            assertThat(ks.set(b("k"), b("1"), SetCondition.ALWAYS, Ttl.NONE, true)).isEqualTo(new SetResult(true, null));
            assertThat(ks.set(b("k"), b("2"), SetCondition.ALWAYS, Ttl.NONE, true)).isEqualTo(new SetResult(true, b("1")));
            // SET ... GET is logged as a plain SET: the reply is not part of the stream.
            assertThat(log.drain()).containsExactly(setEntry("k", "1"), setEntry("k", "2"));
        }

        @Test
        void getWithNxOnAnExistingKeyReturnsTheValueWithoutSetting() {
            ks.set(b("k"), b("1"));
            log.drain();
            assertThat(ks.set(b("k"), b("2"), SetCondition.IF_ABSENT, Ttl.NONE, true)).isEqualTo(new SetResult(false, b("1")));
            assertThat(ks.get(b("k"))).isEqualTo(b("1"));
            assertThat(log.entries()).isEmpty();
        }

        @Test
        void getOnAHashIsWrongTypeAndChangesNothing() {
            ks.hset(b("h"), Map.of(b("f"), b("v")));
            log.drain();
            assertKeyspaceError(KeyspaceException.Kind.WRONGTYPE,
                    () -> ks.set(b("h"), b("s"), SetCondition.ALWAYS, Ttl.NONE, true));
            assertThat(ks.hget(b("h"), b("f"))).isEqualTo(b("v"));
            assertThat(log.entries()).isEmpty();
        }
    }

    @Nested
    class GetDel {

        @Test
        void returnsAndRemoves() {
            ks.set(b("k"), b("v"), SetCondition.ALWAYS, Ttl.inMillis(1000), false);
            log.drain();
            assertThat(ks.getDel(b("k"))).isEqualTo(b("v"));
            assertThat(ks.exists(bs("k"))).isZero();
            assertThat(ks.stats().expires()).isZero();
            assertThat(log.drain()).containsExactly(delEntry("k"));
        }

        @Test
        void missingKeyIsNullAndLogsNothing() {
            assertThat(ks.getDel(b("k"))).isNull();
            assertThat(log.entries()).isEmpty();
        }

        @Test
        void onAHashIsWrongTypeAndKeepsTheKey() {
            ks.hset(b("h"), Map.of(b("f"), b("v")));
            log.drain();
            assertKeyspaceError(KeyspaceException.Kind.WRONGTYPE, () -> ks.getDel(b("h")));
            assertThat(ks.exists(bs("h"))).isEqualTo(1);
            assertThat(log.entries()).isEmpty();
        }

        @Test
        void expiredKeyIsNullAndItsExpiryIsLoggedOnce() {
            ks.set(b("k"), b("v"), SetCondition.ALWAYS, Ttl.inMillis(10), false);
            clock.advance(11);
            log.drain();
            assertThat(ks.getDel(b("k"))).isNull();
            assertThat(log.drain()).containsExactly(delEntry("k"));
        }
    }

    @Nested
    class MGet {

        @Test
        void oneSlotPerKeyWithNullForMissingAndOtherTypes() {
            ks.set(b("a"), b("1"));
            ks.hset(b("h"), Map.of(b("f"), b("v")));
            ks.set(b("gone"), b("x"), SetCondition.ALWAYS, Ttl.inMillis(5), false);
            clock.advance(6);
            log.drain();
            assertThat(ks.mget(bs("a", "missing", "h", "a", "gone")))
                    .containsExactly(b("1"), null, null, b("1"), null);
            // The expired key was found by the read: a master removes it and logs its DEL.
            assertThat(log.drain()).containsExactly(delEntry("gone"));
        }
    }

    @Nested
    class MSet {

        @Test
        void setsEveryPairInOrderAndClearsTtls() {
            ks.set(b("a"), b("old"), SetCondition.ALWAYS, Ttl.inMillis(1000), false);
            ks.hset(b("h"), Map.of(b("f"), b("v")));
            log.drain();
            Map<Bytes, Bytes> pairs = new LinkedHashMap<>();
            pairs.put(b("a"), b("1"));
            pairs.put(b("b"), b("2"));
            pairs.put(b("h"), b("3"));
            ks.mset(pairs);
            assertThat(ks.mget(bs("a", "b", "h"))).containsExactly(b("1"), b("2"), b("3"));
            assertThat(ks.pttl(b("a"))).isEqualTo(-1);
            assertThat(ks.stats().expires()).isZero();
            // One entry for the whole MSET (issue 11 row 9): a replica applies it whole.
            assertThat(log.drain()).containsExactly(new CommandEntry.MSet(pairs));
        }

        @Test
        void anExpiredKeyIsDeletedBeforeItIsSet() {
            ks.set(b("a"), b("old"), SetCondition.ALWAYS, Ttl.inMillis(10), false);
            clock.advance(11);
            log.drain();
            ks.mset(Map.of(b("a"), b("new")));
            assertThat(log.drain()).containsExactly(delEntry("a"), new CommandEntry.MSet(Map.of(b("a"), b("new"))));
        }
    }

    @Nested
    class IncrBy {

        @Test
        void incrOnAMissingKeyStartsFromZero() {
            assertThat(ks.incrBy(b("n"), 1)).isEqualTo(1);
            assertThat(ks.incrBy(b("n"), 1)).isEqualTo(2);
            assertThat(ks.incrBy(b("n"), 40)).isEqualTo(42);
            assertThat(ks.incrBy(b("n"), -50)).isEqualTo(-8); // DECRBY 50
            assertThat(ks.incrBy(b("n"), -1)).isEqualTo(-9); // DECR
            assertThat(ks.get(b("n"))).isEqualTo(b("-9"));
            // INCR travels as the SET of its result, so a replica needs no arithmetic.
            assertThat(log.drain()).containsExactly(setEntry("n", "1"), setEntry("n", "2"), setEntry("n", "42"),
                    setEntry("n", "-8"), setEntry("n", "-9"));
        }

        @Test
        void keepsTheTtl() {
            long at = now() + 10_000;
            ks.set(b("n"), b("10"), SetCondition.ALWAYS, Ttl.atMillis(at), false);
            log.drain();
            assertThat(ks.incrBy(b("n"), 5)).isEqualTo(15);
            assertThat(ks.pexpireTime(b("n"))).isEqualTo(at);
            assertThat(log.drain()).containsExactly(setEntry("n", "15", at));
        }

        @Test
        void onAnExpiredKeyStartsFromZeroWithoutTtl() {
            ks.set(b("n"), b("10"), SetCondition.ALWAYS, Ttl.inMillis(10), false);
            clock.advance(11);
            log.drain();
            assertThat(ks.incrBy(b("n"), 1)).isEqualTo(1);
            assertThat(ks.pttl(b("n"))).isEqualTo(-1);
            assertThat(log.drain()).containsExactly(delEntry("n"), setEntry("n", "1"));
        }

        @ParameterizedTest
        @ValueSource(strings = {" 1", "1 ", "+1", "01", "-0", "-01", "abc", "", "-", "1.5", "1e3", "0x10",
                "100000000000000000000", "9223372036854775808", "-9223372036854775809", "12345678901234567890"})
        void notAnIntegerIsRefusedAndChangesNothing(String stored) {
            ks.set(b("n"), b(stored));
            log.drain();
            assertKeyspaceError(KeyspaceException.Kind.NOT_INTEGER, () -> ks.incrBy(b("n"), 1))
                    .hasMessage("ERR value is not an integer or out of range");
            assertThat(ks.get(b("n"))).isEqualTo(b(stored));
            assertThat(log.entries()).isEmpty();
        }

        @Test
        void twentyOneDigitsAreRefusedEvenWithLeadingMinus() {
            char[] digits = new char[21];
            Arrays.fill(digits, '1');
            ks.set(b("n"), b(new String(digits)));
            assertKeyspaceError(KeyspaceException.Kind.NOT_INTEGER, () -> ks.incrBy(b("n"), 1));
            ks.set(b("n"), b("-" + new String(digits, 0, 20)));
            assertKeyspaceError(KeyspaceException.Kind.NOT_INTEGER, () -> ks.incrBy(b("n"), 1));
        }

        @ParameterizedTest
        @ValueSource(strings = {"0", "-1", "9223372036854775807", "-9223372036854775808", "10", "-10"})
        void validIntegersParse(String stored) {
            ks.set(b("n"), b(stored));
            assertThat(ks.incrBy(b("n"), 0)).isEqualTo(Long.parseLong(stored));
        }

        @Test
        void overflowAtLongMaxAndMinIsRefused() {
            ks.set(b("max"), b(Long.toString(Long.MAX_VALUE)));
            ks.set(b("min"), b(Long.toString(Long.MIN_VALUE)));
            log.drain();
            assertKeyspaceError(KeyspaceException.Kind.OVERFLOW, () -> ks.incrBy(b("max"), 1))
                    .hasMessage("ERR increment or decrement would overflow");
            assertKeyspaceError(KeyspaceException.Kind.OVERFLOW, () -> ks.incrBy(b("min"), -1));
            assertKeyspaceError(KeyspaceException.Kind.OVERFLOW, () -> ks.incrBy(b("min"), Long.MIN_VALUE));
            assertThat(log.entries()).isEmpty();
            assertThat(ks.incrBy(b("max"), Long.MIN_VALUE)).isEqualTo(-1);
            assertThat(ks.incrBy(b("new"), Long.MIN_VALUE)).isEqualTo(Long.MIN_VALUE);
        }

        @Test
        void onAHashIsWrongType() {
            ks.hset(b("h"), Map.of(b("f"), b("1")));
            assertKeyspaceError(KeyspaceException.Kind.WRONGTYPE, () -> ks.incrBy(b("h"), 1));
        }
    }

    @Nested
    class Append {

        @Test
        void createsThenAppendsAndLogsTheSuffixOnly() {
            assertThat(ks.append(b("k"), b("Hello"))).isEqualTo(5);
            assertThat(ks.append(b("k"), b(" World"))).isEqualTo(11);
            assertThat(ks.get(b("k"))).isEqualTo(b("Hello World"));
            assertThat(log.drain()).containsExactly(
                    new CommandEntry.Append(b("k"), b("Hello")),
                    new CommandEntry.Append(b("k"), b(" World")));
        }

        @Test
        void emptySuffixOnAMissingKeyCreatesAnEmptyString() {
            assertThat(ks.append(b("k"), Bytes.EMPTY)).isZero();
            assertThat(ks.get(b("k"))).isEqualTo(Bytes.EMPTY);
            assertThat(log.drain()).containsExactly(new CommandEntry.Append(b("k"), Bytes.EMPTY));
        }

        @Test
        void keepsTheTtlAndIsBinarySafe() {
            long at = now() + 1000;
            ks.set(b("k"), Bytes.copyOf(new byte[] {0}), SetCondition.ALWAYS, Ttl.atMillis(at), false);
            ks.append(b("k"), Bytes.copyOf(new byte[] {(byte) 0xff, 0}));
            assertThat(ks.get(b("k")).toByteArray()).containsExactly(0, 0xff, 0);
            assertThat(ks.pexpireTime(b("k"))).isEqualTo(at);
        }

        @Test
        void onAHashIsWrongType() {
            ks.hset(b("h"), Map.of(b("f"), b("1")));
            log.drain();
            assertKeyspaceError(KeyspaceException.Kind.WRONGTYPE, () -> ks.append(b("h"), b("x")));
            assertThat(log.entries()).isEmpty();
        }

        @Test
        void onAnExpiredKeyStartsAfresh() {
            ks.set(b("k"), b("old"), SetCondition.ALWAYS, Ttl.inMillis(10), false);
            clock.advance(11);
            log.drain();
            assertThat(ks.append(b("k"), b("new"))).isEqualTo(3);
            assertThat(ks.pttl(b("k"))).isEqualTo(-1);
            assertThat(log.drain()).containsExactly(delEntry("k"), new CommandEntry.Append(b("k"), b("new")));
        }
    }
}
