package dev.replcache.node;

/**
 * A save was asked for while another one runs (Redis's "Background save already in progress"):
 * HTTP 409, gRPC FAILED_PRECONDITION. At most one save runs at a time.
 */
public final class SaveInProgressException extends RuntimeException {

    public SaveInProgressException() {
        super("Background save already in progress", null, false, false);
    }
}
