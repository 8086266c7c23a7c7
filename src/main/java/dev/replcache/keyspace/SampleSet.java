package dev.replcache.keyspace;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * A set of keys with O(1) add, remove and uniform random pick: what the active expiry cycle
 * and eviction sample from, as Redis samples its dicts. Not thread-safe: used only under the
 * keyspace's write lock.
 */
final class SampleSet {

    private final List<Bytes> keys = new ArrayList<>();
    private final Map<Bytes, Integer> positions = new HashMap<>();

    void add(Bytes key) {
        if (positions.putIfAbsent(key, keys.size()) == null) {
            keys.add(key);
        }
    }

    void remove(Bytes key) {
        Integer pos = positions.remove(key);
        if (pos == null) {
            return;
        }
        Bytes last = keys.remove(keys.size() - 1);
        if (pos < keys.size()) {
            keys.set(pos, last);
            positions.put(last, pos);
        }
    }

    Bytes random(RandomGenerator random) {
        return keys.isEmpty() ? null : keys.get(random.nextInt(keys.size()));
    }

    int size() {
        return keys.size();
    }

    boolean isEmpty() {
        return keys.isEmpty();
    }

    void clear() {
        keys.clear();
        positions.clear();
    }
}
