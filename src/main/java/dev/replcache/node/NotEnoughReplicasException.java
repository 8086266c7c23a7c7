package dev.replcache.node;

/**
 * A write refused because fewer replicas than {@code min-replicas-to-write} acked within
 * {@code min-replicas-max-lag} (Redis's {@code NOREPLICAS}): HTTP 503, gRPC UNAVAILABLE. Reads
 * are still served.
 */
public final class NotEnoughReplicasException extends RuntimeException {

    private final int good;
    private final int required;

    public NotEnoughReplicasException(int good, int required, long maxLagMs) {
        super("NOREPLICAS Not enough good replicas to write: " + good + " replicas acked within " + maxLagMs
                + " ms, replcache.replication.min-replicas-to-write is " + required, null, false, false);
        this.good = good;
        this.required = required;
    }

    public int good() {
        return good;
    }

    public int required() {
        return required;
    }
}
