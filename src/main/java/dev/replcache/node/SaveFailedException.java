package dev.replcache.node;

/**
 * A save could not be written (disk full, no permission, ...). The previous dump file is left as
 * it was; the message names the file and the cause, for the operator.
 */
public final class SaveFailedException extends RuntimeException {

    public SaveFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
