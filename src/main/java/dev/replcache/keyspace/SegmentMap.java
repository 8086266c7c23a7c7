package dev.replcache.keyspace;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One segment's hash table: one writer at a time (the keyspace's write lock) and lock-free
 * readers, in the manner of the segments of Java 6's {@code ConcurrentHashMap}.
 *
 * <p>Why not {@link java.util.concurrent.ConcurrentHashMap}: every write here already holds the
 * keyspace's lock, so its per-bin monitor, its CAS on empty bins and its striped size counter
 * are pure cost, and its own node beside the {@link Entry} is one more object per key for every
 * young collection to copy. Here the {@link Entry} is the node.
 *
 * <p><b>Publication.</b> Chains are immutable once published: an entry's links are set before a
 * release store puts it in a table slot, and are never written again. A write replaces the head
 * of a chain (copying the few entries in front of the one it replaces or removes, as Java 6
 * did), and a resize builds a whole new table and then publishes it. A reader does one acquire
 * load of the table and one of the slot, then follows plain links; whatever it reaches was
 * complete before it was published. A reader still on a table that a resize replaced sees the
 * segment as it was at its load, which is a state the segment had during the read.
 *
 * <p>Because published chains never change, a table array is a snapshot of its segment once
 * cloned under the write lock: copy-on-write for {@link KeyspaceSnapshot} costs one array copy.
 */
final class SegmentMap {

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Entry[].class);
    private static final VarHandle TABLE;
    private static final VarHandle SIZE;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            TABLE = lookup.findVarHandle(SegmentMap.class, "table", Entry[].class);
            SIZE = lookup.findVarHandle(SegmentMap.class, "size", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Resize when the map holds more than this fraction of its slots (as HashMap). */
    private static final float LOAD_FACTOR = 0.75f;

    private final int initialCapacity;
    /**
     * Low hash bits that chose the segment, the same for every key here: slots are picked
     * from the bits above them, or a segment of 256 would use one slot in 256.
     */
    private final int hashShift;
    /** Written by the writer with release, read by readers with acquire. */
    private Entry[] table;
    /** Written by the writer with release, read by readers with acquire. */
    private int size;
    /** Writer only. */
    private int threshold;

    /**
     * @param initialCapacity slots of a new or cleared table, a power of two
     * @param hashShift       low bits of the hash that are the same for all keys of this map
     */
    SegmentMap(int initialCapacity, int hashShift) {
        if (initialCapacity < 1 || Integer.bitCount(initialCapacity) != 1) {
            throw new IllegalArgumentException("initialCapacity must be a power of two: " + initialCapacity);
        }
        if (hashShift < 0 || hashShift > 16) {
            throw new IllegalArgumentException("hashShift must be 0..16: " + hashShift);
        }
        this.initialCapacity = initialCapacity;
        this.hashShift = hashShift;
        install(new Entry[initialCapacity]);
    }

    // ------------------------------------------------------------------ readers (no lock)

    Entry get(Bytes key) {
        int h = key.hashCode();
        byte[] k = key.unsafeArray();
        Entry[] tab = (Entry[]) TABLE.getAcquire(this);
        return find((Entry) SLOT.getAcquire(tab, slot(h, tab.length)), h, k);
    }

    int size() {
        return (int) SIZE.getAcquire(this);
    }

    /**
     * The current table, for a reader to walk (SCAN): each chain as it was when its slot is
     * read. Never write to it.
     */
    Entry[] tableForReading() {
        return (Entry[]) TABLE.getAcquire(this);
    }

    // ------------------------------------------------------------------ the writer (under the keyspace's lock)

    /**
     * Stores {@code entry} under {@code key}. A fresh entry becomes the node itself; one that is
     * already linked (stored elsewhere) is copied first.
     *
     * @return the entry it replaced, or null
     */
    Entry put(Bytes key, Entry entry) {
        int h = key.hashCode();
        byte[] k = key.unsafeArray();
        Entry[] tab = table;
        int i = slot(h, tab.length);
        Entry first = tab[i];
        Entry old = find(first, h, k);
        if (old != null) {
            // Keep the stored key array: the request's copy can die young.
            SLOT.setRelease(tab, i, withPrefixCopied(first, old, link(entry, old.key, h, old.next)));
            return old;
        }
        SLOT.setRelease(tab, i, link(entry, k, h, first));
        int newSize = size + 1;
        SIZE.setRelease(this, newSize);
        if (newSize > threshold) {
            resize();
        }
        return null;
    }

    /** @return the entry removed, or null when the key was not there */
    Entry remove(Bytes key) {
        int h = key.hashCode();
        byte[] k = key.unsafeArray();
        Entry[] tab = table;
        int i = slot(h, tab.length);
        Entry first = tab[i];
        Entry old = find(first, h, k);
        if (old != null) {
            SLOT.setRelease(tab, i, withPrefixCopied(first, old, old.next));
            SIZE.setRelease(this, size - 1);
        }
        return old;
    }

    void clear() {
        install(new Entry[initialCapacity]);
        SIZE.setRelease(this, 0);
    }

    /** A copy of the table: the segment as it is now, unchanged by later writes. */
    Entry[] frozenTable() {
        return table.clone();
    }

    /** Every entry of a (frozen) table, with its key. */
    static List<Map.Entry<Bytes, Entry>> entriesOf(Entry[] tab, int expectedSize) {
        List<Map.Entry<Bytes, Entry>> entries = new ArrayList<>(expectedSize);
        for (Entry head : tab) {
            for (Entry e = head; e != null; e = e.next) {
                entries.add(Map.entry(e.storedKey(), e));
            }
        }
        return entries;
    }

    // ------------------------------------------------------------------ internals

    /**
     * The chain {@code first} with {@code target} replaced by {@code tail} (the rest of the chain
     * after it, or a new node followed by that rest). Entries in front of {@code target} are
     * copied, since a published link never changes; chains are short (load factor 0.75).
     */
    /** The entry of key {@code k} (hash {@code h}) in the chain from {@code first}, or null. */
    private static Entry find(Entry first, int h, byte[] k) {
        for (Entry e = first; e != null; e = e.next) {
            if (e.hash == h && Arrays.equals(e.key, k)) {
                return e;
            }
        }
        return null;
    }

    private int slot(int hash, int tableLength) {
        return (hash >>> hashShift) & (tableLength - 1);
    }

    private static Entry withPrefixCopied(Entry first, Entry target, Entry tail) {
        Entry head = tail;
        for (Entry p = first; p != target; p = p.next) {
            head = link(p.unlinkedCopy(), p.key, p.hash, head);
        }
        return head;
    }

    private static Entry link(Entry entry, byte[] key, int hash, Entry next) {
        Entry node = entry.isLinked() ? entry.unlinkedCopy() : entry;
        node.key = key;
        node.hash = hash;
        node.next = next;
        return node;
    }

    /**
     * Doubles the table. Old bucket {@code i} lands in new buckets {@code i} and
     * {@code i + old length} only; the tail run of a chain that lands in one of them moves as it
     * is, and only the entries in front of it are copied (Java 6's rehash).
     */
    private void resize() {
        Entry[] old = table;
        Entry[] tab = new Entry[old.length * 2];
        for (Entry first : old) {
            if (first == null) {
                continue;
            }
            Entry lastRun = first;
            int lastIndex = slot(first.hash, tab.length);
            for (Entry e = first.next; e != null; e = e.next) {
                int index = slot(e.hash, tab.length);
                if (index != lastIndex) {
                    lastIndex = index;
                    lastRun = e;
                }
            }
            tab[lastIndex] = lastRun;
            for (Entry e = first; e != lastRun; e = e.next) {
                int index = slot(e.hash, tab.length);
                tab[index] = link(e.unlinkedCopy(), e.key, e.hash, tab[index]);
            }
        }
        install(tab);
    }

    private void install(Entry[] tab) {
        threshold = (int) (tab.length * LOAD_FACTOR);
        TABLE.setRelease(this, tab);
    }
}
