package dev.replcache.keyspace;

/**
 * The expiry part of a SET: keep the current one (KEEPTTL), none, relative (EX/PX) or
 * absolute (EXAT/PXAT). Relative times are resolved against the keyspace clock when the write
 * is applied and travel as absolute times.
 */
public record Ttl(Kind kind, long millis) {

    /** How {@link #millis} is read. */
    public enum Kind {
        /** No expiry: a SET clears any TTL. */
        NONE,
        /** KEEPTTL: the key keeps the expiry it has. */
        KEEP,
        /** EX/PX: milliseconds from now; must be > 0. */
        RELATIVE,
        /** EXAT/PXAT: absolute Unix milliseconds; must be > 0. */
        ABSOLUTE
    }

    public static final Ttl NONE = new Ttl(Kind.NONE, 0);
    public static final Ttl KEEP = new Ttl(Kind.KEEP, 0);

    public static Ttl inMillis(long ms) {
        return new Ttl(Kind.RELATIVE, ms);
    }

    public static Ttl atMillis(long unixMs) {
        return new Ttl(Kind.ABSOLUTE, unixMs);
    }
}
