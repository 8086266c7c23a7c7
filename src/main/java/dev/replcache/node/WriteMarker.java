package dev.replcache.node;

/**
 * Marks, per thread, that the request being served wrote ({@link CacheNode#writableKeyspace()}
 * was called). The transports clear it before a request and read it after, to hold a write's
 * response for an inline WAIT or the slow-replica throttle without knowing every write route.
 */
public final class WriteMarker {

    private static final ThreadLocal<boolean[]> WROTE = ThreadLocal.withInitial(() -> new boolean[1]);

    private WriteMarker() {
    }

    static void mark() {
        WROTE.get()[0] = true;
    }

    /** Forgets any earlier request's mark on this thread. */
    public static void clear() {
        WROTE.get()[0] = false;
    }

    /** Whether this thread's request wrote since {@link #clear()}; clears the mark. */
    public static boolean take() {
        boolean[] cell = WROTE.get();
        boolean wrote = cell[0];
        cell[0] = false;
        return wrote;
    }
}
