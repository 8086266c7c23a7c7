package dev.replcache.keyspace;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Redis's {@code stringmatchlen} semantics for SCAN MATCH. */
class GlobTest {

    private static boolean matches(String pattern, String subject) {
        return Glob.matches(Bytes.utf8(pattern), Bytes.utf8(subject));
    }

    @ParameterizedTest(name = "''{0}'' ~ ''{1}'' -> {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            // literal
            "hello   | hello    | true",
            "hello   | hell     | false",
            "hello   | helloo   | false",
            "\"\"    | \"\"     | true",
            "\"\"    | a        | false",
            // *
            "*       | \"\"     | true",
            "*       | anything | true",
            "**      | x        | true",
            "h*llo   | hllo     | true",
            "h*llo   | heeeello | true",
            "h*llo   | hello!   | false",
            "*a      | \"\"     | false",
            "a*      | a        | true",
            "*b*     | abc      | true",
            "*b*     | ac       | false",
            "user:*:name | user:42:name | true",
            "user:*:name | user:42:mail | false",
            // ?
            "h?llo   | hello    | true",
            "h?llo   | hallo    | true",
            "h?llo   | hllo     | false",
            "?       | \"\"     | false",
            "??      | ab       | true",
            // [abc]
            "h[ae]llo  | hello  | true",
            "h[ae]llo  | hallo  | true",
            "h[ae]llo  | hillo  | false",
            "h[ae]llo  | hllo   | false",
            // [^a]
            "h[^e]llo  | hallo  | true",
            "h[^e]llo  | hbllo  | true",
            "h[^e]llo  | hello  | false",
            "h[^e]llo  | hllo   | false",
            // [a-z] and reversed ranges
            "h[a-b]llo | hallo  | true",
            "h[a-b]llo | hbllo  | true",
            "h[a-b]llo | hcllo  | false",
            "h[b-a]llo | hallo  | true",
            "[0-9][0-9] | 42    | true",
            "[0-9][0-9] | 4x    | false",
            "[^0-9]*    | x42   | true",
            "[^0-9]*    | 4x    | false",
            "[a-cx]     | x     | true",
            "[a-cx]     | d     | false",
            // escapes
            "h\\*llo   | h*llo  | true",
            "h\\*llo   | hello  | false",
            "h\\?llo   | h?llo  | true",
            "h\\?llo   | hello  | false",
            "\\[a]     | [a]    | true",
            "\\[a]     | a      | false",
            "[\\]]     | ]      | true",
            "[\\-]     | -      | true",
            "[\\^]     | ^      | true",
            "[a\\-z]   | b      | false",
            "a\\\\b    | a\\b   | true",
            // a trailing backslash matches itself
            "a\\       | a\\    | true",
            // an unclosed class runs to the end of the pattern
            "[ab       | a      | true",
            "[ab       | c      | false",
    })
    void matchesAsRedis(String pattern, String subject, boolean expected) {
        assertThat(matches(pattern, subject)).isEqualTo(expected);
    }

    @Test
    void binaryBytesMatchAsUnsignedBytes() {
        Bytes subject = Bytes.copyOf(new byte[] {0, (byte) 0xc3, (byte) 0xff, '\n'});
        assertThat(Glob.matches(Bytes.copyOf(new byte[] {0, '*'}), subject)).isTrue();
        assertThat(Glob.matches(Bytes.copyOf(new byte[] {'?', '?', (byte) 0xff, '?'}), subject)).isTrue();
        assertThat(Glob.matches(Bytes.copyOf(new byte[] {'?', '?', (byte) 0xfe, '?'}), subject)).isFalse();
        // [\x80-\xff] is a range of high bytes: compared unsigned, 0xc3 is inside it and 0x00 is not.
        byte[] highRange = {'?', '[', (byte) 0x80, '-', (byte) 0xff, ']', '*'};
        assertThat(Glob.matches(Bytes.copyOf(highRange), subject)).isTrue();
        byte[] highFirst = {'[', (byte) 0x80, '-', (byte) 0xff, ']', '*'};
        assertThat(Glob.matches(Bytes.copyOf(highFirst), subject)).isFalse();
        assertThat(Glob.matches(Bytes.copyOf(new byte[] {'*', '\n'}), subject)).isTrue();
        assertThat(Glob.matches(Bytes.copyOf(new byte[] {'[', '^', 0, ']', '*'}), subject)).isFalse();
    }

    /**
     * Regression: each '*' tried every split of the rest of the key, so a client's SCAN MATCH of
     * "*a*a*...*b" against a long key of 'a's took exponential time (a denial of service, as
     * Redis's CVE-2022-36021). With Redis's skip-longer-matches rule it is polynomial. The
     * timeout only keeps a regression from hanging the build; it is far above the real time.
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void pathologicalPatternsFinishQuickly() {
        Bytes key = Bytes.utf8("a".repeat(300));
        assertThat(Glob.matches(Bytes.utf8("*a".repeat(20) + "*b"), key)).isFalse();
        assertThat(Glob.matches(Bytes.utf8("*a".repeat(20) + "*"), key)).isTrue();
        assertThat(Glob.matches(Bytes.utf8("*a*?".repeat(10) + "*[ab]"), key)).isTrue();
        assertThat(Glob.matches(Bytes.utf8("*?".repeat(301)), key)).isFalse();
    }
}
