package dev.replcache.testing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * The random source of one property try: a {@link SplittableRandom} from the try's seed, with the
 * few generators our properties need. Everything a try draws comes from here, so its seed replays
 * it exactly (see {@link PropertyCheck}).
 */
public final class Gen {

    private final SplittableRandom random;

    public Gen(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /** An int in {@code [min, max]}, both ends included. */
    public int intBetween(int min, int max) {
        return random.nextInt(min, max + 1);
    }

    /** A long in {@code [min, max]}, both ends included. */
    public long longBetween(long min, long max) {
        return max == Long.MAX_VALUE ? random.nextLong(min - 1, max) + 1 : random.nextLong(min, max + 1);
    }

    /** Any long, the extremes as likely as anything else. */
    public long anyLong() {
        return random.nextLong();
    }

    public boolean bool() {
        return random.nextBoolean();
    }

    /** True with probability {@code 1 / n}. */
    public boolean oneIn(int n) {
        return random.nextInt(n) == 0;
    }

    /** One of the options, each as likely. */
    @SafeVarargs
    public final <T> T pick(T... options) {
        return options[random.nextInt(options.length)];
    }

    public <T> T pick(List<T> options) {
        return options.get(random.nextInt(options.size()));
    }

    /**
     * An index into {@code weights}, index {@code i} with probability {@code weights[i] / sum}
     * (jqwik's {@code frequencyOf}).
     */
    public int weighted(int... weights) {
        int total = 0;
        for (int w : weights) {
            total += w;
        }
        int r = random.nextInt(total);
        for (int i = 0; i < weights.length; i++) {
            r -= weights[i];
            if (r < 0) {
                return i;
            }
        }
        throw new AssertionError("unreachable");
    }

    /** Random bytes, the length uniform in {@code [minLength, maxLength]}. */
    public byte[] bytes(int minLength, int maxLength) {
        byte[] b = new byte[intBetween(minLength, maxLength)];
        random.nextBytes(b);
        return b;
    }

    /** A string of characters drawn from {@code alphabet}, the length uniform in {@code [0, maxLength]}. */
    public String stringOf(String alphabet, int maxLength) {
        int length = intBetween(0, maxLength);
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            s.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return s.toString();
    }

    /** A string of any UTF-16 code units but surrogates (which do not survive UTF-8), up to {@code maxLength}. */
    public String anyString(int maxLength) {
        int length = intBetween(0, maxLength);
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            char c;
            do {
                c = (char) (oneIn(2) ? random.nextInt(0x20, 0x7f) : random.nextInt(0, 0x10000));
            } while (Character.isSurrogate(c));
            s.append(c);
        }
        return s.toString();
    }

    /** A list of {@code element} draws, the size uniform in {@code [minSize, maxSize]}. */
    public <T> List<T> listOf(int minSize, int maxSize, Function<Gen, T> element) {
        int size = intBetween(minSize, maxSize);
        List<T> list = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            list.add(element.apply(this));
        }
        return list;
    }

    /** A map of up to {@code maxSize} entries (fewer when drawn keys repeat), in insertion order. */
    public <K, V> Map<K, V> mapOf(int maxSize, Function<Gen, K> key, Function<Gen, V> value) {
        int size = intBetween(0, maxSize);
        Map<K, V> map = new LinkedHashMap<>();
        for (int i = 0; i < size; i++) {
            map.put(key.apply(this), value.apply(this));
        }
        return map;
    }
}
