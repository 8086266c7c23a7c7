package dev.replcache.node;

/**
 * A client write on a node that is not (or no longer) the elected master under
 * {@code replcache.failover.mode=lease}: it does not hold the lease, or could not renew it in
 * time, and there is no master to name yet. HTTP 503 with Retry-After, gRPC UNAVAILABLE, RESP
 * {@code -READONLY}: a client retries, and finds the new master once it is elected.
 */
public final class NoLeaseException extends RuntimeException {

    public NoLeaseException(String detail) {
        super("READONLY no master elected yet: this node does not hold the master lease (" + detail + ")", null,
                false, false);
    }
}
