package dev.replcache.keyspace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.replcache.testing.PropertyCheck;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * What keeps {@link Glob} fast (segments between stars, searched leftmost, bit-parallel) must not
 * change a single answer: on short inputs, where exhaustive backtracking is cheap, Glob agrees
 * with the plain backtracking matcher (kept below as the reference).
 */
class GlobProperties {

    private static final int TRIES = 2000;

    /** A pattern of up to 8 characters and a subject of up to 8, from small alphabets so that they often match. */
    record Case(String pattern, String subject) {
    }

    @Test
    void agreesWithExhaustiveBacktracking() {
        AtomicInteger matching = new AtomicInteger();
        PropertyCheck.forAll("agreesWithExhaustiveBacktracking", TRIES,
                gen -> new Case(gen.stringOf("a**?[]^-\\", 8), gen.stringOf("aab-]^\\", 8)), c -> {
                    byte[] p = c.pattern().getBytes(StandardCharsets.US_ASCII);
                    byte[] s = c.subject().getBytes(StandardCharsets.US_ASCII);
                    boolean expected = reference(p, 0, s, 0);
                    assertThat(Glob.matches(Bytes.copyOf(p), Bytes.copyOf(s)))
                            .as("'%s' ~ '%s'", c.pattern(), c.subject())
                            .isEqualTo(expected);
                    if (expected) {
                        matching.incrementAndGet();
                    }
                });
        if (!PropertyCheck.replaying()) {
            // The generator must reach the interesting side too: a property that only sees
            // mismatches proves little.
            assertThat(matching.get()).as("tries where the pattern matches").isGreaterThan(TRIES * 3 / 100);
        }
    }

    /** A subject list that one compiled pattern (with its per-byte masks cached) is matched against in turn. */
    record Many(String pattern, java.util.List<String> subjects) {
    }

    /**
     * A compiled pattern is used for a whole SCAN page and caches masks as it meets bytes: every
     * subject must still get the answer the reference gives. Patterns are longer here, with
     * stars in the middle, so that the occurrence search (and masks over 64 tokens) is exercised.
     */
    @Test
    void aCompiledPatternAgreesOnEverySubjectItIsUsedFor() {
        AtomicInteger matching = new AtomicInteger();
        PropertyCheck.forAll("aCompiledPatternAgreesOnEverySubjectItIsUsedFor", 500,
                gen -> new Many(gen.stringOf("aab?*[]^-", 12) + (gen.oneIn(4) ? "*" + "a".repeat(gen.intBetween(60, 70)) + "*" : ""),
                        gen.listOf(1, 10, g -> g.stringOf("aab]^-", 24) + (g.oneIn(3) ? "a".repeat(g.intBetween(60, 80)) : "")
                                + g.stringOf("ab", 6))), c -> {
                    byte[] p = c.pattern().getBytes(StandardCharsets.US_ASCII);
                    Glob glob = Glob.compile(Bytes.copyOf(p));
                    for (String subject : c.subjects()) {
                        byte[] s = subject.getBytes(StandardCharsets.US_ASCII);
                        boolean expected = reference(p, 0, s, 0);
                        assertThat(glob.matches(Bytes.copyOf(s))).as("'%s' ~ '%s'", c.pattern(), subject).isEqualTo(expected);
                        if (expected) {
                            matching.incrementAndGet();
                        }
                    }
                });
        if (!PropertyCheck.replaying()) {
            assertThat(matching.get()).as("subjects the pattern matches").isGreaterThan(50);
        }
    }

    /** Glob's algorithm before the fix: correct, but exponential on patterns with many '*'. */
    private static boolean reference(byte[] p, int pi, byte[] s, int si) {
        while (pi < p.length) {
            byte c = p[pi];
            if (c == '*') {
                while (pi + 1 < p.length && p[pi + 1] == '*') {
                    pi++;
                }
                if (pi + 1 == p.length) {
                    return true;
                }
                for (int k = si; k <= s.length; k++) {
                    if (reference(p, pi + 1, s, k)) {
                        return true;
                    }
                }
                return false;
            } else if (c == '?') {
                if (si >= s.length) {
                    return false;
                }
                si++;
                pi++;
            } else if (c == '[') {
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
                        int lo = Math.min(p[pi] & 0xff, p[pi + 2] & 0xff);
                        int hi = Math.max(p[pi] & 0xff, p[pi + 2] & 0xff);
                        int b = s[si] & 0xff;
                        matched |= b >= lo && b <= hi;
                        pi += 3;
                    } else {
                        matched |= p[pi] == s[si];
                        pi++;
                    }
                }
                if (pi < p.length) {
                    pi++;
                }
                if (matched == not) {
                    return false;
                }
                si++;
            } else if (c == '\\') {
                if (pi + 1 < p.length) {
                    pi++;
                }
                if (si >= s.length || p[pi] != s[si]) {
                    return false;
                }
                si++;
                pi++;
            } else {
                if (si >= s.length || c != s[si]) {
                    return false;
                }
                si++;
                pi++;
            }
        }
        return si == s.length;
    }
}
