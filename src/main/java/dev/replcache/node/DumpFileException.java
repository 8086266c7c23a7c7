package dev.replcache.node;

/**
 * The dump file exists but cannot be loaded (corrupt, truncated, unreadable): the node does not
 * start, and the message names the file and what to do.
 */
public final class DumpFileException extends RuntimeException {

    public DumpFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
