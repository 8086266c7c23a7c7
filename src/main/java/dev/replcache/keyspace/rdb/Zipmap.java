package dev.replcache.keyspace.rdb;

import dev.replcache.keyspace.Bytes;

import java.util.ArrayList;
import java.util.List;

/**
 * Decodes a zipmap ({@code redis/src/zipmap.c}): how Redis before 2.6 stored small hashes
 * ({@code RDB_TYPE_HASH_ZIPMAP}). Returned as field, value, field, value ...
 *
 * <p>Layout: a count byte (exact when below 254), then per pair: field length, field, value
 * length, a "free" byte counting unused bytes after the value, the value, the unused bytes;
 * then {@code 0xFF}. A length is one byte below 254, or {@code 0xFE} + u32 (the host's byte
 * order: little-endian on every machine Redis ran on in practice).
 */
final class Zipmap {

    private static final int BIGLEN = 254;
    private static final int END = 255;

    private Zipmap() {
    }

    static List<Bytes> decode(byte[] zm) {
        if (zm.length < 2) {
            throw corrupt("is " + zm.length + " bytes, shorter than a count and terminator");
        }
        int declaredCount = zm[0] & 0xff;
        List<Bytes> elements = new ArrayList<>();
        int p = 1;
        while (true) {
            need(zm, p, 1);
            if ((zm[p] & 0xff) == END) {
                break;
            }
            int[] cursor = {p};
            Bytes field = readString(zm, cursor, false);
            Bytes value = readString(zm, cursor, true);
            elements.add(field);
            elements.add(value);
            p = cursor[0];
        }
        if (p != zm.length - 1) {
            throw corrupt("terminator at byte " + p + " is not the last byte (" + (zm.length - 1) + ")");
        }
        if (declaredCount < BIGLEN && declaredCount != elements.size() / 2) {
            throw corrupt("count byte says " + declaredCount + " pairs, but it holds " + elements.size() / 2);
        }
        return elements;
    }

    /** Reads a length (and, for a value, the free byte), the string and its unused tail. */
    private static Bytes readString(byte[] zm, int[] cursor, boolean withFree) {
        int p = cursor[0];
        need(zm, p, 1);
        int first = zm[p] & 0xff;
        long len;
        if (first < BIGLEN) {
            len = first;
            p += 1;
        } else if (first == BIGLEN) {
            need(zm, p, 5);
            len = Listpack.u32le(zm, p + 1);
            p += 5;
        } else {
            throw corrupt("unexpected terminator at byte " + p + " inside a pair");
        }
        int free = 0;
        if (withFree) {
            need(zm, p, 1);
            free = zm[p] & 0xff;
            p += 1;
        }
        if (len > zm.length - p) {
            throw corrupt("a string at byte " + p + " of " + len + " bytes runs past the end");
        }
        byte[] copy = new byte[(int) len];
        System.arraycopy(zm, p, copy, 0, (int) len);
        p += (int) len;
        need(zm, p, free);
        cursor[0] = p + free;
        return Bytes.of(copy);
    }

    private static void need(byte[] zm, int p, int n) {
        if (p < 0 || n < 0 || n > zm.length - p) {
            throw corrupt("an entry at byte " + p + " runs past the end (" + zm.length + " bytes)");
        }
    }

    private static IllegalArgumentException corrupt(String what) {
        return new IllegalArgumentException("corrupt zipmap: " + what);
    }
}
