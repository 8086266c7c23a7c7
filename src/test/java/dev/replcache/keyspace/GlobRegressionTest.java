package dev.replcache.keyspace;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Guards the SCAN MATCH matcher against the exponential backtracking of Redis's CVE-2022-36021. */
class GlobRegressionTest {

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS) // a hang guard: the recursive matcher took 47 s for n=10
    void manyStarsDoNotBacktrackExponentially() {
        String pattern = "*a".repeat(30) + "*b";
        Bytes key = Bytes.utf8("a".repeat(200));
        assertThat(Glob.matches(Bytes.utf8(pattern), key)).isFalse();
        assertThat(Glob.matches(Bytes.utf8(pattern), Bytes.utf8("a".repeat(60) + "b"))).isTrue();
    }

    /**
     * Issue 12, row 7: {@code *} + 7,000 {@code a} + {@code b} against keys of 49 KB of
     * {@code a} cost the one-backtrack-point matcher pattern x subject = 343 million steps a key
     * (26 s of CPU for 20 keys in one SCAN). Here the work is counted: the suffix is checked in
     * place, so a key costs at most the pattern's length.
     */
    @Test
    void theIssuesPathologicalPatternIsCheckedInBoundedSteps() {
        Glob glob = Glob.compile(Bytes.utf8("*" + "a".repeat(7000) + "b"));
        Bytes key = Bytes.utf8("a".repeat(49 * 1024));
        for (int i = 0; i < 20; i++) {
            assertThat(glob.matches(key)).isFalse();
        }
        assertThat(glob.steps()).as("steps for 20 keys").isLessThanOrEqualTo(20L * 7001);
        assertThat(glob.matches(Bytes.utf8("x" + "a".repeat(7000) + "b"))).isTrue();
    }

    /**
     * The same run of tokens between two stars must be searched for, not checked in place: the
     * Shift-And search costs subject x ceil(tokens / 64) word steps (plus one mask per byte value
     * met), where the old matcher needed subject x tokens.
     */
    @Test
    void aLongSegmentBetweenStarsIsSearchedInBoundedSteps() {
        int tokens = 7001;
        int keyLength = 49 * 1024;
        Glob glob = Glob.compile(Bytes.utf8("*" + "a".repeat(7000) + "b*"));
        Bytes key = Bytes.utf8("a".repeat(keyLength));
        for (int i = 0; i < 20; i++) {
            assertThat(glob.matches(key)).isFalse();
        }
        long wordsPerByte = (tokens + 63) / 64;
        long bound = 20L * keyLength * wordsPerByte + 256L * tokens;
        assertThat(glob.steps()).as("steps for 20 keys").isLessThanOrEqualTo(bound);
        assertThat(bound).as("the bound is far below the old matcher's work").isLessThan(20L * keyLength * tokens / 50);
        assertThat(glob.matches(Bytes.utf8("a".repeat(keyLength) + "b" + "c"))).isTrue();
    }

    /** Over a real keyspace, as SCAN runs it; the old matcher took 26 s. The timeout is only a hang guard. */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void aScanWithThePathologicalPatternFinishes() {
        Keyspace keyspace = new Keyspace(KeyspaceConfig.DEFAULTS, new ManualClock(), new SplittableRandom(1), WriteLog.DISCARD);
        for (int i = 0; i < 20; i++) {
            keyspace.set(Bytes.utf8(i + "a".repeat(49 * 1024)), Bytes.utf8("v"));
        }
        for (String pattern : new String[] {"*" + "a".repeat(7000) + "b", "*" + "a".repeat(7000) + "b*"}) {
            long cursor = 0;
            int found = 0;
            do {
                ScanPage page = keyspace.scan(cursor, Bytes.utf8(pattern), 10);
                found += page.keys().size();
                cursor = page.nextCursor();
            } while (cursor != 0);
            assertThat(found).as("keys matching %s...", pattern.substring(0, 3)).isZero();
        }
    }

    /** Same answers as a regular expression built from the pattern, for random patterns and keys. */
    @Test
    void agreesWithARegexReference() {
        SplittableRandom random = new SplittableRandom(11);
        String alphabet = "abc";
        for (int i = 0; i < 20_000; i++) {
            StringBuilder glob = new StringBuilder();
            StringBuilder regex = new StringBuilder();
            int tokens = random.nextInt(7);
            for (int t = 0; t < tokens; t++) {
                switch (random.nextInt(5)) {
                    case 0 -> {
                        glob.append('*');
                        regex.append(".*");
                    }
                    case 1 -> {
                        glob.append('?');
                        regex.append('.');
                    }
                    case 2 -> {
                        glob.append("[^b]");
                        regex.append("[^b]");
                    }
                    case 3 -> {
                        glob.append("[a-b]");
                        regex.append("[a-b]");
                    }
                    default -> {
                        char c = alphabet.charAt(random.nextInt(3));
                        glob.append(c);
                        regex.append(c);
                    }
                }
            }
            StringBuilder subject = new StringBuilder();
            int len = random.nextInt(8);
            for (int k = 0; k < len; k++) {
                subject.append(alphabet.charAt(random.nextInt(3)));
            }
            boolean expected = Pattern.compile(regex.toString(), Pattern.DOTALL).matcher(subject).matches();
            assertThat(Glob.matches(Bytes.utf8(glob.toString()), Bytes.utf8(subject.toString())))
                    .as("pattern %s subject %s", glob, subject)
                    .isEqualTo(expected);
        }
    }

    @Test
    void escapesAndClassesMatchOneByte() {
        assertThat(Glob.matches(Bytes.utf8("a\\*b"), Bytes.utf8("a*b"))).isTrue();
        assertThat(Glob.matches(Bytes.utf8("a\\*b"), Bytes.utf8("axb"))).isFalse();
        assertThat(Glob.matches(Bytes.utf8("[\\]]"), Bytes.utf8("]"))).isTrue();
        assertThat(Glob.matches(Bytes.utf8("h[ae]llo*"), Bytes.utf8("hello world"))).isTrue();
        assertThat(Glob.matches(Bytes.of(new byte[] {'*', (byte) 0xff}), Bytes.of(new byte[] {1, 2, (byte) 0xff}))).isTrue();
    }
}
