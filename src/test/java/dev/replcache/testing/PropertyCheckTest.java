package dev.replcache.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/** The property runner itself: it runs every try, names a seed that replays a failure, and shrinks. */
class PropertyCheckTest {

    @Test
    void runsEveryTryOnAFreshInput() {
        AtomicInteger runs = new AtomicInteger();
        List<Long> inputs = new ArrayList<>();
        PropertyCheck.forAll("counts", 250, Gen::anyLong, value -> {
            runs.incrementAndGet();
            inputs.add(value);
        });
        assertThat(runs).hasValue(250);
        assertThat(inputs.stream().distinct().count()).isGreaterThan(240);
    }

    @Test
    void aFailureNamesTheSeedThatReplaysIt() {
        Throwable failure = null;
        try {
            PropertyCheck.forAll("small", 1_000, g -> g.intBetween(0, 1_000), n -> assertThat(n).isLessThan(900));
        } catch (AssertionError e) {
            failure = e;
        }
        assertThat(failure).isNotNull();
        Matcher seed = Pattern.compile("-Dreplcache\\.seed=(-?\\d+)").matcher(failure.getMessage());
        assertThat(seed.find()).as(failure.getMessage()).isTrue();
        Matcher input = Pattern.compile("input: (\\d+)").matcher(failure.getMessage());
        assertThat(input.find()).isTrue();

        // The seed regenerates the same input.
        int replayed = new Gen(Long.parseLong(seed.group(1))).intBetween(0, 1_000);
        assertThat(replayed).isEqualTo(Integer.parseInt(input.group(1))).isGreaterThanOrEqualTo(900);
    }

    @Test
    void theListShrinkerKeepsOnlyTheElementsThatMatter() {
        // Fails whenever the list holds both 7 and 13: the shrunk input is exactly those two.
        assertThatThrownBy(() -> PropertyCheck.forAll("pair", 1,
                g -> {
                    List<Integer> list = new ArrayList<>(g.listOf(60, 120, x -> x.intBetween(20, 100)));
                    list.add(g.intBetween(0, list.size()), 7);
                    list.add(g.intBetween(0, list.size()), 13);
                    return list;
                },
                PropertyCheck.Shrinker.list(),
                list -> assertThat(list.contains(7) && list.contains(13)).isFalse()))
                .isInstanceOf(AssertionError.class)
                .hasMessageFindingMatch("shrunk in \\d+ steps to: \\[(7, 13|13, 7)\\]");
    }
}
