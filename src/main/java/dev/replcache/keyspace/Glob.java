package dev.replcache.keyspace;

/**
 * Redis's glob-style pattern matching for SCAN MATCH (as {@code stringmatchlen}): {@code *} any
 * run, {@code ?} one byte, {@code [abc]}, {@code [^a]}, {@code [a-z]}, and {@code \} to escape.
 * Works on bytes, so binary keys match too.
 */
public final class Glob {

    private Glob() {
    }

    public static boolean matches(Bytes pattern, Bytes subject) {
        return match(pattern.unsafeArray(), subject.unsafeArray());
    }

    /**
     * Iterative matching with one backtrack point (the last {@code *}): O(pattern x subject) in
     * the worst case. A recursive matcher backtracks into every earlier star and is exponential
     * in the number of stars, which lets one SCAN MATCH pin a thread for minutes (Redis's
     * CVE-2022-36021); a regression test guards this.
     */
    private static boolean match(byte[] p, byte[] s) {
        int pi = 0;
        int si = 0;
        int starPi = -1;
        int starSi = -1;
        while (si < s.length) {
            if (pi < p.length && p[pi] == '*') {
                starPi = pi++;
                starSi = si;
                continue;
            }
            int next = pi < p.length ? matchOne(p, pi, s[si]) : -1;
            if (next >= 0) {
                pi = next;
                si++;
            } else if (starPi >= 0) {
                // Let the last star swallow one more byte and retry after it.
                pi = starPi + 1;
                si = ++starSi;
            } else {
                return false;
            }
        }
        while (pi < p.length && p[pi] == '*') {
            pi++;
        }
        return pi == p.length;
    }

    /** Matches one pattern token (not a star) at {@code pi} against byte {@code b}; the index after it, or -1. */
    private static int matchOne(byte[] p, int pi, byte b) {
        byte c = p[pi];
        if (c == '?') {
            return pi + 1;
        }
        if (c == '\\' && pi + 1 < p.length) {
            return p[pi + 1] == b ? pi + 2 : -1;
        }
        if (c != '[') {
            return c == b ? pi + 1 : -1;
        }
        pi++;
        boolean not = pi < p.length && p[pi] == '^';
        if (not) {
            pi++;
        }
        boolean matched = false;
        int value = b & 0xff;
        while (pi < p.length && p[pi] != ']') {
            if (p[pi] == '\\' && pi + 1 < p.length) {
                matched |= p[pi + 1] == b;
                pi += 2;
            } else if (pi + 2 < p.length && p[pi + 1] == '-' && p[pi + 2] != ']') {
                int lo = p[pi] & 0xff;
                int hi = p[pi + 2] & 0xff;
                matched |= value >= Math.min(lo, hi) && value <= Math.max(lo, hi);
                pi += 3;
            } else {
                matched |= p[pi] == b;
                pi++;
            }
        }
        if (pi < p.length) {
            pi++; // the closing ']'
        }
        return matched != not ? pi : -1;
    }
}
