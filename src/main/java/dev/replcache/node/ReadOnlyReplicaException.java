package dev.replcache.node;

/**
 * A client write sent to a replica (Redis's {@code READONLY}): HTTP 409, gRPC FAILED_PRECONDITION,
 * with the master's address so the client knows where to write.
 */
public final class ReadOnlyReplicaException extends RuntimeException {

    private final String masterAddress;

    public ReadOnlyReplicaException(String masterAddress) {
        this("READONLY You can't write against a read only replica; write to the master at " + masterAddress,
                masterAddress);
    }

    /** A master-only command other than a write (WAIT, FAILOVER) sent to a replica. */
    public ReadOnlyReplicaException(String message, String masterAddress) {
        super(message, null, false, false);
        this.masterAddress = masterAddress;
    }

    /** {@code host:port} of the master's gRPC endpoint. */
    public String masterAddress() {
        return masterAddress;
    }
}
