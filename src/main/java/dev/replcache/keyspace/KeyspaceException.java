package dev.replcache.keyspace;

/**
 * An error a client can cause, with Redis's wording. Transports map {@link #kind()} to an HTTP
 * status or a gRPC code; the message is what Redis would reply.
 */
public final class KeyspaceException extends RuntimeException {

    /** The kinds of client-caused errors, each with Redis's reply text. */
    public enum Kind {
        /** The key holds another type than the command works on. */
        WRONGTYPE("WRONGTYPE Operation against a key holding the wrong kind of value"),
        /** The stored value or an argument is not a 64-bit decimal integer. */
        NOT_INTEGER("ERR value is not an integer or out of range"),
        /** The stored hash field is not a 64-bit decimal integer. */
        HASH_NOT_INTEGER("ERR hash value is not an integer"),
        /** INCRBY/HINCRBY would leave the 64-bit range. */
        OVERFLOW("ERR increment or decrement would overflow"),
        /** A TTL of zero, a negative one, or one whose absolute time overflows. */
        INVALID_EXPIRE("ERR invalid expire time"),
        /** A malformed argument (bad cursor, conflicting options). */
        SYNTAX("ERR syntax error"),
        /** APPEND would make the string longer than allowed (Redis's proto-max-bulk-len). */
        STRING_TOO_LONG("ERR string exceeds maximum allowed size (proto-max-bulk-len)"),
        /** max-memory is reached and the eviction policy cannot free enough. */
        OOM("OOM command not allowed when used memory > 'maxmemory'."),
        /** Writes are paused while a failover hands the master role over; retry (against the new master). */
        PAUSED("PAUSED writes are paused while a failover is in progress, retry"),
        /** A client write on a replica's keyspace (Redis's READONLY): the node was demoted meanwhile. */
        READONLY("READONLY You can't write against a read only replica.");

        private final String redisMessage;

        Kind(String redisMessage) {
            this.redisMessage = redisMessage;
        }

        public String redisMessage() {
            return redisMessage;
        }
    }

    private final Kind kind;

    public KeyspaceException(Kind kind) {
        this(kind, kind.redisMessage());
    }

    public KeyspaceException(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
