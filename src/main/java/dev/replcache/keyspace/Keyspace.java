package dev.replcache.keyspace;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * The dataset: a segmented concurrent map from keys to {@link Entry}, with Redis's commands.
 *
 * <p><b>Concurrency.</b> Writes are serialized by one write lock, Redis's single writer lane:
 * each write is applied and its {@link CommandEntry} appended to the {@link WriteLog} inside
 * the same critical section, so the log order is the apply order. Reads take no lock: segments
 * are {@link SegmentMap}s (one writer, lock-free readers) and entries are immutable. (A read that finds a key whose TTL
 * has passed on a master takes the lock to delete it, as Redis expires lazily on access.)
 *
 * <p><b>Segments.</b> Each segment carries a version bumped by every change. Segments are the
 * unit of SCAN pages and of copy-on-write during a {@link KeyspaceSnapshot}.
 *
 * <p><b>Time.</b> Only through the injected {@link MillisClock}. On a {@link KeyspaceRole#REPLICA}
 * nothing is removed by time: expired keys are hidden until the master's DEL arrives.
 */
public final class Keyspace {

    private static final int DEFAULT_SCAN_COUNT = 10;
    /** Spins before a writer parks on the write lock: each a CPU pause of tens of nanoseconds. */
    private static final int LOCK_SPINS = 128;
    /** Slots of a new segment table: 256 segments x 64 slots is 64 KiB of references. */
    private static final int INITIAL_SEGMENT_CAPACITY = 64;

    private final KeyspaceConfig config;
    private final MillisClock clock;
    private final RandomGenerator random;
    private final WriteLog writeLog;
    private final Segment[] segments;
    private final int mask;
    private final ReentrantLock writeLock = new ReentrantLock();

    // Guarded by writeLock.
    /** Every key, for the allkeys-* eviction policies only: the others never sample it (8% of a SET's CPU). */
    private final SampleSet allKeys = new SampleSet();
    private final boolean tracksAllKeys;
    private final SampleSet volatileKeys = new SampleSet();
    private final List<KeyspaceSnapshot> activeSnapshots = new ArrayList<>(2);

    // Written under writeLock, read without it.
    private volatile long usedMemory;
    private volatile long expiredKeys;
    private volatile long evictedKeys;
    private volatile KeyspaceRole role = KeyspaceRole.MASTER;
    /** Client writes refused and nothing removed by time (a failover hands over at a fixed offset). */
    private volatile boolean writesPaused;
    /** Whether the node may extend its history by time now (see {@link #setTimeDeletionGuard}). */
    private volatile java.util.function.BooleanSupplier timeDeletionGuard = () -> true;

    private static final class Segment {
        final int index;
        final SegmentMap map;
        /** Bumped by every change, under the write lock. */
        volatile long version;

        Segment(int index, int hashShift) {
            this.index = index;
            this.map = new SegmentMap(INITIAL_SEGMENT_CAPACITY, hashShift);
        }
    }

    public Keyspace(KeyspaceConfig config, MillisClock clock, RandomGenerator random, WriteLog writeLog) {
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
        this.writeLog = Objects.requireNonNull(writeLog, "writeLog");
        this.segments = new Segment[config.segments()];
        for (int i = 0; i < segments.length; i++) {
            // The segment is the hash's low bits; its table uses the bits above them.
            segments[i] = new Segment(i, Integer.numberOfTrailingZeros(segments.length));
        }
        this.mask = segments.length - 1;
        EvictionPolicy policy = config.evictionPolicy();
        this.tracksAllKeys = policy != EvictionPolicy.NOEVICTION && !policy.volatileOnly();
    }

    public KeyspaceConfig config() {
        return config;
    }

    public KeyspaceRole role() {
        return role;
    }

    /**
     * Under the write lock: once a demotion to REPLICA returns, no client write lands any more
     * (one that got the lock first is applied and logged before it), and every later one gets
     * {@link KeyspaceException.Kind#READONLY}. Entries from a master still apply.
     */
    public void setRole(KeyspaceRole role) {
        Objects.requireNonNull(role, "role");
        writeLock.lock();
        try {
            this.role = role;
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Stops client writes, and removals by time, at an exact point: once this returns no write
     * lands until {@link #resumeWrites()}, so the log's offset stays where it is (the master side
     * of a coordinated failover, Redis's {@code CLIENT PAUSE WRITE}). Entries from a master still
     * apply. Refused writes get {@link KeyspaceException.Kind#PAUSED}; expired keys are hidden.
     */
    public void pauseWrites() {
        writeLock.lock();
        try {
            writesPaused = true;
        } finally {
            writeLock.unlock();
        }
    }

    public void resumeWrites() {
        writesPaused = false;
    }

    public boolean writesPaused() {
        return writesPaused;
    }

    /** Client writes only: a master's keyspace, not paused, decided under the lock the write then holds. */
    private void lockForClientWrite() {
        lockWrites();
        if (role != KeyspaceRole.MASTER) {
            writeLock.unlock();
            throw new KeyspaceException(KeyspaceException.Kind.READONLY);
        }
        if (writesPaused) {
            writeLock.unlock();
            throw new KeyspaceException(KeyspaceException.Kind.PAUSED);
        }
    }

    /** Whether this keyspace deletes expired keys and evicts: a master that is not paused. */
    private boolean deletesByTime() {
        return role == KeyspaceRole.MASTER && !writesPaused && timeDeletionGuard.getAsBoolean();
    }

    /**
     * A master that may not extend its history now (failover.mode=lease without a fresh lease: a
     * deposed or not yet elected master) neither expires nor evicts: it hides expired keys, as a
     * replica does, so that no DEL of its own lands past what the elected master has.
     */
    public void setTimeDeletionGuard(java.util.function.BooleanSupplier allowed) {
        this.timeDeletionGuard = Objects.requireNonNull(allowed, "allowed");
    }

    // ------------------------------------------------------------------ strings

    /** GET: the value, or null when the key is missing. WRONGTYPE for a hash. */
    public Bytes get(Bytes key) {
        Entry e = readEntry(key);
        return e == null ? null : asString(e);
    }

    /** SET key value [NX|XX] [GET] [EX|PX|EXAT|PXAT|KEEPTTL]. */
    public SetResult set(Bytes key, Bytes value, SetCondition condition, Ttl ttl, boolean returnPrevious) {
        long now = clock.millis();
        long explicitExpireAt = resolveExpireAt(ttl, now, "set");
        boolean overwrite = condition == SetCondition.ALWAYS && !returnPrevious && ttl.kind() != Ttl.Kind.KEEP
                && (explicitExpireAt == Entry.NO_EXPIRY || now <= explicitExpireAt);
        lockForClientWrite();
        try {
            ensureMemoryForWrite();
            Segment s = segmentFor(key);
            if (overwrite) {
                overwrite(s, key, value, explicitExpireAt, now);
                return SetResult.WRITTEN;
            }
            Entry old = liveEntry(s, key, now);
            Bytes previous = null;
            if (returnPrevious && old != null) {
                previous = asString(old);
            }
            if ((condition == SetCondition.IF_ABSENT && old != null)
                    || (condition == SetCondition.IF_PRESENT && old == null)) {
                return new SetResult(false, previous);
            }
            long expireAt = ttl.kind() == Ttl.Kind.KEEP
                    ? (old == null ? Entry.NO_EXPIRY : old.expireAtMs())
                    : explicitExpireAt;
            if (expireAt != Entry.NO_EXPIRY && now > expireAt) {
                // Already expired (a PXAT in the past): as Redis 7 does, the key is removed and a DEL sent.
                if (old != null) {
                    remove(s, key);
                    writeLog.append(CommandEntry.Del.of(key));
                }
                return new SetResult(true, previous);
            }
            store(s, key, new Entry(StringValue.of(value), expireAt, now));
            writeLog.append(new CommandEntry.Set(key, value, expireAt));
            return new SetResult(true, previous);
        } finally {
            writeLock.unlock();
        }
    }

    /** SET key value with no options. */
    public void set(Bytes key, Bytes value) {
        set(key, value, SetCondition.ALWAYS, Ttl.NONE, false);
    }

    /** GETDEL: the value, removed; null when missing. */
    public Bytes getDel(Bytes key) {
        long now = clock.millis();
        lockForClientWrite();
        try {
            Segment s = segmentFor(key);
            Entry e = liveEntry(s, key, now);
            if (e == null) {
                return null;
            }
            Bytes value = asString(e);
            remove(s, key);
            writeLog.append(CommandEntry.Del.of(key));
            return value;
        } finally {
            writeLock.unlock();
        }
    }

    /** MGET: one slot per key, null for a missing key or a key of another type (as Redis). */
    public List<Bytes> mget(List<Bytes> keys) {
        List<Bytes> values = new ArrayList<>(keys.size());
        for (Bytes key : keys) {
            Entry e = readEntry(key);
            byte[] data = e == null ? null : e.stringArray();
            values.add(data == null ? null : Bytes.of(data));
        }
        return values;
    }

    /** MSET: sets every pair, clearing their TTLs; all pairs are applied in one critical section. */
    public void mset(Map<Bytes, Bytes> pairs) {
        long now = clock.millis();
        lockForClientWrite();
        try {
            ensureMemoryForWrite();
            for (Bytes key : pairs.keySet()) {
                liveEntry(segmentFor(key), key, now); // an expired key's DEL goes first
            }
            storeStrings(pairs, now);
            logMSet(pairs);
        } finally {
            writeLock.unlock();
        }
    }

    /** INCRBY (INCR, DECR and DECRBY are this with +1, -1 and -n). Keeps the key's TTL. */
    public long incrBy(Bytes key, long by) {
        long now = clock.millis();
        lockForClientWrite();
        try {
            ensureMemoryForWrite();
            Segment s = segmentFor(key);
            Entry old = liveEntry(s, key, now);
            long current = old == null ? 0 : parseLong(asString(old), KeyspaceException.Kind.NOT_INTEGER);
            long result;
            try {
                result = Math.addExact(current, by);
            } catch (ArithmeticException overflow) {
                throw new KeyspaceException(KeyspaceException.Kind.OVERFLOW);
            }
            Bytes encoded = Bytes.of(Long.toString(result).getBytes(StandardCharsets.US_ASCII));
            setKeepingTtl(s, key, old, encoded, now);
            return result;
        } finally {
            writeLock.unlock();
        }
    }

    /** APPEND: the length of the string after the append. */
    public long append(Bytes key, Bytes suffix) {
        return append(key, suffix, Integer.MAX_VALUE);
    }

    /**
     * APPEND with a bound on the result, checked under the write lock so concurrent appends
     * cannot together pass it.
     *
     * @throws KeyspaceException STRING_TOO_LONG when the result would exceed {@code maxLength}
     */
    public long append(Bytes key, Bytes suffix, long maxLength) {
        long now = clock.millis();
        lockForClientWrite();
        try {
            ensureMemoryForWrite();
            Segment s = segmentFor(key);
            Entry old = liveEntry(s, key, now);
            long oldLength = old == null ? 0 : asString(old).length();
            if (oldLength + suffix.length() > maxLength) {
                throw new KeyspaceException(KeyspaceException.Kind.STRING_TOO_LONG);
            }
            Bytes result = old == null ? suffix : asString(old).concat(suffix);
            long expireAt = old == null ? Entry.NO_EXPIRY : old.expireAtMs();
            store(s, key, new Entry(StringValue.of(result), expireAt, now));
            writeLog.append(new CommandEntry.Append(key, suffix));
            return result.length();
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * GETEX key [EX|PX|EXAT|PXAT|PERSIST]: the value, and its TTL changed in the same critical
     * section. Travels as the entries an EXPIRE or PERSIST would (PEXPIREAT, PERSIST, or DEL for a
     * time already past), as Redis propagates GETEX. {@code ttl} NONE with {@code persist} false
     * changes nothing.
     */
    public Bytes getEx(Bytes key, Ttl ttl, boolean persist) {
        long now = clock.millis();
        long at = resolveExpireAt(ttl, now, "getex"); // NO_EXPIRY for NONE and KEEP
        lockForClientWrite();
        try {
            Segment s = segmentFor(key);
            Entry e = liveEntry(s, key, now);
            if (e == null) {
                return null;
            }
            Bytes value = asString(e);
            if (at != Entry.NO_EXPIRY) {
                if (at <= now) {
                    remove(s, key);
                    writeLog.append(CommandEntry.Del.of(key));
                } else {
                    store(s, key, new Entry(e.value(), at, now));
                    writeLog.append(new CommandEntry.PExpireAt(key, at));
                }
            } else if (persist && e.hasExpiry()) {
                store(s, key, new Entry(e.value(), Entry.NO_EXPIRY, now));
                writeLog.append(new CommandEntry.Persist(key));
            }
            return value;
        } finally {
            writeLock.unlock();
        }
    }

    /** MSETNX: sets every pair (clearing TTLs) only if none of the keys exists; true when it did. */
    public boolean msetNx(Map<Bytes, Bytes> pairs) {
        long now = clock.millis();
        lockForClientWrite();
        try {
            ensureMemoryForWrite();
            for (Bytes key : pairs.keySet()) {
                if (liveEntry(segmentFor(key), key, now) != null) {
                    return false;
                }
            }
            storeStrings(pairs, now);
            logMSet(pairs);
            return true;
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * INCRBYFLOAT: the new value, as Redis formats it (at most 17 significant digits, no exponent,
     * no trailing zeros). The sum is exact decimal arithmetic rounded to 17 digits, where Redis
     * adds long doubles; the two agree except in the last digit of rare cases. Keeps the TTL and
     * travels as the resulting SET, as Redis propagates it (SET KEEPTTL).
     */
    public Bytes incrByFloat(Bytes key, java.math.BigDecimal by) {
        long now = clock.millis();
        lockForClientWrite();
        try {
            ensureMemoryForWrite();
            Segment s = segmentFor(key);
            Entry old = liveEntry(s, key, now);
            java.math.BigDecimal current = old == null ? java.math.BigDecimal.ZERO : parseFloat(asString(old));
            java.math.BigDecimal sum = current.add(by).round(new java.math.MathContext(17));
            if (Double.isInfinite(sum.doubleValue())) {
                throw new KeyspaceException(KeyspaceException.Kind.SYNTAX, "ERR increment would produce NaN or Infinity");
            }
            String text = sum.signum() == 0 ? "0" : sum.stripTrailingZeros().toPlainString();
            Bytes encoded = Bytes.of(text.getBytes(StandardCharsets.US_ASCII));
            setKeepingTtl(s, key, old, encoded, now);
            return encoded;
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * A float as INCRBYFLOAT accepts it (Redis's {@code string2ld}): decimal or exponent notation,
     * no spaces, not NaN or infinite.
     */
    public static java.math.BigDecimal parseFloat(Bytes b) {
        String s = new String(b.unsafeArray(), StandardCharsets.US_ASCII);
        if (s.isEmpty() || s.length() > 5000 || Character.isWhitespace(s.charAt(0))
                || Character.isWhitespace(s.charAt(s.length() - 1))) {
            throw new KeyspaceException(KeyspaceException.Kind.SYNTAX, "ERR value is not a valid float");
        }
        try {
            java.math.BigDecimal v = new java.math.BigDecimal(s);
            if (Double.isInfinite(v.doubleValue())) {
                throw new KeyspaceException(KeyspaceException.Kind.SYNTAX, "ERR value is not a valid float");
            }
            return v;
        } catch (NumberFormatException e) {
            throw new KeyspaceException(KeyspaceException.Kind.SYNTAX, "ERR value is not a valid float");
        }
    }

    /**
     * SETRANGE key offset value: the length after overwriting from {@code offset} (zero-padded),
     * bounded by {@code maxLength} under the write lock. Keeps the TTL. Travels as the resulting
     * SET with the key's expiry, as INCRBY does: deterministic, at the cost of sending the whole
     * string.
     */
    public long setRange(Bytes key, long offset, Bytes value, long maxLength) {
        if (offset < 0) {
            throw new KeyspaceException(KeyspaceException.Kind.SYNTAX, "ERR offset is out of range");
        }
        long now = clock.millis();
        lockForClientWrite();
        try {
            Segment s = segmentFor(key);
            Entry old = liveEntry(s, key, now);
            Bytes current = old == null ? Bytes.EMPTY : asString(old);
            if (value.length() == 0) {
                return current.length(); // nothing written, no key made (as Redis)
            }
            if (offset + value.length() > maxLength) {
                throw new KeyspaceException(KeyspaceException.Kind.STRING_TOO_LONG);
            }
            ensureMemoryForWrite();
            int newLength = (int) Math.max(current.length(), offset + value.length());
            byte[] result = java.util.Arrays.copyOf(current.unsafeArray(), newLength);
            System.arraycopy(value.unsafeArray(), 0, result, (int) offset, value.length());
            Bytes encoded = Bytes.of(result);
            setKeepingTtl(s, key, old, encoded, now);
            return newLength;
        } finally {
            writeLock.unlock();
        }
    }

    // ------------------------------------------------------------------ generic key commands

    /**
     * RENAME / RENAMENX: moves the value and TTL of {@code source} to {@code target} in one
     * critical section. Travels as existing entries in one contiguous run: DEL of both keys, then
     * the target rebuilt (SET with the expiry for a string; HSET then PEXPIREAT for a hash).
     *
     * @return false when {@code onlyIfAbsent} and the target exists
     * @throws KeyspaceException {@code ERR no such key} when the source is missing
     */
    public boolean rename(Bytes source, Bytes target, boolean onlyIfAbsent) {
        long now = clock.millis();
        lockForClientWrite();
        try {
            Segment src = segmentFor(source);
            Entry e = liveEntry(src, source, now);
            if (e == null) {
                throw new KeyspaceException(KeyspaceException.Kind.SYNTAX, "ERR no such key");
            }
            Segment dst = segmentFor(target);
            Entry existing = liveEntry(dst, target, now);
            if (source.equals(target)) {
                return !onlyIfAbsent;
            }
            if (onlyIfAbsent && existing != null) {
                return false;
            }
            remove(src, source);
            remove(dst, target);
            writeLog.append(new CommandEntry.Del(existing == null ? List.of(source) : List.of(source, target)));
            store(dst, target, new Entry(e.value(), e.expireAtMs(), e.lastAccessMs()));
            if (e.value() instanceof StringValue sv) {
                writeLog.append(new CommandEntry.Set(target, sv.bytes(), e.expireAtMs()));
            } else if (e.value() instanceof HashValue hv) {
                writeLog.append(new CommandEntry.HSet(target, hv.fields()));
                if (e.hasExpiry()) {
                    writeLog.append(new CommandEntry.PExpireAt(target, e.expireAtMs()));
                }
            } else {
                throw new AssertionError("no rename for " + e.value());
            }
            return true;
        } finally {
            writeLock.unlock();
        }
    }


    /** DEL: how many of the keys existed and were removed. */
    public long del(List<Bytes> keys) {
        long now = clock.millis();
        lockForClientWrite();
        try {
            List<Bytes> removed = new ArrayList<>();
            for (Bytes key : keys) {
                Segment s = segmentFor(key);
                if (liveEntry(s, key, now) != null) {
                    remove(s, key);
                    removed.add(key);
                }
            }
            if (!removed.isEmpty()) {
                writeLog.append(new CommandEntry.Del(removed));
            }
            return removed.size();
        } finally {
            writeLock.unlock();
        }
    }

    /** EXISTS: how many of the keys exist (a key named twice counts twice, as in Redis). */
    public long exists(List<Bytes> keys) {
        long n = 0;
        for (Bytes key : keys) {
            if (readEntry(key) != null) {
                n++;
            }
        }
        return n;
    }

    /** The type of a key, or null when missing. */
    public ValueType type(Bytes key) {
        Entry e = readEntry(key);
        return e == null ? null : e.value().type();
    }

    /** EXPIRE key seconds. A time that is not in the future deletes the key (as Redis). */
    public boolean expire(Bytes key, long seconds) {
        return pexpire(key, multiplyForExpire(seconds, "expire"));
    }

    /** PEXPIRE key milliseconds. */
    public boolean pexpire(Bytes key, long millis) {
        long now = clock.millis();
        long at;
        try {
            at = Math.addExact(now, millis);
        } catch (ArithmeticException overflow) {
            throw invalidExpire("pexpire");
        }
        return expireAtInternal(key, at, now);
    }

    /** EXPIREAT key unix-seconds. */
    public boolean expireAt(Bytes key, long unixSeconds) {
        return pexpireAt(key, multiplyForExpire(unixSeconds, "expireat"));
    }

    /** PEXPIREAT key unix-milliseconds. */
    public boolean pexpireAt(Bytes key, long unixMillis) {
        return expireAtInternal(key, unixMillis, clock.millis());
    }

    /**
     * Redis 7's EXPIRE options: NX (only without a TTL), XX (only with one), GT / LT (only when the
     * new time is later / earlier; a key without a TTL counts as infinite). Checked before a time
     * in the past deletes the key, as Redis checks them.
     */
    public record ExpireCondition(boolean nx, boolean xx, boolean gt, boolean lt) {
        public static final ExpireCondition ALWAYS = new ExpireCondition(false, false, false, false);

        boolean allows(Entry e, long at) {
            boolean volatileKey = e.hasExpiry();
            return !(nx && volatileKey) && !(xx && !volatileKey)
                    && !(gt && (!volatileKey || at <= e.expireAtMs()))
                    && !(lt && volatileKey && at >= e.expireAtMs());
        }
    }

    /**
     * EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT with Redis 7's options: {@code amount} in
     * {@code unitMs} (1000 for seconds, 1 for ms), relative to now or absolute Unix time.
     */
    public boolean expire(Bytes key, long amount, long unitMs, boolean relative, ExpireCondition condition,
                          String command) {
        long now = clock.millis();
        long at;
        try {
            long ms = Math.multiplyExact(amount, unitMs);
            at = relative ? Math.addExact(now, ms) : ms;
        } catch (ArithmeticException overflow) {
            throw invalidExpire(command);
        }
        return expireAtInternal(key, at, now, condition);
    }

    private boolean expireAtInternal(Bytes key, long at, long now) {
        return expireAtInternal(key, at, now, ExpireCondition.ALWAYS);
    }

    private boolean expireAtInternal(Bytes key, long at, long now, ExpireCondition condition) {
        lockForClientWrite();
        try {
            Segment s = segmentFor(key);
            Entry e = liveEntry(s, key, now);
            if (e == null || !condition.allows(e, at)) {
                return false;
            }
            if (at <= now) {
                remove(s, key);
                writeLog.append(CommandEntry.Del.of(key));
                return true;
            }
            store(s, key, new Entry(e.value(), at, e.lastAccessMs()));
            writeLog.append(new CommandEntry.PExpireAt(key, at));
            return true;
        } finally {
            writeLock.unlock();
        }
    }

    /** PERSIST: true when the key had a TTL and now has none. */
    public boolean persist(Bytes key) {
        long now = clock.millis();
        lockForClientWrite();
        try {
            Segment s = segmentFor(key);
            Entry e = liveEntry(s, key, now);
            if (e == null || !e.hasExpiry()) {
                return false;
            }
            store(s, key, new Entry(e.value(), Entry.NO_EXPIRY, e.lastAccessMs()));
            writeLog.append(new CommandEntry.Persist(key));
            return true;
        } finally {
            writeLock.unlock();
        }
    }

    /** PTTL: milliseconds left, -1 for no TTL, -2 for a missing key. */
    public long pttl(Bytes key) {
        Entry e = readEntry(key);
        if (e == null) {
            return -2;
        }
        if (!e.hasExpiry()) {
            return -1;
        }
        return Math.max(0, e.expireAtMs() - clock.millis());
    }

    /** TTL: seconds left, rounded as Redis rounds; -1 and -2 as {@link #pttl}. */
    public long ttl(Bytes key) {
        long ms = pttl(key);
        return ms < 0 ? ms : (ms + 500) / 1000;
    }

    /** The absolute expiry of a key, {@link Entry#NO_EXPIRY}, or -2 for a missing key (PEXPIRETIME). */
    public long pexpireTime(Bytes key) {
        Entry e = readEntry(key);
        return e == null ? -2 : e.expireAtMs();
    }

    // ------------------------------------------------------------------ hashes

    /** HSET: how many fields were new. */
    public long hset(Bytes key, Map<Bytes, Bytes> fields) {
        if (fields.isEmpty()) {
            throw new KeyspaceException(KeyspaceException.Kind.SYNTAX, "ERR wrong number of arguments for 'hset' command");
        }
        long now = clock.millis();
        lockForClientWrite();
        try {
            ensureMemoryForWrite();
            Segment s = segmentFor(key);
            Entry old = liveEntry(s, key, now);
            HashValue hash = old == null ? HashValue.of(Map.of()) : asHash(old);
            long added = fields.keySet().stream().filter(f -> hash.get(f) == null).count();
            long expireAt = old == null ? Entry.NO_EXPIRY : old.expireAtMs();
            store(s, key, new Entry(hash.with(fields), expireAt, now));
            writeLog.append(new CommandEntry.HSet(key, fields));
            return added;
        } finally {
            writeLock.unlock();
        }
    }

    /** HGET: the field's value, or null. */
    public Bytes hget(Bytes key, Bytes field) {
        Entry e = readEntry(key);
        return e == null ? null : asHash(e).get(field);
    }

    /** HGETALL: every field; empty for a missing key. */
    public Map<Bytes, Bytes> hgetAll(Bytes key) {
        Entry e = readEntry(key);
        return e == null ? Map.of() : asHash(e).fields();
    }

    /** HDEL: how many fields were removed; the key goes away with its last field. */
    public long hdel(Bytes key, List<Bytes> fields) {
        long now = clock.millis();
        lockForClientWrite();
        try {
            Segment s = segmentFor(key);
            Entry old = liveEntry(s, key, now);
            if (old == null) {
                return 0;
            }
            HashValue hash = asHash(old);
            List<Bytes> removed = fields.stream().distinct().filter(f -> hash.get(f) != null).toList();
            if (removed.isEmpty()) {
                return 0;
            }
            applyHDel(s, key, old, hash, removed);
            writeLog.append(new CommandEntry.HDel(key, removed));
            return removed.size();
        } finally {
            writeLock.unlock();
        }
    }

    /** HINCRBY: the field's new value. */
    public long hincrBy(Bytes key, Bytes field, long by) {
        long now = clock.millis();
        lockForClientWrite();
        try {
            ensureMemoryForWrite();
            Segment s = segmentFor(key);
            Entry old = liveEntry(s, key, now);
            HashValue hash = old == null ? HashValue.of(Map.of()) : asHash(old);
            Bytes current = hash.get(field);
            long value = current == null ? 0 : parseLong(current, KeyspaceException.Kind.HASH_NOT_INTEGER);
            long result;
            try {
                result = Math.addExact(value, by);
            } catch (ArithmeticException overflow) {
                throw new KeyspaceException(KeyspaceException.Kind.OVERFLOW);
            }
            Map<Bytes, Bytes> change = Map.of(field, Bytes.of(Long.toString(result).getBytes(StandardCharsets.US_ASCII)));
            long expireAt = old == null ? Entry.NO_EXPIRY : old.expireAtMs();
            store(s, key, new Entry(hash.with(change), expireAt, now));
            writeLog.append(new CommandEntry.HSet(key, change));
            return result;
        } finally {
            writeLock.unlock();
        }
    }

    // ------------------------------------------------------------------ keyspace-wide

    /**
     * SCAN cursor [MATCH pattern] [COUNT count]. The cursor names a segment; a page holds whole
     * segments until at least {@code count} keys were examined. A key lives in one segment for
     * its whole life, and each segment is visited once per scan, so every key present for the
     * whole scan is returned exactly once, whatever else is written meanwhile.
     */
    public ScanPage scan(long cursor, Bytes pattern, int count) {
        if (cursor < 0 || cursor >= segments.length) {
            throw new KeyspaceException(KeyspaceException.Kind.SYNTAX, "ERR invalid cursor");
        }
        if (count < 1) {
            count = DEFAULT_SCAN_COUNT;
        }
        long now = clock.millis();
        Glob glob = pattern == null ? null : Glob.compile(pattern);
        List<Bytes> keys = new ArrayList<>();
        int examined = 0;
        int index = (int) cursor;
        while (index < segments.length && examined < count) {
            for (Entry head : segments[index].map.tableForReading()) {
                for (Entry e = head; e != null; e = e.next) {
                    examined++;
                    if (e.isExpiredAt(now)) {
                        continue;
                    }
                    Bytes key = e.storedKey();
                    if (glob == null || glob.matches(key)) {
                        keys.add(key);
                    }
                }
            }
            index++;
        }
        return new ScanPage(index >= segments.length ? 0 : index, keys);
    }

    /** DBSIZE: keys stored, including expired ones not yet removed (as Redis). */
    public long dbSize() {
        return stats().keys();
    }

    /** FLUSHALL. */
    public void flushAll() {
        lockForClientWrite();
        try {
            applyFlushAll();
            writeLog.append(new CommandEntry.FlushAll());
        } finally {
            writeLock.unlock();
        }
    }

    /** Keys held, logically expired ones included (DBSIZE). */
    private long keyCount() {
        long keys = 0;
        for (Segment s : segments) {
            keys += s.map.size();
        }
        return keys;
    }

    public KeyspaceStats stats() {
        long keys = keyCount();
        int expires = withLock(volatileKeys::size);
        return new KeyspaceStats(keys, expires, usedMemory, expiredKeys, evictedKeys);
    }

    /** Estimated bytes used by the dataset. */
    public long usedMemory() {
        return usedMemory;
    }

    // ------------------------------------------------------------------ expiry

    /**
     * One cycle of active expiry, as Redis's {@code activeExpireCycle}: sample keys with a TTL,
     * remove the expired ones (a DEL each), and go on while more than a quarter of a sample was
     * expired, for at most {@code activeExpireMaxLoops} loops. Does nothing on a replica.
     *
     * @return keys removed
     */
    public int activeExpireCycle() {
        if (!deletesByTime()) {
            return 0;
        }
        writeLock.lock();
        try {
            // Again under the lock: a pause or a demotion that returned while we waited for it
            // must see no DEL of ours after it.
            if (!deletesByTime()) {
                return 0;
            }
            long now = clock.millis();
            int removed = 0;
            for (int loop = 0; loop < config.activeExpireMaxLoops() && !volatileKeys.isEmpty(); loop++) {
                int samples = Math.min(config.activeExpireKeysPerLoop(), volatileKeys.size());
                int expiredInLoop = 0;
                for (int i = 0; i < samples && !volatileKeys.isEmpty(); i++) {
                    Bytes key = volatileKeys.random(random);
                    Segment s = segmentFor(key);
                    Entry e = s.map.get(key);
                    if (e != null && e.isExpiredAt(now)) {
                        deleteExpired(s, key);
                        expiredInLoop++;
                    }
                }
                removed += expiredInLoop;
                if (expiredInLoop * 4 <= samples) {
                    break;
                }
            }
            return removed;
        } finally {
            writeLock.unlock();
        }
    }

    // ------------------------------------------------------------------ replication

    /**
     * Applies an entry from the replication stream exactly as written: no clock, no eviction,
     * no expiry. The entry is appended to this keyspace's own log too, so a replica's log is
     * byte for byte its master's (what cascading replicas follow).
     *
     * @throws KeyspaceException WRONGTYPE when the entry does not fit the data: the stream and
     *                           the dataset have diverged and the caller must resync
     */
    public void apply(CommandEntry entry) {
        lockWrites();
        try {
            if (entry instanceof CommandEntry.Set set) {
                store(segmentFor(set.key()), set.key(), new Entry(StringValue.of(set.value()), set.expireAtMs(), 0));
            } else if (entry instanceof CommandEntry.Append append) {
                Segment s = segmentFor(append.key());
                Entry old = s.map.get(append.key());
                Bytes result = old == null ? append.suffix() : asString(old).concat(append.suffix());
                store(s, append.key(), new Entry(StringValue.of(result),
                        old == null ? Entry.NO_EXPIRY : old.expireAtMs(), 0));
            } else if (entry instanceof CommandEntry.Del del) {
                for (Bytes key : del.keys()) {
                    remove(segmentFor(key), key);
                }
            } else if (entry instanceof CommandEntry.PExpireAt p) {
                Segment s = segmentFor(p.key());
                Entry old = s.map.get(p.key());
                if (old != null) {
                    store(s, p.key(), new Entry(old.value(), p.expireAtMs(), old.lastAccessMs()));
                }
            } else if (entry instanceof CommandEntry.Persist p) {
                Segment s = segmentFor(p.key());
                Entry old = s.map.get(p.key());
                if (old != null && old.hasExpiry()) {
                    store(s, p.key(), new Entry(old.value(), Entry.NO_EXPIRY, old.lastAccessMs()));
                }
            } else if (entry instanceof CommandEntry.HSet h) {
                Segment s = segmentFor(h.key());
                Entry old = s.map.get(h.key());
                HashValue hash = old == null ? HashValue.of(Map.of()) : asHash(old);
                store(s, h.key(), new Entry(hash.with(h.fields()),
                        old == null ? Entry.NO_EXPIRY : old.expireAtMs(), 0));
            } else if (entry instanceof CommandEntry.HDel h) {
                Segment s = segmentFor(h.key());
                Entry old = s.map.get(h.key());
                if (old != null) {
                    applyHDel(s, h.key(), old, asHash(old), h.fields());
                }
            } else if (entry instanceof CommandEntry.MSet m) {
                storeStrings(m.pairs(), 0);
            } else if (entry instanceof CommandEntry.FlushAll) {
                applyFlushAll();
            } else {
                throw new AssertionError("no apply for " + entry);
            }
            writeLog.append(entry);
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Loads one key of a snapshot into this (fresh) keyspace: stored as is, expired or not, and
     * not logged, since it is the state at the snapshot's offset, not a write after it.
     */
    public void load(Bytes key, Entry entry) {
        writeLock.lock();
        try {
            store(segmentFor(key), key, new Entry(entry.value(), entry.expireAtMs(), 0));
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Cuts a point-in-time snapshot. {@code offsetAtCut} is read inside the write lock, so it is
     * exactly the log position of the cut. Several snapshots may be open at once (a replica's
     * full sync and a restart snapshot); each write copies a segment at most once per snapshot.
     */
    public KeyspaceSnapshot openSnapshot(LongSupplier offsetAtCut) {
        writeLock.lock();
        try {
            long[] versions = new long[segments.length];
            for (int i = 0; i < segments.length; i++) {
                versions[i] = segments[i].version;
            }
            KeyspaceSnapshot snapshot = new KeyspaceSnapshot(this, offsetAtCut.getAsLong(), clock.millis(),
                    keyCount(), volatileKeys.size(), usedMemory, versions);
            activeSnapshots.add(snapshot);
            return snapshot;
        } finally {
            writeLock.unlock();
        }
    }

    List<Map.Entry<Bytes, Entry>> walkSnapshot(KeyspaceSnapshot snapshot) {
        writeLock.lock();
        try {
            if (snapshot.isClosed()) {
                throw new IllegalStateException("snapshot is closed");
            }
            int index = snapshot.takeNextIndex();
            if (index < 0) {
                return null;
            }
            List<Map.Entry<Bytes, Entry>> copy = snapshot.takePreserved(index);
            if (copy != null) {
                return copy;
            }
            Segment s = segments[index];
            // Invariant: a segment nobody preserved was not written since the cut.
            if (s.version != snapshot.versionAtCut(index)) {
                throw new IllegalStateException("segment " + index + " changed after the cut without being preserved");
            }
            // Under the write lock the current table does not change: no copy needed.
            return SegmentMap.entriesOf(s.map.tableForReading(), s.map.size());
        } finally {
            writeLock.unlock();
        }
    }

    void closeSnapshot(KeyspaceSnapshot snapshot) {
        writeLock.lock();
        try {
            snapshot.markClosed();
            activeSnapshots.remove(snapshot);
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * A sorted copy of the whole dataset, including keys whose TTL has passed: what tests and
     * the simulation compare between nodes. O(n); not for request paths.
     */
    public Map<Bytes, Entry> contents() {
        return withLock(() -> {
            TreeMap<Bytes, Entry> all = new TreeMap<>();
            for (Segment s : segments) {
                for (Map.Entry<Bytes, Entry> e : SegmentMap.entriesOf(s.map.tableForReading(), s.map.size())) {
                    all.put(e.getKey(), e.getValue());
                }
            }
            return Collections.unmodifiableMap(all);
        });
    }

    <T> T withLock(Supplier<T> action) {
        writeLock.lock();
        try {
            return action.get();
        } finally {
            writeLock.unlock();
        }
    }

    // ------------------------------------------------------------------ internals

    /**
     * The write lock for a write's short critical section: a few bounded spins before parking.
     * Writers from several event loops hold it for about a microsecond each, and parking a
     * thread and waking it again costs several (two futex calls and a context switch), which
     * is what two event loops contending for it paid on every pipelined write.
     */
    private void lockWrites() {
        if (writeLock.tryLock()) {
            return;
        }
        for (int i = 0; i < LOCK_SPINS; i++) {
            Thread.onSpinWait();
            if (!writeLock.isLocked() && writeLock.tryLock()) {
                return;
            }
        }
        writeLock.lock();
    }

    private Segment segmentFor(Bytes key) {
        return segments[key.hashCode() & mask];
    }

    /** Lock-free read: null for a missing key and for one whose TTL passed (deleted on a master). */
    private Entry readEntry(Bytes key) {
        Segment s = segmentFor(key);
        Entry e = s.map.get(key);
        if (e == null) {
            return null;
        }
        long now = clock.millis();
        if (e.isExpiredAt(now)) {
            if (deletesByTime()) {
                writeLock.lock();
                try {
                    liveEntry(s, key, now);
                } finally {
                    writeLock.unlock();
                }
            }
            return null;
        }
        if (e.lastAccessMs() != now) {
            e.touch(now);
        }
        return e;
    }

    /**
     * Under the write lock: the entry of a key as a write sees it. An entry whose TTL passed is
     * removed first (with its DEL) on a master, and treated as missing on a replica.
     */
    private Entry liveEntry(Segment s, Bytes key, long now) {
        Entry e = s.map.get(key);
        if (e == null || !e.isExpiredAt(now)) {
            return e;
        }
        if (deletesByTime()) {
            deleteExpired(s, key);
        }
        return null;
    }

    private void deleteExpired(Segment s, Bytes key) {
        remove(s, key);
        expiredKeys++;
        writeLog.append(CommandEntry.Del.of(key));
    }

    private void beforeChange(Segment s) {
        for (int i = 0; i < activeSnapshots.size(); i++) {
            activeSnapshots.get(i).preserveIfPending(s.index, s.map);
        }
        s.version++;
    }

    /** A string write that keeps the key's TTL (INCRBY, INCRBYFLOAT, SETRANGE), travelling as its resulting SET. */
    private void setKeepingTtl(Segment s, Bytes key, Entry old, Bytes value, long now) {
        long expireAt = old == null ? Entry.NO_EXPIRY : old.expireAtMs();
        store(s, key, new Entry(StringValue.of(value), expireAt, now));
        writeLog.append(new CommandEntry.Set(key, value, expireAt));
    }

    /** MSET's stores: every pair a string without expiry. */
    private void storeStrings(Map<Bytes, Bytes> pairs, long lastAccessMs) {
        for (Map.Entry<Bytes, Bytes> p : pairs.entrySet()) {
            store(segmentFor(p.getKey()), p.getKey(), new Entry(StringValue.of(p.getValue()), Entry.NO_EXPIRY, lastAccessMs));
        }
    }

    /** One entry for a whole MSET (or MSETNX): a replica applies it whole, never half. */
    private void logMSet(Map<Bytes, Bytes> pairs) {
        if (!pairs.isEmpty()) {
            writeLog.append(new CommandEntry.MSet(pairs));
        }
    }

    /**
     * A plain SET (no condition, no GET, no KEEPTTL): whatever the key held goes, so one map
     * operation replaces it instead of a lookup and a store (a SET spends most of its time in
     * the map's cache misses). The log reads as the general path's: an expired old value is
     * deleted by time first, its DEL before the SET.
     */
    private void overwrite(Segment s, Bytes key, Bytes value, long expireAt, long now) {
        beforeChange(s);
        Entry entry = new Entry(StringValue.of(value), expireAt, now);
        Entry old = s.map.put(key, entry);
        if (old != null && old.isExpiredAt(now) && deletesByTime()) {
            expiredKeys++;
            writeLog.append(CommandEntry.Del.of(key));
        }
        account(key, old, entry);
        writeLog.append(new CommandEntry.Set(key, value, expireAt));
    }

    private void store(Segment s, Bytes key, Entry entry) {
        beforeChange(s);
        account(key, s.map.put(key, entry), entry);
    }

    /** The bookkeeping of {@code key} going from {@code old} (null: absent) to {@code entry}. */
    private void account(Bytes key, Entry old, Entry entry) {
        long delta = MemoryEstimate.entry(key, entry);
        if (old == null) {
            if (tracksAllKeys) {
                allKeys.add(key);
            }
        } else {
            delta -= MemoryEstimate.entry(key, old);
        }
        if (entry.hasExpiry()) {
            volatileKeys.add(key);
        } else if (old != null && old.hasExpiry()) {
            volatileKeys.remove(key);
        }
        usedMemory += delta;
    }

    private Entry remove(Segment s, Bytes key) {
        if (s.map.get(key) == null) {
            return null;
        }
        beforeChange(s);
        Entry old = s.map.remove(key);
        if (tracksAllKeys) {
            allKeys.remove(key);
        }
        if (old.hasExpiry()) {
            volatileKeys.remove(key);
        }
        usedMemory -= MemoryEstimate.entry(key, old);
        return old;
    }

    private void applyHDel(Segment s, Bytes key, Entry old, HashValue hash, List<Bytes> fields) {
        HashValue remaining = hash.without(fields);
        if (remaining.size() == 0) {
            remove(s, key);
        } else {
            store(s, key, new Entry(remaining, old.expireAtMs(), old.lastAccessMs()));
        }
    }

    private void applyFlushAll() {
        for (Segment s : segments) {
            beforeChange(s);
            s.map.clear();
        }
        allKeys.clear();
        volatileKeys.clear();
        usedMemory = 0;
    }

    /**
     * Before a write that may need memory (Redis's "denyoom" commands): evict by policy until
     * the dataset is under max-memory, or refuse with OOM. Replicas never evict: their master
     * decides, and its DELs arrive on the stream.
     */
    private void ensureMemoryForWrite() {
        long max = config.maxMemoryBytes();
        if (max == 0 || !deletesByTime()) {
            return;
        }
        while (usedMemory > max) {
            Bytes victim = pickEvictionVictim();
            if (victim == null) {
                throw new KeyspaceException(KeyspaceException.Kind.OOM);
            }
            remove(segmentFor(victim), victim);
            evictedKeys++;
            writeLog.append(CommandEntry.Del.of(victim));
        }
    }

    private Bytes pickEvictionVictim() {
        EvictionPolicy policy = config.evictionPolicy();
        if (policy == EvictionPolicy.NOEVICTION) {
            return null;
        }
        SampleSet pool = policy.volatileOnly() ? volatileKeys : allKeys;
        if (pool.isEmpty()) {
            return null;
        }
        if (policy == EvictionPolicy.ALLKEYS_RANDOM || policy == EvictionPolicy.VOLATILE_RANDOM) {
            return pool.random(random);
        }
        Bytes best = null;
        long bestScore = Long.MAX_VALUE;
        for (int i = 0; i < config.evictionSamples(); i++) {
            Bytes key = pool.random(random);
            Entry e = segmentFor(key).map.get(key);
            long score = policy == EvictionPolicy.VOLATILE_TTL ? e.expireAtMs() : e.lastAccessMs();
            if (score < bestScore) {
                best = key;
                bestScore = score;
            }
        }
        return best;
    }

    /** A string's value, without a wrapper beside the returned view; WRONGTYPE for a hash. */
    private static Bytes asString(Entry e) {
        byte[] data = e.stringArray();
        if (data != null) {
            return Bytes.of(data);
        }
        throw new KeyspaceException(KeyspaceException.Kind.WRONGTYPE);
    }

    private static HashValue asHash(Entry e) {
        if (e.value() instanceof HashValue hv) {
            return hv;
        }
        throw new KeyspaceException(KeyspaceException.Kind.WRONGTYPE);
    }

    private static long resolveExpireAt(Ttl ttl, long now, String command) {
        return switch (ttl.kind()) {
            case NONE, KEEP -> Entry.NO_EXPIRY;
            case RELATIVE -> {
                if (ttl.millis() <= 0) {
                    throw invalidExpire(command);
                }
                try {
                    yield Math.addExact(now, ttl.millis());
                } catch (ArithmeticException overflow) {
                    throw invalidExpire(command);
                }
            }
            case ABSOLUTE -> {
                if (ttl.millis() <= 0) {
                    throw invalidExpire(command);
                }
                yield ttl.millis();
            }
        };
    }

    private static long multiplyForExpire(long seconds, String command) {
        try {
            return Math.multiplyExact(seconds, 1000L);
        } catch (ArithmeticException overflow) {
            throw invalidExpire(command);
        }
    }

    private static KeyspaceException invalidExpire(String command) {
        return new KeyspaceException(KeyspaceException.Kind.INVALID_EXPIRE,
                "ERR invalid expire time in '" + command + "' command");
    }

    /**
     * Parses a 64-bit decimal integer as Redis's {@code string2ll} does: optional minus sign,
     * digits, no leading zeros, no spaces or plus sign, in range.
     */
    static long parseLong(Bytes b, KeyspaceException.Kind error) {
        int len = b.length();
        if (len == 0 || len > 20) {
            throw new KeyspaceException(error);
        }
        int i = 0;
        boolean negative = b.byteAt(0) == '-';
        if (negative) {
            i = 1;
            if (len == 1) {
                throw new KeyspaceException(error);
            }
        }
        if (b.byteAt(i) == '0' && (len > i + 1 || negative)) {
            throw new KeyspaceException(error);
        }
        long result = 0;
        for (; i < len; i++) {
            int d = b.byteAt(i) - '0';
            if (d < 0 || d > 9) {
                throw new KeyspaceException(error);
            }
            // Accumulate negatively so that Long.MIN_VALUE parses.
            if (result < (Long.MIN_VALUE + d) / 10) {
                throw new KeyspaceException(error);
            }
            result = result * 10 - d;
        }
        if (!negative) {
            if (result == Long.MIN_VALUE) {
                throw new KeyspaceException(error);
            }
            return -result;
        }
        return result;
    }
}
