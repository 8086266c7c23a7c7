package dev.replcache.keyspace.rdb;

import java.io.IOException;

/**
 * An RDB stream that cannot be loaded: corrupt, truncated, failing its checksum, over a
 * configured limit, or using a feature ReplCache does not support. The message says what was
 * wrong and at which byte offset of the stream, so an operator can look at the file.
 *
 * <p>An {@link IOException}, so that callers handle "the peer's bytes are bad" and "the bytes
 * did not arrive" in one place: both end in discarding the file and resyncing.
 */
public final class RdbFormatException extends IOException {

    private final long offset;

    public RdbFormatException(String message, long offset) {
        super(message + " (at byte offset " + offset + ")");
        this.offset = offset;
    }

    public RdbFormatException(String message, long offset, Throwable cause) {
        super(message + " (at byte offset " + offset + ")", cause);
        this.offset = offset;
    }

    /** Offset in the stream where the problem was found, counted from the first byte of the magic. */
    public long offset() {
        return offset;
    }
}
