package dev.replcache.keyspace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.replcache.testing.Gen;
import dev.replcache.testing.PropertyCheck;
import dev.replcache.testing.PropertyCheck.Shrinker;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * "Apply the writes" equals "replay the entries" (invariants 1 and 2 of docs/architecture.md): a
 * master runs random commands - with a clock that jumps, TTLs, lazy and active expiry, eviction
 * under max-memory - and a replica that applies its log (through the codec) holds the same dataset
 * after every command, hides exactly the keys whose TTL passed, and produces a byte-identical
 * stream of its own (what cascading replicas rely on).
 */
class ReplayProperties {

    /** The commands the generator picks from: every write, the reads that expire lazily, and the active cycle. */
    enum Kind {
        SET, SET_EX, SET_PXAT, SET_NX, SET_XX, SET_KEEPTTL, SET_GET,
        GET, GETDEL, DEL, EXISTS, MGET, MSET, INCRBY, APPEND,
        EXPIRE, PEXPIRE, PEXPIREAT, PERSIST, TTL,
        HSET, HDEL, HINCRBY, HGET, HGETALL,
        SCAN, ACTIVE_EXPIRE, FLUSHALL
    }

    /**
     * One step: advance the clock by {@code advanceMs}, then run {@code kind} on key number
     * {@code key} (and {@code otherKey} for multi-key commands) with the given field, amount and value.
     */
    record Op(Kind kind, int key, int otherKey, int field, long amount, String value, int advanceMs) {
    }

    private static final int KEYS = 6;

    private static final Kind[] ALL_BUT_FLUSHALL = java.util.Arrays.stream(Kind.values())
            .filter(k -> k != Kind.FLUSHALL).toArray(Kind[]::new);

    private static Op op(Gen gen) {
        Kind kind = switch (gen.weighted(40, 8, 6, 6, 1)) {
            case 0 -> gen.pick(ALL_BUT_FLUSHALL);
            case 1 -> gen.pick(Kind.SET_EX, Kind.PEXPIRE, Kind.SET_PXAT);
            case 2 -> gen.pick(Kind.GET, Kind.ACTIVE_EXPIRE);
            case 3 -> gen.pick(Kind.HSET, Kind.HINCRBY, Kind.INCRBY, Kind.APPEND);
            // FLUSHALL wipes everything: rare, so that sequences build up state.
            default -> Kind.FLUSHALL;
        };
        long amount = switch (gen.weighted(10, 2, 1)) {
            case 0 -> gen.longBetween(-50, 400);
            case 1 -> gen.longBetween(1000, 100_000);
            default -> gen.pick(0L, Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE / 1000 + 1);
        };
        String value = gen.weighted(4, 1) == 0
                ? gen.pick("", "0", "1", "42", "-7", "x", "hello", "01", "9223372036854775807")
                : gen.anyString(40);
        int advanceMs = switch (gen.weighted(3, 6, 1)) {
            case 0 -> 0;
            case 1 -> gen.intBetween(1, 30);
            default -> gen.intBetween(100, 1000);
        };
        return new Op(kind, gen.intBetween(0, KEYS - 1), gen.intBetween(0, KEYS - 1), gen.intBetween(0, 3),
                amount, value, advanceMs);
    }

    private static final List<KeyspaceConfig> CONFIGS;

    static {
        KeyspaceConfig small = KeyspaceConfig.DEFAULTS.withSegments(16);
        // ~1000 bytes hold 3-4 of these keys: eviction (or OOM) happens often.
        CONFIGS = List.of(
                small,
                small.withSegments(1),
                small.withMaxMemory(1000, EvictionPolicy.NOEVICTION),
                small.withMaxMemory(1000, EvictionPolicy.ALLKEYS_LRU),
                small.withMaxMemory(1000, EvictionPolicy.ALLKEYS_RANDOM),
                small.withMaxMemory(1000, EvictionPolicy.VOLATILE_LRU),
                small.withMaxMemory(1000, EvictionPolicy.VOLATILE_RANDOM),
                small.withMaxMemory(1000, EvictionPolicy.VOLATILE_TTL),
                new KeyspaceConfig(4, 0, EvictionPolicy.NOEVICTION, 5, 1, 1));
    }

    /** One try: a keyspace configuration, 1-150 commands (the length uniform: state and expiry need long runs), a seed. */
    record Run(KeyspaceConfig config, List<Op> ops, long seed) {
    }

    private static final int TRIES = 400;

    @Test
    void aReplicaThatAppliesTheLogHoldsTheMastersDataset() {
        AtomicInteger expired = new AtomicInteger();
        AtomicInteger evicted = new AtomicInteger();
        Shrinker<Run> fewerOps = Shrinker.<Op>list().onPart(Run::ops, (run, ops) -> new Run(run.config(), ops, run.seed()));
        PropertyCheck.forAll("aReplicaThatAppliesTheLogHoldsTheMastersDataset", TRIES,
                gen -> new Run(gen.pick(CONFIGS), gen.listOf(1, 150, ReplayProperties::op), gen.anyLong()),
                fewerOps, run -> {
                    Keyspace master = replayAndCompare(run.config(), run.ops(), run.seed());
                    if (master.stats().expiredKeys() > 0) {
                        expired.incrementAndGet();
                    }
                    if (master.stats().evictedKeys() > 0) {
                        evicted.incrementAndGet();
                    }
                });
        if (!PropertyCheck.replaying()) {
            // The generator must reach expiry and eviction often, or the property proves little about them.
            assertThat(expired.get()).as("tries with lazy or active expiry").isGreaterThan(TRIES * 20 / 100);
            assertThat(evicted.get()).as("tries with eviction").isGreaterThan(TRIES * 5 / 100);
        }
    }

    /** Runs {@code ops} on a master, ships its log to a replica after each, checks both; returns the master. */
    private static Keyspace replayAndCompare(KeyspaceConfig config, List<Op> ops, long seed) {
        ManualClock clock = new ManualClock();
        RecordingWriteLog masterLog = new RecordingWriteLog();
        Keyspace master = new Keyspace(config, clock, new SplittableRandom(seed), masterLog);
        RecordingWriteLog replicaLog = new RecordingWriteLog();
        // The replica shares the master's clock only so that its reads can be compared; apply never reads it.
        Keyspace replica = new Keyspace(config, clock, new SplittableRandom(seed + 1), replicaLog);
        replica.setRole(KeyspaceRole.REPLICA);

        int shipped = 0;
        for (Op op : ops) {
            clock.advance(op.advanceMs());
            run(master, op, clock);
            List<CommandEntry> log = masterLog.entries();
            for (; shipped < log.size(); shipped++) {
                replica.apply(EntryCodec.decode(EntryCodec.encode(log.get(shipped))));
            }
            Map<Bytes, Entry> expected = master.contents();
            assertThat(replica.contents()).as("after %s", op).isEqualTo(expected);
            assertReplicaHidesExactlyTheExpiredKeys(replica, expected, clock.millis());
        }

        // The literal statement: replay the whole list on a fresh replica.
        Keyspace fresh = new Keyspace(config, new ManualClock(0), new SplittableRandom(7), WriteLog.DISCARD);
        fresh.setRole(KeyspaceRole.REPLICA);
        byte[] masterStream = CommandEntryGen.encodeAll(masterLog.entries());
        for (CommandEntry e : EntryCodec.decodeAll(masterStream)) {
            fresh.apply(e);
        }
        Map<Bytes, Entry> finalContents = master.contents();
        assertThat(fresh.contents()).isEqualTo(finalContents);
        // Same bytes, hence the same offsets, on both sides of the link.
        assertThat(CommandEntryGen.encodeAll(replicaLog.entries())).isEqualTo(masterStream);
        // Memory accounting follows the data, not the history that built it.
        assertThat(fresh.usedMemory()).isEqualTo(master.usedMemory());
        assertThat(master.usedMemory()).isEqualTo(KeyspaceTestBase.estimateOf(finalContents));
        assertThat(fresh.stats().keys()).isEqualTo(master.stats().keys());
        assertThat(fresh.stats().expires()).isEqualTo(master.stats().expires());
        return master;
    }

    private static void assertReplicaHidesExactlyTheExpiredKeys(Keyspace replica, Map<Bytes, Entry> contents, long now) {
        for (int i = 0; i < KEYS; i++) {
            Bytes key = key(i);
            Entry e = contents.get(key);
            boolean visible = e != null && !e.isExpiredAt(now);
            assertThat(replica.exists(List.of(key))).as("EXISTS %s on the replica", key).isEqualTo(visible ? 1 : 0);
        }
    }

    private static Bytes key(int i) {
        return Bytes.utf8("key:" + i);
    }

    private static Bytes field(int i) {
        return Bytes.utf8("f" + i);
    }

    /** Runs one command; the errors Redis would reply with are part of the game. */
    private static void run(Keyspace ks, Op op, ManualClock clock) {
        Bytes k = key(op.key());
        Bytes other = key(op.otherKey());
        Bytes v = Bytes.utf8(op.value());
        long now = clock.millis();
        try {
            switch (op.kind()) {
                case SET -> ks.set(k, v);
                case SET_EX -> ks.set(k, v, SetCondition.ALWAYS, Ttl.inMillis(op.amount()), false);
                case SET_PXAT -> ks.set(k, v, SetCondition.ALWAYS, Ttl.atMillis(now + op.amount()), false);
                case SET_NX -> ks.set(k, v, SetCondition.IF_ABSENT, ttlOf(op), false);
                case SET_XX -> ks.set(k, v, SetCondition.IF_PRESENT, ttlOf(op), true);
                case SET_KEEPTTL -> ks.set(k, v, SetCondition.ALWAYS, Ttl.KEEP, false);
                case SET_GET -> ks.set(k, v, SetCondition.ALWAYS, Ttl.NONE, true);
                case GET -> ks.get(k);
                case GETDEL -> ks.getDel(k);
                case DEL -> ks.del(List.of(k, other));
                case EXISTS -> ks.exists(List.of(k, other, k));
                case MGET -> ks.mget(List.of(k, other));
                case MSET -> {
                    Map<Bytes, Bytes> pairs = new LinkedHashMap<>();
                    pairs.put(k, v);
                    pairs.put(other, Bytes.utf8(op.value() + "!"));
                    ks.mset(pairs);
                }
                case INCRBY -> ks.incrBy(k, op.amount());
                case APPEND -> ks.append(k, v);
                case EXPIRE -> ks.expire(k, op.amount() / 100);
                case PEXPIRE -> ks.pexpire(k, op.amount());
                case PEXPIREAT -> ks.pexpireAt(k, now + op.amount());
                case PERSIST -> ks.persist(k);
                case TTL -> ks.ttl(k);
                case HSET -> {
                    Map<Bytes, Bytes> fields = new LinkedHashMap<>();
                    fields.put(field(op.field()), v);
                    if (op.amount() % 2 == 0) {
                        fields.put(field((op.field() + 1) % 4), Bytes.utf8("7"));
                    }
                    ks.hset(k, fields);
                }
                case HDEL -> ks.hdel(k, List.of(field(op.field()), field((op.field() + 1) % 4)));
                case HINCRBY -> ks.hincrBy(k, field(op.field()), op.amount());
                case HGET -> ks.hget(k, field(op.field()));
                case HGETALL -> ks.hgetAll(k);
                case SCAN -> {
                    long cursor = 0;
                    do {
                        cursor = ks.scan(cursor, null, 2).nextCursor();
                    } while (cursor != 0);
                }
                case ACTIVE_EXPIRE -> ks.activeExpireCycle();
                case FLUSHALL -> ks.flushAll();
                default -> throw new AssertionError(op.kind());
            }
        } catch (KeyspaceException expected) {
            // WRONGTYPE, NOT_INTEGER, OVERFLOW, INVALID_EXPIRE, OOM: a refused command must leave
            // the dataset as its log says (an expiry's or an eviction's DEL may come before the
            // refusal), which the comparison with the replica checks.
        }
    }

    private static Ttl ttlOf(Op op) {
        return op.amount() > 0 && op.amount() < 1000 ? Ttl.inMillis(op.amount()) : Ttl.NONE;
    }
}
