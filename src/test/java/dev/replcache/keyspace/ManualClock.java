package dev.replcache.keyspace;

import java.util.concurrent.atomic.AtomicLong;

/** A {@link MillisClock} that only moves when a test moves it, so no test sleeps for a TTL. */
final class ManualClock implements MillisClock {

    /** An arbitrary, realistic Unix time (2024-01-01T00:00:00Z), so relative TTLs look real. */
    static final long START_MS = 1_704_067_200_000L;

    private final AtomicLong now;

    ManualClock() {
        this(START_MS);
    }

    ManualClock(long startMs) {
        this.now = new AtomicLong(startMs);
    }

    @Override
    public long millis() {
        return now.get();
    }

    /** Moves time forward (or, for the rare test that needs it, backward) by {@code ms}. */
    long advance(long ms) {
        return now.addAndGet(ms);
    }

    void set(long unixMs) {
        now.set(unixMs);
    }
}
