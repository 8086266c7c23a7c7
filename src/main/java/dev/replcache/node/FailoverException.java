package dev.replcache.node;

/**
 * A coordinated failover that could not start or was aborted (writes resumed on this master):
 * HTTP 409, gRPC FAILED_PRECONDITION (ABORTED once started). Or one whose outcome is unknown (the
 * target did not answer in time; this node stays its replica): HTTP 409 with
 * {@code outcomeUnknown}, gRPC DEADLINE_EXCEEDED. The message says why, in Redis's words where
 * Redis has them.
 */
public final class FailoverException extends RuntimeException {

    private final boolean started;
    private final boolean outcomeUnknown;

    public FailoverException(String message, boolean started) {
        this(message, started, false);
    }

    private FailoverException(String message, boolean started, boolean outcomeUnknown) {
        super(message, null, false, false);
        this.started = started;
        this.outcomeUnknown = outcomeUnknown;
    }

    /**
     * The handshake went out and no answer came in time: the target may have taken over. The node
     * stays its replica (writes refused) and keeps asking; it is not aborted.
     */
    static FailoverException outcomeUnknown(String message) {
        return new FailoverException(message, true, true);
    }

    /** True when writes were paused and the failover was then aborted (or its outcome is unknown). */
    public boolean started() {
        return started;
    }

    /** True when the target may have taken over: this node stays its replica until it answers. */
    public boolean outcomeUnknown() {
        return outcomeUnknown;
    }
}
