package dev.replcache.keyspace;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;

/**
 * The skip-longer-matches rule that keeps {@link Glob} polynomial must not change a single
 * answer: on short inputs, where exhaustive backtracking is cheap, Glob agrees with the plain
 * backtracking matcher it replaced (kept below as the reference).
 */
class GlobProperties {

    @Provide
    Arbitrary<String> patterns() {
        return Arbitraries.strings().withChars("a**?[]^-\\").ofMaxLength(8);
    }

    @Provide
    Arbitrary<String> subjects() {
        return Arbitraries.strings().withChars("aab-]^\\").ofMaxLength(8);
    }

    @Property(tries = 2000)
    @StatisticsReport(onFailureOnly = true)
    void agreesWithExhaustiveBacktracking(@ForAll("patterns") String pattern, @ForAll("subjects") String subject) {
        byte[] p = pattern.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] s = subject.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        boolean expected = reference(p, 0, s, 0);
        assertThat(Glob.matches(Bytes.copyOf(p), Bytes.copyOf(s)))
                .as("'%s' ~ '%s'", pattern, subject)
                .isEqualTo(expected);
        Statistics.label("matches").collect(expected);
        Statistics.label("matches").coverage(c -> c.check(true).percentage(pct -> pct > 3));
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
