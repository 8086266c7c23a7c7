package dev.replcache.transport.grpc;

import dev.replcache.keyspace.KeyspaceException;
import dev.replcache.node.FailoverException;
import dev.replcache.node.InvalidRequestException;
import dev.replcache.node.NotEnoughReplicasException;
import dev.replcache.node.LimitExceededException;
import dev.replcache.node.NoLeaseException;
import dev.replcache.node.NodeStoppingException;
import dev.replcache.node.ReadOnlyReplicaException;
import dev.replcache.node.SaveFailedException;
import dev.replcache.node.SaveInProgressException;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where an exception from the node becomes a gRPC status. Errors a client can
 * cause keep their message (Redis's wording) as the description; anything else is our bug and
 * becomes INTERNAL with a generic description, logged with its stack trace. Never UNKNOWN: that
 * is what grpc-java sends for an exception nobody mapped, and a client cannot act on it.
 */
public final class GrpcErrors {

    private static final Logger log = LoggerFactory.getLogger(GrpcErrors.class);

    static final String INTERNAL_DESCRIPTION = "internal error; the server log has the details";

    private GrpcErrors() {
    }

    /**
     * The status for an exception thrown while serving {@code method} (a full method name, for
     * the log).
     */
    public static Status toStatus(Throwable error, String method) {
        if (error instanceof InvalidRequestException) {
            return Status.INVALID_ARGUMENT.withDescription(error.getMessage());
        }
        if (error instanceof ReadOnlyReplicaException) {
            return Status.FAILED_PRECONDITION.withDescription(error.getMessage());
        }
        if (error instanceof NotEnoughReplicasException) {
            return Status.UNAVAILABLE.withDescription(error.getMessage());
        }
        if (error instanceof FailoverException fe) {
            Status status = fe.outcomeUnknown() ? Status.DEADLINE_EXCEEDED
                    : fe.started() ? Status.ABORTED : Status.FAILED_PRECONDITION;
            return status.withDescription(error.getMessage());
        }
        if (error instanceof NodeStoppingException || error instanceof NoLeaseException) {
            return Status.UNAVAILABLE.withDescription(error.getMessage());
        }
        if (error instanceof SaveInProgressException) {
            return Status.FAILED_PRECONDITION.withDescription(error.getMessage());
        }
        if (error instanceof SaveFailedException) {
            // The operator's disk, not our internals: the message names the file and the cause.
            return Status.INTERNAL.withDescription(error.getMessage());
        }
        if (error instanceof LimitExceededException) {
            return Status.RESOURCE_EXHAUSTED.withDescription(error.getMessage());
        }
        if (error instanceof KeyspaceException ke) {
            return codeFor(ke.kind()).toStatus().withDescription(ke.getMessage());
        }
        if (error instanceof StatusRuntimeException sre) {
            return sre.getStatus();
        }
        if (error instanceof StatusException se) {
            return se.getStatus();
        }
        log.error("gRPC call {} failed with an unexpected error", method, error);
        return Status.INTERNAL.withDescription(INTERNAL_DESCRIPTION);
    }

    public static StatusRuntimeException toStatusException(Throwable error, String method) {
        return toStatus(error, method).asRuntimeException();
    }

    /** Exhaustive on purpose: a new kind does not compile until it has a code. */
    static Status.Code codeFor(KeyspaceException.Kind kind) {
        return switch (kind) {
            // The request itself is malformed, whatever the data.
            case INVALID_EXPIRE, SYNTAX -> Status.Code.INVALID_ARGUMENT;
            // The request is fine but the stored data does not allow it.
            case WRONGTYPE, NOT_INTEGER, HASH_NOT_INTEGER -> Status.Code.FAILED_PRECONDITION;
            case OVERFLOW -> Status.Code.OUT_OF_RANGE;
            // maxmemory reached and eviction cannot free enough: retry later or with less.
            case OOM, STRING_TOO_LONG -> Status.Code.RESOURCE_EXHAUSTED;
            // A failover holds writes for a moment: retry, then against the new master.
            case PAUSED -> Status.Code.UNAVAILABLE;
            // Demoted while the write waited: as a write on a replica.
            case READONLY -> Status.Code.FAILED_PRECONDITION;
        };
    }
}
