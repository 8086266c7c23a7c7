package dev.replcache.node;

/**
 * A coordinated failover that could not start or was aborted (writes resumed on this master):
 * HTTP 409, gRPC FAILED_PRECONDITION (ABORTED once started). The message says why, in Redis's words where
 * Redis has them.
 */
public final class FailoverException extends RuntimeException {

    private final boolean started;

    public FailoverException(String message, boolean started) {
        super(message, null, false, false);
        this.started = started;
    }

    /** True when writes were paused and the failover was then aborted. */
    public boolean started() {
        return started;
    }
}
