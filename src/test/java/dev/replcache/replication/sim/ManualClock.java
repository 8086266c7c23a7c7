package dev.replcache.replication.sim;

import dev.replcache.keyspace.MillisClock;

/** Simulated time: moves only when the simulation says so. */
final class ManualClock implements MillisClock {

    private long now;

    ManualClock(long start) {
        this.now = start;
    }

    @Override
    public long millis() {
        return now;
    }

    void advance(long ms) {
        now += ms;
    }
}
