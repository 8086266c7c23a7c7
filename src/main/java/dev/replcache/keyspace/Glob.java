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
        return match(pattern.unsafeArray(), 0, subject.unsafeArray(), 0, 0, new boolean[1]);
    }

    /**
     * {@code skipLongerMatches[0]} is Redis's flag of the same name: once the part of the pattern
     * after a '*' matched nowhere in the rest of the subject, no enclosing '*' can help by taking
     * more of the subject, so they all give up. Without it, "*a*a*a...*b" against a long key
     * backtracks exponentially (Redis CVE-2022-36021), and MATCH comes from clients.
     */
    private static boolean match(byte[] p, int pi, byte[] s, int si, int depth, boolean[] skipLongerMatches) {
        if (depth > 1000) {
            return false; // pathological pattern: refuse rather than recurse without bound
        }
        while (pi < p.length) {
            byte c = p[pi];
            switch (c) {
                case '*' -> {
                    while (pi + 1 < p.length && p[pi + 1] == '*') {
                        pi++;
                    }
                    if (pi + 1 == p.length) {
                        return true;
                    }
                    for (int k = si; k <= s.length; k++) {
                        if (match(p, pi + 1, s, k, depth + 1, skipLongerMatches)) {
                            return true;
                        }
                        if (skipLongerMatches[0]) {
                            return false;
                        }
                    }
                    skipLongerMatches[0] = true;
                    return false;
                }
                case '?' -> {
                    if (si >= s.length) {
                        return false;
                    }
                    si++;
                    pi++;
                }
                case '[' -> {
                    if (si >= s.length) {
                        return false;
                    }
                    pi++;
                    boolean not = pi < p.length && p[pi] == '^';
                    if (not) {
                        pi++;
                    }
                    boolean matched = false;
                    while (pi < p.length && p[pi] != ']') {
                        if (p[pi] == '\\' && pi + 1 < p.length) {
                            pi++;
                            matched |= p[pi] == s[si];
                            pi++;
                        } else if (pi + 2 < p.length && p[pi + 1] == '-' && p[pi + 2] != ']') {
                            int lo = p[pi] & 0xff;
                            int hi = p[pi + 2] & 0xff;
                            if (lo > hi) {
                                int t = lo;
                                lo = hi;
                                hi = t;
                            }
                            int b = s[si] & 0xff;
                            matched |= b >= lo && b <= hi;
                            pi += 3;
                        } else {
                            matched |= p[pi] == s[si];
                            pi++;
                        }
                    }
                    if (pi < p.length) {
                        pi++; // skip ']'
                    }
                    if (matched == not) {
                        return false;
                    }
                    si++;
                }
                case '\\' -> {
                    if (pi + 1 < p.length) {
                        pi++;
                    }
                    if (si >= s.length || p[pi] != s[si]) {
                        return false;
                    }
                    si++;
                    pi++;
                }
                default -> {
                    if (si >= s.length || c != s[si]) {
                        return false;
                    }
                    si++;
                    pi++;
                }
            }
        }
        return si == s.length;
    }
}
