package dev.replcache.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * A seeded property check in plain JUnit: {@code tries} inputs drawn from a {@link Gen} each, the
 * property run on every one. Each run starts from a new random seed, so runs explore new inputs;
 * a failure names the seed of the failing try, and {@code -Dreplcache.seed=N} replays that one try
 * alone. With a {@link Shrinker}, a failing input is first made as small as it goes while it still
 * fails, so the report shows what matters.
 */
public final class PropertyCheck {

    /** System property: replay one try from this seed instead of running {@code tries} new ones. */
    public static final String SEED_PROPERTY = "replcache.seed";

    private static final int MAX_SHRINK_STEPS = 2_000;

    private PropertyCheck() {
    }

    /** True when {@code -Dreplcache.seed} replays one try: checks over all tries (coverage) do not apply. */
    public static boolean replaying() {
        return System.getProperty(SEED_PROPERTY) != null;
    }

    public static <T> void forAll(String name, int tries, Function<Gen, T> generator, Consumer<T> property) {
        forAll(name, tries, generator, Shrinker.none(), property);
    }

    public static <T> void forAll(String name, int tries, Function<Gen, T> generator, Shrinker<T> shrinker,
                                  Consumer<T> property) {
        String replay = System.getProperty(SEED_PROPERTY);
        if (replay != null) {
            runTry(name, 1, 1, Long.decode(replay), generator, shrinker, property);
            return;
        }
        SplittableRandom seeds = new SplittableRandom(ThreadLocalRandom.current().nextLong());
        for (int i = 1; i <= tries; i++) {
            runTry(name, i, tries, seeds.nextLong(), generator, shrinker, property);
        }
    }

    private static <T> void runTry(String name, int attempt, int tries, long seed, Function<Gen, T> generator,
                                   Shrinker<T> shrinker, Consumer<T> property) {
        T input = generator.apply(new Gen(seed));
        Throwable failure = failureOf(property, input);
        if (failure == null) {
            return;
        }
        String header = String.format("property %s failed on try %d of %d, seed %d (replay it with -D%s=%d)",
                name, attempt, tries, seed, SEED_PROPERTY, seed);
        Shrunk<T> shrunk = shrink(input, failure, shrinker, property);
        StringBuilder message = new StringBuilder(header);
        if (shrunk.steps > 0) {
            message.append("\nshrunk in ").append(shrunk.steps).append(" steps to: ").append(describe(shrunk.input))
                    .append("\nfailure of the shrunk input: ").append(shrunk.failure);
        }
        message.append("\ninput: ").append(describe(input)).append("\nfailure: ").append(failure);
        AssertionError error = new AssertionError(message.toString(), failure);
        if (shrunk.steps > 0) {
            error.addSuppressed(shrunk.failure);
        }
        throw error;
    }

    private static String describe(Object input) {
        return input instanceof byte[] b ? java.util.Arrays.toString(b) : String.valueOf(input);
    }

    private static <T> Throwable failureOf(Consumer<T> property, T input) {
        try {
            property.accept(input);
            return null;
        } catch (AssertionError | RuntimeException e) {
            return e;
        }
    }

    private record Shrunk<T>(T input, Throwable failure, int steps) {
    }

    /** Greedy: take the first smaller candidate that still fails, until none does (or the step budget ends). */
    private static <T> Shrunk<T> shrink(T input, Throwable failure, Shrinker<T> shrinker, Consumer<T> property) {
        T current = input;
        Throwable currentFailure = failure;
        int steps = 0;
        int attempts = 0;
        boolean progressed = true;
        while (progressed && attempts < MAX_SHRINK_STEPS) {
            progressed = false;
            for (T candidate : (Iterable<T>) shrinker.candidates(current)::iterator) {
                if (++attempts > MAX_SHRINK_STEPS) {
                    break;
                }
                Throwable f = failureOf(property, candidate);
                if (f != null) {
                    current = candidate;
                    currentFailure = f;
                    steps++;
                    progressed = true;
                    break;
                }
            }
        }
        return new Shrunk<>(current, currentFailure, steps);
    }

    /** Smaller versions of a failing input, most promising first. */
    @FunctionalInterface
    public interface Shrinker<T> {

        Stream<T> candidates(T value);

        static <T> Shrinker<T> none() {
            return value -> Stream.empty();
        }

        /**
         * Lists without a run of elements: halves first, then quarters, down to single elements
         * (delta debugging's order), so a 150-step failure usually shrinks to the few steps that matter.
         */
        static <E> Shrinker<List<E>> list() {
            return list -> {
                List<List<E>> candidates = new ArrayList<>();
                for (int chunk = Math.max(1, list.size() / 2); chunk >= 1; chunk /= 2) {
                    for (int from = 0; from + chunk <= list.size(); from += chunk) {
                        List<E> smaller = new ArrayList<>(list.subList(0, from));
                        smaller.addAll(list.subList(from + chunk, list.size()));
                        candidates.add(smaller);
                    }
                    if (chunk == 1) {
                        break;
                    }
                }
                return candidates.stream();
            };
        }

        /** Shrinks one part of a composite input, keeping the rest. */
        default <R> Shrinker<R> onPart(Function<R, T> part, java.util.function.BiFunction<R, T, R> with) {
            return whole -> candidates(part.apply(whole)).map(smaller -> with.apply(whole, smaller));
        }
    }
}
