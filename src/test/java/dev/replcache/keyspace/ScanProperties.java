package dev.replcache.keyspace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.replcache.testing.PropertyCheck;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * SCAN's guarantee, as Redis gives it: a key present from the start to the end of a full scan
 * is returned, whatever is inserted, deleted, overwritten or expired between the pages; and
 * since a key never moves between segments, no key is returned twice.
 */
class ScanProperties {

    /** One try: keys present throughout, the page size, the segment count, the MATCH pattern ("" = none), a seed. */
    record Case(int stableCount, int count, int segments, String pattern, long seed) {
    }

    @Test
    void keysPresentForTheWholeScanAreReturnedOnce() {
        PropertyCheck.forAll("keysPresentForTheWholeScanAreReturnedOnce", 200,
                gen -> new Case(gen.intBetween(0, 400), gen.intBetween(1, 60), gen.pick(1, 2, 4, 16, 256),
                        gen.pick("", "*", "s:*", "s:1*", "*7", "?:[0-4]*", "t:*"), gen.anyLong()),
                ScanProperties::check);
    }

    private static void check(Case c) {
        int stableCount = c.stableCount();
        int count = c.count();
        int segments = c.segments();
        String pattern = c.pattern();
        long seed = c.seed();
        SplittableRandom random = new SplittableRandom(seed);
        ManualClock clock = new ManualClock();
        Keyspace ks = new Keyspace(KeyspaceConfig.DEFAULTS.withSegments(segments), clock, new SplittableRandom(seed),
                WriteLog.DISCARD);
        Bytes match = pattern.isEmpty() ? null : Bytes.utf8(pattern);
        Set<Bytes> stable = new HashSet<>();
        for (int i = 0; i < stableCount; i++) {
            Bytes key = Bytes.utf8("s:" + i);
            stable.add(key);
            if (i % 5 == 0) {
                ks.hset(key, Map.of(Bytes.utf8("f"), Bytes.utf8("v")));
            } else {
                ks.set(key, Bytes.utf8("v"));
            }
        }
        for (int i = 0; i < 200; i++) {
            churn(ks, random, clock, stableCount);
        }

        List<Bytes> returned = new ArrayList<>();
        long cursor = 0;
        int pages = 0;
        do {
            ScanPage page = ks.scan(cursor, match, count);
            returned.addAll(page.keys());
            cursor = page.nextCursor();
            pages++;
            assertThat(pages).as("a scan ends within one page per segment").isLessThanOrEqualTo(segments);
            int writes = random.nextInt(30);
            for (int i = 0; i < writes; i++) {
                churn(ks, random, clock, stableCount);
            }
        } while (cursor != 0);

        assertThat(new HashSet<>(returned)).as("no key twice").hasSize(returned.size());
        Set<Bytes> expected = new HashSet<>();
        for (Bytes key : stable) {
            if (match == null || Glob.matches(match, key)) {
                expected.add(key);
            }
        }
        assertThat(returned).containsAll(expected);
        for (Bytes key : returned) {
            assertThat(match == null || Glob.matches(match, key)).as("%s matches %s", key, pattern).isTrue();
        }
    }

    /** One write that leaves every stable key present: churn on other keys, overwrites and TTLs far ahead. */
    private static void churn(Keyspace ks, SplittableRandom random, ManualClock clock, int stableCount) {
        Bytes transientKey = Bytes.utf8("t:" + random.nextInt(300));
        clock.advance(random.nextInt(3));
        switch (random.nextInt(7)) {
            case 0, 1 -> ks.set(transientKey, Bytes.utf8("x"));
            case 2 -> ks.del(List.of(transientKey));
            case 3 -> ks.set(transientKey, Bytes.utf8("x"), SetCondition.ALWAYS, Ttl.inMillis(1 + random.nextInt(5)), false);
            case 4 -> ks.activeExpireCycle();
            case 5 -> {
                if (stableCount > 0) {
                    Bytes stableKey = Bytes.utf8("s:" + random.nextInt(stableCount));
                    if (ks.type(stableKey) == ValueType.STRING) {
                        ks.set(stableKey, Bytes.utf8("v" + random.nextInt(10)));
                    }
                }
            }
            default -> {
                if (stableCount > 0) {
                    ks.pexpire(Bytes.utf8("s:" + random.nextInt(stableCount)), 3_600_000);
                }
            }
        }
    }
}
