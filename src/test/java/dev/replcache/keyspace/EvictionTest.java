package dev.replcache.keyspace;

import static dev.replcache.keyspace.TestKeys.b;
import static dev.replcache.keyspace.TestKeys.bs;
import static dev.replcache.keyspace.TestKeys.delEntry;
import static dev.replcache.keyspace.TestKeys.setEntry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** max-memory with each eviction policy, and the memory estimate it relies on. */
class EvictionTest extends KeyspaceTestBase {

    private static final Bytes VALUE = Bytes.utf8("x".repeat(100));

    /** The estimate of one "key:NNNN" -> 100-byte value entry. */
    private static long oneKey(boolean withTtl) {
        return MemoryEstimate.entry(b("key:0000"), StringValue.of(VALUE), withTtl ? 1 : Entry.NO_EXPIRY);
    }

    private static String key(String prefix, int i) {
        return String.format("%s:%04d", prefix, i);
    }

    private static KeyspaceConfig limited(long maxMemoryBytes, EvictionPolicy policy) {
        return KeyspaceConfig.DEFAULTS.withMaxMemory(maxMemoryBytes, policy);
    }

    /** The single keys of the DELs in {@code entries}; fails on any other entry. */
    private static List<Bytes> deletedKeys(List<CommandEntry> entries) {
        List<Bytes> keys = new ArrayList<>();
        for (CommandEntry e : entries) {
            assertThat(e).isInstanceOf(CommandEntry.Del.class);
            assertThat(((CommandEntry.Del) e).keys()).hasSize(1);
            keys.add(((CommandEntry.Del) e).keys().get(0));
        }
        return keys;
    }

    /** Entries that are not the given write's own SET: what the keyspace added (evictions). */
    private static List<CommandEntry> withoutSets(List<CommandEntry> entries) {
        return entries.stream().filter(e -> !(e instanceof CommandEntry.Set)).toList();
    }

    @Test
    void noevictionRefusesWritesButServesReadsAndDeletes() {
        newKeyspace(limited(20 * oneKey(false), EvictionPolicy.NOEVICTION));
        int n = 0;
        while (ks.usedMemory() <= ks.config().maxMemoryBytes()) {
            ks.set(b(key("key", n++)), VALUE);
        }
        assertThat(n).isEqualTo(21);
        log.drain();
        Map<Bytes, Entry> before = ks.contents();

        assertKeyspaceError(KeyspaceException.Kind.OOM, () -> ks.set(b("new"), VALUE))
                .hasMessageStartingWith("OOM command not allowed");
        assertKeyspaceError(KeyspaceException.Kind.OOM,
                () -> ks.set(b(key("key", 0)), b("x"), SetCondition.IF_PRESENT, Ttl.NONE, false));
        assertKeyspaceError(KeyspaceException.Kind.OOM, () -> ks.mset(Map.of(b("a"), b("1"))));
        assertKeyspaceError(KeyspaceException.Kind.OOM, () -> ks.incrBy(b("n"), 1));
        assertKeyspaceError(KeyspaceException.Kind.OOM, () -> ks.append(b(key("key", 0)), b("x")));
        assertKeyspaceError(KeyspaceException.Kind.OOM, () -> ks.hset(b("h"), Map.of(b("f"), b("v"))));
        assertKeyspaceError(KeyspaceException.Kind.OOM, () -> ks.hincrBy(b("h"), b("f"), 1));
        assertThat(ks.contents()).isEqualTo(before);
        assertThat(log.entries()).isEmpty();

        assertThat(ks.get(b(key("key", 3)))).isEqualTo(VALUE);
        assertThat(ks.mget(bs(key("key", 4)))).containsExactly(VALUE);
        assertThat(ks.exists(bs(key("key", 5)))).isEqualTo(1);
        assertThat(ks.expire(b(key("key", 6)), 100)).isTrue();
        assertThat(ks.persist(b(key("key", 6)))).isTrue();
        assertThat(ks.del(bs(key("key", 0)))).isEqualTo(1);
        assertThat(ks.getDel(b(key("key", 1)))).isEqualTo(VALUE);
        assertThat(log.drain()).containsExactly(
                new CommandEntry.PExpireAt(b(key("key", 6)), now() + 100_000),
                new CommandEntry.Persist(b(key("key", 6))),
                delEntry(key("key", 0)), delEntry(key("key", 1)));

        // Back under the limit, writes are accepted again.
        ks.set(b("new"), VALUE);
        assertThat(ks.get(b("new"))).isEqualTo(VALUE);
        assertThat(ks.stats().evictedKeys()).isZero();
    }

    @ParameterizedTest
    @EnumSource(value = EvictionPolicy.class, names = {"ALLKEYS_LRU", "ALLKEYS_RANDOM"})
    void allkeysPoliciesKeepMemoryNearTheLimitAndLogEachEviction(EvictionPolicy policy) {
        long max = 100 * oneKey(false);
        newKeyspace(limited(max, policy));
        int evictionsLogged = 0;
        for (int i = 0; i < 1000; i++) {
            clock.advance(1);
            ks.set(b(key("key", i)), VALUE);
            // Eviction runs before a write, so the dataset exceeds the limit by one write at most.
            assertThat(ks.usedMemory()).isLessThanOrEqualTo(max + oneKey(false));
            List<CommandEntry> entries = log.drain();
            assertThat(entries.get(entries.size() - 1)).isEqualTo(setEntry(key("key", i), "x".repeat(100)));
            List<Bytes> evicted = deletedKeys(entries.subList(0, entries.size() - 1));
            evictionsLogged += evicted.size();
        }
        assertThat(ks.dbSize()).isBetween(100L, 101L);
        assertThat(evictionsLogged).isEqualTo(1000 - (int) ks.dbSize());
        assertThat(ks.stats().evictedKeys()).isEqualTo(evictionsLogged);
    }

    /**
     * allkeys-lru: keys read often survive. The same workload under allkeys-random evicts the hot
     * keys about as often as any other, which shows the test can tell the two apart.
     */
    @Test
    void allkeysLruEvictsColdKeysRatherThanHotOnes() {
        double lruHotShare = hotShareOfEvictions(EvictionPolicy.ALLKEYS_LRU);
        double randomHotShare = hotShareOfEvictions(EvictionPolicy.ALLKEYS_RANDOM);
        // 20 hot keys among ~200 resident: a blind policy evicts a hot key ~10% of the time.
        assertThat(randomHotShare).isGreaterThan(0.03);
        assertThat(lruHotShare).isLessThan(0.01);
    }

    private double hotShareOfEvictions(EvictionPolicy policy) {
        newKeyspace(limited(200 * oneKey(false), policy));
        SplittableRandom random = new SplittableRandom(1234);
        int hot = 20;
        for (int i = 0; i < hot; i++) {
            ks.set(b(key("hot", i)), VALUE);
        }
        int hotEvictions = 0;
        int evictions = 0;
        for (int step = 0; step < 5000; step++) {
            clock.advance(1);
            Bytes hotKey = b(key("hot", random.nextInt(hot)));
            if (ks.get(hotKey) == null) {
                ks.set(hotKey, VALUE); // a cache miss refills the key
            }
            ks.set(b(key("cold", step)), VALUE); // written once, never read
            for (CommandEntry e : withoutSets(log.drain())) {
                Bytes victim = ((CommandEntry.Del) e).keys().get(0);
                evictions++;
                if (victim.utf8String().startsWith("hot:")) {
                    hotEvictions++;
                }
            }
        }
        assertThat(evictions).isGreaterThan(4000);
        assertThat(ks.stats().evictedKeys()).isEqualTo(evictions);
        return (double) hotEvictions / evictions;
    }

    @ParameterizedTest
    @EnumSource(value = EvictionPolicy.class, names = {"VOLATILE_LRU", "VOLATILE_RANDOM", "VOLATILE_TTL"})
    void volatilePoliciesOnlyEvictKeysWithATtlThenRefuse(EvictionPolicy policy) {
        // Room for all 50 keys with a TTL and a few more, whatever a TTL costs beside a key.
        long max = 60 * oneKey(true);
        newKeyspace(new KeyspaceConfig(256, max, policy, 1000, 20, 16));
        int volatileKeys = 50;
        for (int i = 0; i < volatileKeys; i++) {
            clock.advance(1);
            // Shorter TTLs for later keys, so that TTL order and LRU order are opposite.
            ks.set(b(key("vol", i)), VALUE, SetCondition.ALWAYS, Ttl.inMillis(1_000_000 - i * 1000L), false);
        }
        log.drain();
        List<Bytes> evicted = new ArrayList<>();
        int persistent = 0;
        KeyspaceException oom = null;
        while (oom == null && persistent < 1000) {
            clock.advance(1);
            try {
                ks.set(b(key("keep", persistent)), VALUE);
                persistent++;
                evicted.addAll(deletedKeys(withoutSets(log.drain())));
            } catch (KeyspaceException e) {
                oom = e;
            }
        }
        assertThat(oom).isNotNull();
        assertThat(oom.kind()).isEqualTo(KeyspaceException.Kind.OOM);
        evicted.addAll(deletedKeys(withoutSets(log.drain())));
        // Every key with a TTL went, in some order; no key without one did.
        assertThat(evicted).hasSize(volatileKeys).allSatisfy(k -> assertThat(k.utf8String()).startsWith("vol:"));
        assertThat(ks.stats().expires()).isZero();
        assertThat(ks.stats().evictedKeys()).isEqualTo(volatileKeys);
        for (int i = 0; i < persistent; i++) {
            assertThat(ks.get(b(key("keep", i)))).isEqualTo(VALUE);
        }
        if (policy == EvictionPolicy.VOLATILE_TTL) {
            // Soonest expiry first: the last written key first.
            assertThat(evicted.get(0)).isEqualTo(b(key("vol", volatileKeys - 1)));
            assertThat(evicted.subList(0, 10)).allSatisfy(k -> assertThat(k.utf8String()).isGreaterThan(key("vol", 39)));
        } else if (policy == EvictionPolicy.VOLATILE_LRU) {
            // Least recently used first: the first written key first.
            assertThat(evicted.get(0)).isEqualTo(b(key("vol", 0)));
            assertThat(evicted.subList(0, 10)).allSatisfy(k -> assertThat(k.utf8String()).isLessThan(key("vol", 10)));
        }
    }

    @ParameterizedTest
    @EnumSource(value = EvictionPolicy.class, names = {"VOLATILE_LRU", "VOLATILE_RANDOM", "VOLATILE_TTL"})
    void volatilePoliciesWithoutVolatileKeysRefuseAtOnce(EvictionPolicy policy) {
        newKeyspace(limited(5 * oneKey(false), policy));
        int n = 0;
        while (ks.usedMemory() <= ks.config().maxMemoryBytes()) {
            ks.set(b(key("keep", n++)), VALUE);
        }
        log.drain();
        assertKeyspaceError(KeyspaceException.Kind.OOM, () -> ks.set(b("one-more"), VALUE));
        assertThat(log.entries()).isEmpty();
        assertThat(ks.dbSize()).isEqualTo(n);
    }

    @ParameterizedTest
    @EnumSource(EvictionPolicy.class)
    void aReplicaNeverEvictsNorRefuses(EvictionPolicy policy) {
        newKeyspace(limited(10 * oneKey(false), policy));
        ks.setRole(KeyspaceRole.REPLICA);
        for (int i = 0; i < 100; i++) {
            ks.apply(new CommandEntry.Set(b(key("key", i)), VALUE, i % 2 == 0 ? Entry.NO_EXPIRY : now() + 10_000));
        }
        ks.apply(new CommandEntry.HSet(b("h"), Map.of(b("f"), VALUE)));
        // A client write is refused on a replica's keyspace itself (not only by the transports).
        assertThatThrownBy(() -> ks.set(b("direct"), VALUE)).isInstanceOfSatisfying(KeyspaceException.class,
                e -> assertThat(e.kind()).isEqualTo(KeyspaceException.Kind.READONLY));
        assertThat(ks.dbSize()).isEqualTo(101);
        assertThat(ks.stats().evictedKeys()).isZero();
        assertThat(log.entries()).noneMatch(e -> e instanceof CommandEntry.Del);
    }

    @Test
    void evictionsForAnHsetAreLoggedBeforeIt() {
        newKeyspace(limited(3 * oneKey(false), EvictionPolicy.ALLKEYS_RANDOM));
        for (int i = 0; i < 4; i++) {
            ks.set(b(key("key", i)), VALUE);
        }
        log.drain();
        ks.hset(b("h"), Map.of(b("f"), b("1")));
        List<CommandEntry> entries = log.drain();
        assertThat(entries).hasSizeGreaterThanOrEqualTo(2);
        assertThat(entries.get(entries.size() - 1)).isEqualTo(new CommandEntry.HSet(b("h"), Map.of(b("f"), b("1"))));
        assertThat(deletedKeys(entries.subList(0, entries.size() - 1))).isNotEmpty();
        assertThat(ks.stats().evictedKeys()).isEqualTo(entries.size() - 1);
    }

    // ------------------------------------------------------------------ the memory estimate

    @Test
    void usedMemoryGrowsWithValueSize() {
        assertThat(ks.usedMemory()).isZero();
        ks.set(b("small"), b("x"));
        long small = ks.usedMemory();
        assertThat(small).isBetween(100L, 400L); // object overheads of a tiny entry
        ks.set(b("big"), Bytes.of(new byte[10_000]));
        long big = ks.usedMemory() - small;
        assertThat(big).isBetween(10_000L, 10_000L + 400L);

        long before = ks.usedMemory();
        for (int i = 0; i < 100; i++) {
            ks.set(b(key("k", i)), Bytes.of(new byte[1000]));
        }
        long hundredKb = ks.usedMemory() - before;
        assertThat(hundredKb).isBetween(100_000L, 100_000L + 100 * 400L);

        // Overwriting with a smaller value gives memory back.
        long beforeOverwrite = ks.usedMemory();
        ks.set(b("big"), b("x"));
        assertThat(ks.usedMemory()).isEqualTo(beforeOverwrite - big
                + MemoryEstimate.entry(b("big"), StringValue.of(b("x")), Entry.NO_EXPIRY));
    }

    @Test
    void usedMemoryCountsHashFieldsAndTtls() {
        ks.hset(b("h"), Map.of(b("f1"), Bytes.of(new byte[1000]), b("f2"), Bytes.of(new byte[1000])));
        long hash = ks.usedMemory();
        assertThat(hash).isBetween(2000L, 2000L + 600L);
        ks.pexpire(b("h"), 1000);
        assertThat(ks.usedMemory()).isGreaterThan(hash);
        ks.persist(b("h"));
        assertThat(ks.usedMemory()).isEqualTo(hash);
        ks.hdel(b("h"), bs("f1"));
        assertThat(ks.usedMemory()).isBetween(1000L, hash - 1000);
    }

    /**
     * "Honest": the estimate is close to what the JVM really holds for the dataset (about 0.94 of
     * it on a 64-bit JVM with compressed oops when this was written). The band is wide so that GC
     * noise cannot fail the build; an estimate that forgets the per-key overhead or counts
     * values twice falls outside it.
     */
    @Test
    void usedMemoryIsCloseToTheRealHeapOfTheDataset() {
        Keyspace big = new Keyspace(KeyspaceConfig.DEFAULTS, clock, new SplittableRandom(1), WriteLog.DISCARD);
        long before = heapAfterGc();
        for (int i = 0; i < 200_000; i++) {
            Bytes k = b("key:" + i);
            if (i % 4 == 0) {
                big.hset(k, Map.of(b("a"), Bytes.of(new byte[50]), b("b"), Bytes.of(new byte[20])));
            } else {
                big.set(k, Bytes.of(new byte[100]), SetCondition.ALWAYS, i % 3 == 0 ? Ttl.inMillis(100_000) : Ttl.NONE, false);
            }
        }
        long measured = heapAfterGc() - before;
        double ratio = (double) big.usedMemory() / measured;
        java.lang.ref.Reference.reachabilityFence(big);
        assertThat(ratio).as("estimate %d / measured %d", big.usedMemory(), measured).isBetween(0.6, 1.5);
    }

    private static long heapAfterGc() {
        Runtime runtime = Runtime.getRuntime();
        for (int i = 0; i < 4; i++) {
            System.gc();
        }
        return runtime.totalMemory() - runtime.freeMemory();
    }

    @Test
    void usedMemoryReturnsToZeroWhateverRemovedTheKeys() {
        ks.set(b("del"), VALUE);
        ks.set(b("getdel"), VALUE);
        ks.hset(b("hash"), Map.of(b("a"), VALUE, b("b"), b("1")));
        ks.hincrBy(b("hash"), b("b"), 5);
        ks.append(b("append"), VALUE);
        ks.append(b("append"), VALUE);
        ks.incrBy(b("counter"), 12);
        ks.set(b("expire0"), VALUE);
        ks.set(b("lazy"), VALUE, SetCondition.ALWAYS, Ttl.inMillis(5), false);
        ks.set(b("active"), VALUE, SetCondition.ALWAYS, Ttl.inMillis(5), false);
        ks.set(b("pxat"), VALUE);
        ks.mset(Map.of(b("m1"), VALUE, b("m2"), VALUE));
        assertThat(ks.usedMemory()).isGreaterThan(10 * 100L);

        clock.advance(6);
        ks.del(bs("del", "m1", "m2", "counter", "append"));
        ks.getDel(b("getdel"));
        ks.hdel(b("hash"), bs("a", "b"));
        ks.expire(b("expire0"), 0);
        ks.get(b("lazy"));
        ks.set(b("pxat"), VALUE, SetCondition.ALWAYS, Ttl.atMillis(1), false);
        while (ks.dbSize() > 0) {
            ks.activeExpireCycle();
        }
        assertThat(ks.contents()).isEmpty();
        assertThat(ks.usedMemory()).isZero();
        assertThat(ks.stats()).isEqualTo(new KeyspaceStats(0, 0, 0, 2, 0));

        ks.set(b("again"), VALUE);
        ks.flushAll();
        assertThat(ks.usedMemory()).isZero();
    }
}
