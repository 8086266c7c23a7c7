package dev.replcache.node;

/** A request over a configured size limit: HTTP 413, gRPC RESOURCE_EXHAUSTED. */
public final class LimitExceededException extends RuntimeException {

    private final String property;
    private final long limit;
    private final long actual;

    /**
     * @param unit what {@code limit} and {@code actual} count: "bytes" or "items"
     */
    public LimitExceededException(String what, String property, long limit, long actual, String unit) {
        super(what + " is " + actual + " " + unit + ", over the limit of " + limit + " (" + property + ")", null, false, false);
        this.property = property;
        this.limit = limit;
        this.actual = actual;
    }

    /** The configuration property that sets the limit, e.g. {@code replcache.limits.max-key-bytes}. */
    public String property() {
        return property;
    }

    public long limit() {
        return limit;
    }

    public long actual() {
        return actual;
    }
}
