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
