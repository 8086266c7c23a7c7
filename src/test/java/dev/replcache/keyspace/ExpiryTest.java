package dev.replcache.keyspace;

import static dev.replcache.keyspace.TestKeys.b;
import static dev.replcache.keyspace.TestKeys.bs;
import static dev.replcache.keyspace.TestKeys.delEntry;
import static dev.replcache.keyspace.TestKeys.setEntry;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Lazy and active expiry, on a master and on a replica (docs/architecture.md, "Expiry on replicas"). */
class ExpiryTest extends KeyspaceTestBase {

    static Stream<Arguments> reads() {
        return Stream.of(
                Arguments.of("GET", (Consumer<Keyspace>) k -> assertThat(k.get(b("k"))).isNull()),
                Arguments.of("EXISTS", (Consumer<Keyspace>) k -> assertThat(k.exists(bs("k"))).isZero()),
                Arguments.of("MGET", (Consumer<Keyspace>) k -> assertThat(k.mget(bs("k"))).containsExactly((Bytes) null)),
                Arguments.of("TYPE", (Consumer<Keyspace>) k -> assertThat(k.type(b("k"))).isNull()),
                Arguments.of("TTL", (Consumer<Keyspace>) k -> assertThat(k.ttl(b("k"))).isEqualTo(-2)),
                Arguments.of("PTTL", (Consumer<Keyspace>) k -> assertThat(k.pttl(b("k"))).isEqualTo(-2)),
                Arguments.of("PEXPIRETIME", (Consumer<Keyspace>) k -> assertThat(k.pexpireTime(b("k"))).isEqualTo(-2)));
    }

    @Nested
    class OnAMaster {

        @Test
        void aKeyLivesUntilItsTimeThenAReadDeletesItAndLogsOneDel() {
            ks.set(b("k"), b("v"), SetCondition.ALWAYS, Ttl.inMillis(100), false);
            long at = now() + 100;
            clock.advance(100);
            assertThat(ks.get(b("k"))).isEqualTo(b("v"));
            clock.advance(1);
            assertThat(ks.get(b("k"))).isNull();
            assertThat(ks.get(b("k"))).isNull();
            assertThat(ks.exists(bs("k", "k"))).isZero();
            assertThat(log.drain()).containsExactly(setEntry("k", "v", at), delEntry("k"));
            assertThat(ks.contents()).isEmpty();
            assertThat(ks.stats().expiredKeys()).isEqualTo(1);
            assertThat(ks.stats().expires()).isZero();
            assertThat(ks.usedMemory()).isZero();
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("dev.replcache.keyspace.ExpiryTest#reads")
        void everyReadExpiresLazily(String command, Consumer<Keyspace> read) {
            ks.set(b("k"), b("v"), SetCondition.ALWAYS, Ttl.inMillis(10), false);
            clock.advance(11);
            log.drain();
            read.accept(ks);
            assertThat(log.drain()).containsExactly(delEntry("k"));
            assertThat(ks.contents()).isEmpty();
            assertThat(ks.stats().expiredKeys()).isEqualTo(1);
        }

        @Test
        void hashReadsExpireLazilyToo() {
            ks.hset(b("h"), Map.of(b("f"), b("v")));
            ks.pexpire(b("h"), 10);
            clock.advance(11);
            log.drain();
            assertThat(ks.hget(b("h"), b("f"))).isNull();
            assertThat(ks.hgetAll(b("h"))).isEmpty();
            assertThat(log.drain()).containsExactly(delEntry("h"));
        }

        @Test
        void anUntouchedExpiredKeyStaysUntilSomethingLooksAtIt() {
            ks.set(b("k"), b("v"), SetCondition.ALWAYS, Ttl.inMillis(10), false);
            clock.advance(1000);
            log.drain();
            assertThat(ks.dbSize()).isEqualTo(1);
            assertThat(ks.contents()).containsKey(b("k"));
            // SCAN hides it but does not delete it.
            assertThat(ks.scan(0, null, 1000).keys()).isEmpty();
            assertThat(log.entries()).isEmpty();
        }
    }

    @Nested
    class OnAMasterWithoutTheRightToWrite {

        @Test
        void aFencedMasterHidesExpiredKeysButDeletesNothingUntilItMayWriteAgain() {
            boolean[] mayWrite = {false}; // failover.mode=lease: no fresh lease
            ks.setTimeDeletionGuard(() -> mayWrite[0]);
            long at = now() + 100;
            ks.apply(setEntry("k", "v", at));
            log.drain();
            clock.advance(101);
            assertThat(ks.get(b("k"))).isNull();
            assertThat(ks.activeExpireCycle()).isZero();
            assertThat(ks.contents()).containsOnlyKeys(b("k"));
            assertThat(log.entries()).isEmpty();

            mayWrite[0] = true;
            assertThat(ks.activeExpireCycle()).isEqualTo(1);
            assertThat(ks.contents()).isEmpty();
            assertThat(log.drain()).containsExactly(delEntry("k"));
        }
    }

    @Nested
    class OnAReplica {

        @Test
        void anExpiredKeyIsHiddenButKeptAndNothingIsLogged() {
            ks.setRole(KeyspaceRole.REPLICA);
            long at = now() + 100;
            ks.apply(setEntry("k", "v", at));
            ks.apply(new CommandEntry.HSet(b("h"), Map.of(b("f"), b("v"))));
            ks.apply(new CommandEntry.PExpireAt(b("h"), at));
            log.drain();
            assertThat(ks.get(b("k"))).isEqualTo(b("v"));
            clock.advance(101);
            assertThat(ks.get(b("k"))).isNull();
            assertThat(ks.exists(bs("k", "h"))).isZero();
            assertThat(ks.mget(bs("k"))).containsExactly((Bytes) null);
            assertThat(ks.ttl(b("k"))).isEqualTo(-2);
            assertThat(ks.type(b("k"))).isNull();
            assertThat(ks.hget(b("h"), b("f"))).isNull();
            assertThat(ks.hgetAll(b("h"))).isEmpty();
            assertThat(ks.scan(0, null, 100).keys()).isEmpty();
            assertThat(ks.activeExpireCycle()).isZero();

            assertThat(ks.contents()).containsOnlyKeys(b("k"), b("h"));
            assertThat(ks.contents().get(b("k"))).isEqualTo(new Entry(StringValue.of(b("v")), at, 0));
            assertThat(ks.dbSize()).isEqualTo(2);
            assertThat(ks.stats().expiredKeys()).isZero();
            assertThat(log.entries()).isEmpty();

            // The master's DEL is what removes it.
            ks.apply(delEntry("k"));
            assertThat(ks.contents()).containsOnlyKeys(b("h"));
            assertThat(log.drain()).containsExactly(delEntry("k"));
        }

        @Test
        void aPromotedReplicaStartsExpiringWhatItHid() {
            ks.setRole(KeyspaceRole.REPLICA);
            ks.apply(setEntry("k", "v", now() + 10));
            clock.advance(11);
            assertThat(ks.get(b("k"))).isNull();
            log.drain();
            ks.setRole(KeyspaceRole.MASTER);
            assertThat(ks.role()).isEqualTo(KeyspaceRole.MASTER);
            assertThat(ks.get(b("k"))).isNull();
            assertThat(log.drain()).containsExactly(delEntry("k"));
            assertThat(ks.contents()).isEmpty();
        }
    }

    @Nested
    class ActiveExpiry {

        private static final int KEYS_PER_LOOP = 20;
        private static final int MAX_LOOPS = 4;

        @Test
        void removesExpiredKeysWithBoundedWorkPerCycleAndEventuallyAll() {
            newKeyspace(new KeyspaceConfig(256, 0, EvictionPolicy.NOEVICTION, 5, KEYS_PER_LOOP, MAX_LOOPS));
            Set<Bytes> shortLived = new HashSet<>();
            for (int i = 0; i < 1000; i++) {
                ks.set(b("short:" + i), b("v"), SetCondition.ALWAYS, Ttl.inMillis(10 + i % 7), false);
                shortLived.add(b("short:" + i));
            }
            for (int i = 0; i < 200; i++) {
                ks.set(b("long:" + i), b("v"), SetCondition.ALWAYS, Ttl.inMillis(60_000), false);
                ks.set(b("forever:" + i), b("v"));
            }
            assertThat(ks.activeExpireCycle()).as("nothing has expired yet").isZero();
            clock.advance(1000);
            log.drain();

            int total = 0;
            int cycles = 0;
            while (total < shortLived.size()) {
                int removed = ks.activeExpireCycle();
                assertThat(removed).isBetween(0, KEYS_PER_LOOP * MAX_LOOPS);
                if (cycles == 0) {
                    // 1000 of 1200 sampled keys are expired: the first cycle runs all its loops.
                    assertThat(removed).isGreaterThan(KEYS_PER_LOOP * MAX_LOOPS / 2);
                }
                total += removed;
                cycles++;
                assertThat(cycles).as("cycles needed to remove every expired key").isLessThan(10_000);
            }
            assertThat(total).isEqualTo(1000);
            assertThat(cycles).isGreaterThanOrEqualTo(1000 / (KEYS_PER_LOOP * MAX_LOOPS));
            assertThat(ks.activeExpireCycle()).isZero();
            assertThat(ks.dbSize()).isEqualTo(400);
            assertThat(ks.stats().expiredKeys()).isEqualTo(1000);
            assertThat(ks.stats().expires()).isEqualTo(200);

            // One DEL of one key per removal, exactly the expired keys.
            List<CommandEntry> entries = log.drain();
            assertThat(entries).hasSize(1000).allSatisfy(e -> {
                assertThat(e).isInstanceOf(CommandEntry.Del.class);
                assertThat(((CommandEntry.Del) e).keys()).hasSize(1);
            });
            Set<Bytes> deleted = new HashSet<>();
            entries.forEach(e -> deleted.addAll(((CommandEntry.Del) e).keys()));
            assertThat(deleted).isEqualTo(shortLived);
        }

        @Test
        void fewerKeysThanASampleAreAllFoundInOneCycle() {
            newKeyspace(new KeyspaceConfig(256, 0, EvictionPolicy.NOEVICTION, 5, KEYS_PER_LOOP, MAX_LOOPS));
            for (int i = 0; i < 3; i++) {
                ks.set(b("k" + i), b("v"), SetCondition.ALWAYS, Ttl.inMillis(5), false);
            }
            clock.advance(6);
            int removed = 0;
            for (int cycle = 0; cycle < 20 && ks.dbSize() > 0; cycle++) {
                removed += ks.activeExpireCycle();
            }
            assertThat(removed).isEqualTo(3);
            assertThat(ks.dbSize()).isZero();
        }

        @Test
        void doesNothingOnAReplica() {
            ks.setRole(KeyspaceRole.REPLICA);
            for (int i = 0; i < 100; i++) {
                ks.apply(setEntry("k" + i, "v", now() + 1));
            }
            clock.advance(2);
            log.drain();
            for (int i = 0; i < 10; i++) {
                assertThat(ks.activeExpireCycle()).isZero();
            }
            assertThat(ks.dbSize()).isEqualTo(100);
            assertThat(log.entries()).isEmpty();
            assertThat(ks.stats().expiredKeys()).isZero();
        }

        @Test
        void withoutVolatileKeysDoesNothing() {
            ks.set(b("k"), b("v"));
            clock.advance(1_000_000);
            log.drain();
            assertThat(ks.activeExpireCycle()).isZero();
            assertThat(log.entries()).isEmpty();
        }
    }
}
