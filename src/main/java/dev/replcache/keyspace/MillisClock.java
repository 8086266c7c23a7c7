package dev.replcache.keyspace;

/**
 * The keyspace's only source of time: Unix time in milliseconds.
 *
 * <p>The core never reads the system clock itself, so that tests and the seeded simulation
 * can move time by hand (as Caffeine's {@code Ticker} does) and no test sleeps for a TTL.
 */
@FunctionalInterface
public interface MillisClock {

    /** Current Unix time in milliseconds. */
    long millis();
}
