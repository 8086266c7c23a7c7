package dev.replcache.transport.http;

import dev.replcache.keyspace.KeyspaceException;
import dev.replcache.keyspace.Ttl;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses query parameters strictly. Spring's own conversion would accept {@code by=0x10} or
 * {@code get=yes}; here a value is either clearly valid or a 400 that names the parameter.
 */
final class QueryParams {

    /** Whole number with an optional unit; no unit = seconds, as Redis's EX. */
    private static final Pattern SIMPLE_DURATION = Pattern.compile("([+-]?[0-9]+)(ms|s|m|h|d)?");

    private QueryParams() {
    }

    /**
     * A relative TTL: {@code 10s}, {@code 500ms}, {@code 1m}, {@code 1h}, {@code 1d}, ISO-8601
     * {@code PT1M}, or a bare integer of seconds. Zero and negative values parse (the caller or
     * the keyspace rejects them as INVALID_EXPIRE, as Redis does); out-of-range ones are
     * INVALID_EXPIRE here.
     */
    static long ttlMillis(String raw, String name) {
        String s = raw.trim();
        if (s.startsWith("P") || s.startsWith("-P") || s.startsWith("p") || s.startsWith("-p")) {
            try {
                return Duration.parse(s).toMillis();
            } catch (DateTimeParseException e) {
                throw ApiProblemException.invalid(name + " is not an ISO-8601 duration: " + raw);
            } catch (ArithmeticException e) {
                throw invalidExpire();
            }
        }
        Matcher m = SIMPLE_DURATION.matcher(s);
        if (!m.matches()) {
            throw ApiProblemException.invalid(name
                    + " must be whole seconds or a number with a unit (ms, s, m, h, d) or ISO-8601 (PT1M), got: " + raw);
        }
        long amount;
        try {
            amount = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw invalidExpire();
        }
        String unit = m.group(2) == null ? "s" : m.group(2);
        long factor;
        switch (unit) {
            case "ms": factor = 1; break;
            case "s": factor = 1_000; break;
            case "m": factor = 60_000; break;
            case "h": factor = 3_600_000; break;
            case "d": factor = 86_400_000; break;
            default: throw new AssertionError(unit);
        }
        try {
            return Math.multiplyExact(amount, factor);
        } catch (ArithmeticException e) {
            throw invalidExpire();
        }
    }

    /**
     * The expiry part of a write from {@code ttl}, {@code expireAt} (unix ms, PXAT) and
     * {@code keepTtl}; at most one may be given.
     */
    static Ttl ttl(String ttl, String expireAt, String keepTtl) {
        boolean keep = flag(keepTtl, "keepTtl");
        int given = (ttl != null ? 1 : 0) + (expireAt != null ? 1 : 0) + (keep ? 1 : 0);
        if (given > 1) {
            throw ApiProblemException.invalid("ttl, expireAt and keepTtl exclude each other");
        }
        if (ttl != null) {
            return Ttl.inMillis(ttlMillis(ttl, "ttl"));
        }
        if (expireAt != null) {
            return Ttl.atMillis(longParam(expireAt, "expireAt"));
        }
        return keep ? Ttl.KEEP : Ttl.NONE;
    }

    /** A boolean flag: absent or {@code false} = false; {@code true} or empty ({@code ?get}) = true. */
    static boolean flag(String raw, String name) {
        if (raw == null || raw.equalsIgnoreCase("false")) {
            return false;
        }
        if (raw.isEmpty() || raw.equalsIgnoreCase("true")) {
            return true;
        }
        throw ApiProblemException.invalid(name + " must be true or false, got: " + raw);
    }

    /** A 64-bit decimal integer. */
    static long longParam(String raw, String name) {
        try {
            return Long.parseLong(raw.trim());
        } catch (NumberFormatException e) {
            throw ApiProblemException.invalid(name + " must be a 64-bit integer, got: " + raw);
        }
    }

    static KeyspaceException invalidExpire() {
        return new KeyspaceException(KeyspaceException.Kind.INVALID_EXPIRE);
    }
}
