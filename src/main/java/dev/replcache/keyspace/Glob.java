package dev.replcache.keyspace;

import java.util.ArrayList;
import java.util.List;

/**
 * Redis's glob-style pattern matching for SCAN MATCH (as {@code stringmatchlen}): {@code *} any
 * run, {@code ?} one byte, {@code [abc]}, {@code [^a]}, {@code [a-z]}, and {@code \} to escape.
 * Works on bytes, so binary keys match too.
 *
 * <p>Why it is built this way: every token but {@code *} matches exactly one byte, so a pattern
 * is a list of fixed-length segments separated by stars, {@code P0 * P1 * ... * Pk}. A subject
 * matches iff {@code P0} is its prefix, {@code Pk} its suffix, and {@code P1 .. Pk-1} occur in
 * order, without overlapping, in between; taking the leftmost occurrence of each is never worse
 * than a later one, so no choice is ever revisited. The occurrence search is bit-parallel
 * (Shift-And: one bit per token, one shift and one AND per subject byte), which costs
 * {@code subject x ceil(segment / 64)} word operations at most. The earlier matcher (greedy
 * star with one backtrack point) was {@code O(pattern x subject)}: {@code *} + 7,000 {@code a}
 * + {@code b} against 20 keys of 49 KB took 26 s of CPU in one SCAN (issue 12, row 7); a
 * recursive one is exponential in the stars (Redis's CVE-2022-36021). Regression tests count
 * the steps ({@link #steps()}).
 *
 * <p>A compiled instance caches per-byte masks as it meets bytes: use one per SCAN, on one thread.
 */
public final class Glob {

    /** Tokens between stars; each token is the set of bytes it accepts. */
    private final Segment[] segments;
    /** Whether there is a star before the last segment, i.e. the segments are P0 * ... * Pk with k >= 1. */
    private final boolean hasStar;
    /** Total tokens: no subject shorter than this can match. */
    private final int minLength;
    /** Work done, for the bounded-work tests: one per token compared, mask word shifted or mask bit built. */
    private long steps;

    private Glob(Segment[] segments, boolean hasStar) {
        this.segments = segments;
        this.hasStar = hasStar;
        int min = 0;
        for (Segment s : segments) {
            min += s.length;
        }
        this.minLength = min;
    }

    /** One-off match; a SCAN compiles the pattern once with {@link #compile}. */
    public static boolean matches(Bytes pattern, Bytes subject) {
        return compile(pattern).matches(subject);
    }

    /** Parses a pattern; O(pattern length). Every byte string is a valid pattern. */
    public static Glob compile(Bytes pattern) {
        byte[] p = pattern.unsafeArray();
        List<Segment> segments = new ArrayList<>();
        List<long[]> tokens = new ArrayList<>();
        boolean hasStar = false;
        int pi = 0;
        while (pi < p.length) {
            byte c = p[pi];
            long[] set = new long[4];
            if (c == '*') {
                segments.add(new Segment(tokens));
                tokens = new ArrayList<>();
                hasStar = true;
                while (pi < p.length && p[pi] == '*') {
                    pi++;
                }
                continue;
            }
            if (c == '?') {
                java.util.Arrays.fill(set, -1L);
                pi++;
            } else if (c == '\\' && pi + 1 < p.length) {
                add(set, p[pi + 1]);
                pi += 2;
            } else if (c == '[') {
                pi++;
                boolean not = pi < p.length && p[pi] == '^';
                if (not) {
                    pi++;
                }
                while (pi < p.length && p[pi] != ']') {
                    if (p[pi] == '\\' && pi + 1 < p.length) {
                        add(set, p[pi + 1]);
                        pi += 2;
                    } else if (pi + 2 < p.length && p[pi + 1] == '-' && p[pi + 2] != ']') {
                        int lo = Math.min(p[pi] & 0xff, p[pi + 2] & 0xff);
                        int hi = Math.max(p[pi] & 0xff, p[pi + 2] & 0xff);
                        for (int b = lo; b <= hi; b++) {
                            add(set, (byte) b);
                        }
                        pi += 3;
                    } else {
                        add(set, p[pi]);
                        pi++;
                    }
                }
                if (pi < p.length) {
                    pi++; // the closing ']'
                }
                if (not) {
                    for (int w = 0; w < 4; w++) {
                        set[w] = ~set[w];
                    }
                }
            } else {
                // Includes a '\' that ends the pattern: it stands for itself, as in Redis.
                add(set, c);
                pi++;
            }
            tokens.add(set);
        }
        segments.add(new Segment(tokens));
        return new Glob(segments.toArray(new Segment[0]), hasStar);
    }

    private static void add(long[] set, byte b) {
        int v = b & 0xff;
        set[v >>> 6] |= 1L << (v & 63);
    }

    public boolean matches(Bytes subject) {
        byte[] s = subject.unsafeArray();
        if (s.length < minLength) {
            return false;
        }
        if (!hasStar) {
            return s.length == minLength && matchesAt(segments[0], s, 0);
        }
        Segment first = segments[0];
        Segment last = segments[segments.length - 1];
        int end = s.length - last.length;
        // Prefix and suffix first: both are fixed in place, and they are the cheap way out.
        if (!matchesAt(first, s, 0) || !matchesAt(last, s, end)) {
            return false;
        }
        int from = first.length;
        for (int i = 1; i < segments.length - 1; i++) {
            from = find(segments[i], s, from, end);
            if (from < 0) {
                return false;
            }
        }
        return true;
    }

    /** Work done by this instance so far (tokens compared, mask words shifted, mask bits built). */
    long steps() {
        return steps;
    }

    private boolean matchesAt(Segment seg, byte[] s, int at) {
        for (int t = 0; t < seg.length; t++) {
            steps++;
            if (!seg.accepts(t, s[at + t])) {
                return false;
            }
        }
        return true;
    }

    /**
     * The end (exclusive) of the leftmost occurrence of {@code seg} within {@code s[from, to)}, or
     * -1. Shift-And: bit j of {@code state} says the last j + 1 bytes match the first j + 1 tokens.
     * Only the words up to the highest live bit are shifted, so a state that keeps dying is cheap.
     */
    private int find(Segment seg, byte[] s, int from, int to) {
        int m = seg.length;
        if (m == 0) {
            return from;
        }
        int words = (m + 63) >>> 6;
        long[] state = new long[words];
        int live = 0; // words [0, live) may hold set bits
        long lastBit = 1L << ((m - 1) & 63);
        for (int i = from; i < to; i++) {
            long[] mask = seg.masks[s[i] & 0xff];
            if (mask == null) {
                mask = seg.buildMask(s[i] & 0xff);
                steps += m;
            }
            int upto = Math.min(live + 1, words);
            int newLive = 0;
            long carry = 1L; // a new match may start at every byte
            for (int w = 0; w < upto; w++) {
                steps++;
                long v = state[w];
                long shifted = ((v << 1) | carry) & mask[w];
                carry = v >>> 63;
                state[w] = shifted;
                if (shifted != 0) {
                    newLive = w + 1;
                }
            }
            live = newLive;
            if ((state[words - 1] & lastBit) != 0) {
                return i + 1;
            }
        }
        return -1;
    }

    /** Tokens between two stars (or an end of the pattern). */
    private static final class Segment {
        /** Token t accepts byte b iff bit (b & 63) of sets[4t + (b >>> 6)] is set. */
        private final long[] sets;
        private final int length;
        /** Shift-And masks by byte value, built when a byte is first met: bit t = token t accepts it. */
        private final long[][] masks = new long[256][];

        Segment(List<long[]> tokens) {
            this.length = tokens.size();
            this.sets = new long[4 * length];
            for (int t = 0; t < length; t++) {
                System.arraycopy(tokens.get(t), 0, sets, 4 * t, 4);
            }
        }

        boolean accepts(int token, byte b) {
            int v = b & 0xff;
            return (sets[4 * token + (v >>> 6)] >>> (v & 63) & 1L) != 0;
        }

        long[] buildMask(int b) {
            long[] mask = new long[(length + 63) >>> 6];
            for (int t = 0; t < length; t++) {
                if (accepts(t, (byte) b)) {
                    mask[t >>> 6] |= 1L << (t & 63);
                }
            }
            masks[b] = mask;
            return mask;
        }
    }
}
