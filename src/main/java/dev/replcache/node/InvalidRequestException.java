package dev.replcache.node;

/** A malformed client request (empty key, bad argument): HTTP 400, gRPC INVALID_ARGUMENT. */
public final class InvalidRequestException extends RuntimeException {

    public InvalidRequestException(String message) {
        super(message, null, false, false);
    }
}
