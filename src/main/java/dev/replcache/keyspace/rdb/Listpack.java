package dev.replcache.keyspace.rdb;

import dev.replcache.keyspace.Bytes;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes a listpack ({@code redis/src/listpack.c}): how Redis 7.0 stores small hashes
 * ({@code RDB_TYPE_HASH_LISTPACK}: field, value, field, value ...).
 *
 * <p>Layout: total bytes (u32 LE), element count (u16 LE, 65535 = "count them"), elements,
 * then {@code 0xFF}. An element is an encoding byte, its data, and a "backlen" of 1-5 bytes
 * holding the size of encoding + data for walking backwards. Encodings: 7-bit unsigned,
 * 13/16/24/32/64-bit signed integers, and strings with 6, 12 or 32-bit lengths. Integers come
 * back as their decimal text, which is what Redis returns for them.
 *
 * <p>Everything is checked against the blob: header size, each element's extent, its backlen,
 * the count and the terminator. Corrupt input ends in an {@link IllegalArgumentException}.
 */
final class Listpack {

    private static final int HEADER_BYTES = 6;
    private static final int COUNT_UNKNOWN = 65535;
    private static final int EOF = 0xFF;

    private Listpack() {
    }

    static List<Bytes> decode(byte[] lp) {
        if (lp.length < HEADER_BYTES + 1) {
            throw corrupt("is " + lp.length + " bytes, shorter than a header and terminator");
        }
        long totalBytes = u32le(lp, 0);
        if (totalBytes != lp.length) {
            throw corrupt("header says " + totalBytes + " bytes, but the blob is " + lp.length);
        }
        int declaredCount = (lp[4] & 0xff) | (lp[5] & 0xff) << 8;
        List<Bytes> elements = new ArrayList<>(Math.min(declaredCount, 1024));
        int p = HEADER_BYTES;
        while (true) {
            need(lp, p, 1);
            int enc = lp[p] & 0xff;
            if (enc == EOF) {
                break;
            }
            int start = p;
            Bytes element;
            if ((enc & 0x80) == 0) {
                element = decimal(enc & 0x7f);
                p += 1;
            } else if ((enc & 0xC0) == 0x80) {
                int len = enc & 0x3f;
                need(lp, p + 1, len);
                element = slice(lp, p + 1, len);
                p += 1 + len;
            } else if ((enc & 0xE0) == 0xC0) {
                need(lp, p, 2);
                int u = ((enc & 0x1f) << 8) | (lp[p + 1] & 0xff);
                element = decimal(u >= (1 << 12) ? u - (1 << 13) : u);
                p += 2;
            } else if ((enc & 0xF0) == 0xE0) {
                need(lp, p, 2);
                int len = ((enc & 0x0f) << 8) | (lp[p + 1] & 0xff);
                need(lp, p + 2, len);
                element = slice(lp, p + 2, len);
                p += 2 + len;
            } else if (enc == 0xF0) {
                need(lp, p, 5);
                long len = u32le(lp, p + 1);
                if (len > lp.length) {
                    throw corrupt("element at " + p + " declares " + len + " bytes, more than the listpack holds");
                }
                need(lp, p + 5, (int) len);
                element = slice(lp, p + 5, (int) len);
                p += 5 + (int) len;
            } else if (enc >= 0xF1 && enc <= 0xF4) {
                int bytes = enc == 0xF1 ? 2 : enc == 0xF2 ? 3 : enc == 0xF3 ? 4 : 8;
                need(lp, p + 1, bytes);
                long v = 0;
                for (int i = 0; i < bytes; i++) {
                    v |= (long) (lp[p + 1 + i] & 0xff) << (8 * i);
                }
                int unusedBits = 64 - 8 * bytes;
                v = (v << unusedBits) >> unusedBits; // sign-extend
                element = decimal(v);
                p += 1 + bytes;
            } else {
                throw corrupt("unknown element encoding 0x" + Integer.toHexString(enc) + " at byte " + p);
            }
            p = checkBacklen(lp, p, p - start);
            elements.add(element);
        }
        if (p != lp.length - 1) {
            throw corrupt("terminator at byte " + p + " is not the last byte (" + (lp.length - 1) + ")");
        }
        if (declaredCount != COUNT_UNKNOWN && declaredCount != elements.size()) {
            throw corrupt("header says " + declaredCount + " elements, but it holds " + elements.size());
        }
        return elements;
    }

    /** Checks the backlen of an element of {@code entryBytes} ending at {@code p}; returns the position after it. */
    private static int checkBacklen(byte[] lp, int p, int entryBytes) {
        byte[] expected = encodeBacklen(entryBytes);
        need(lp, p, expected.length);
        for (int i = 0; i < expected.length; i++) {
            if (lp[p + i] != expected[i]) {
                throw corrupt("element ending at byte " + p + " has a wrong backlen");
            }
        }
        return p + expected.length;
    }

    /** listpack.c's lpEncodeBacklen (note its thresholds: 127 inclusive, the others exclusive). */
    static byte[] encodeBacklen(long l) {
        if (l <= 127) {
            return new byte[] {(byte) l};
        } else if (l < 16383) {
            return new byte[] {(byte) (l >> 7), (byte) ((l & 127) | 128)};
        } else if (l < 2097151) {
            return new byte[] {(byte) (l >> 14), (byte) (((l >> 7) & 127) | 128), (byte) ((l & 127) | 128)};
        } else if (l < 268435455) {
            return new byte[] {(byte) (l >> 21), (byte) (((l >> 14) & 127) | 128),
                (byte) (((l >> 7) & 127) | 128), (byte) ((l & 127) | 128)};
        } else {
            return new byte[] {(byte) (l >> 28), (byte) (((l >> 21) & 127) | 128), (byte) (((l >> 14) & 127) | 128),
                (byte) (((l >> 7) & 127) | 128), (byte) ((l & 127) | 128)};
        }
    }

    private static void need(byte[] lp, int p, int n) {
        if (p < 0 || n < 0 || n > lp.length - p) {
            throw corrupt("an element at byte " + p + " runs past the end (" + lp.length + " bytes)");
        }
    }

    private static Bytes slice(byte[] b, int off, int len) {
        byte[] copy = new byte[len];
        System.arraycopy(b, off, copy, 0, len);
        return Bytes.of(copy);
    }

    static Bytes decimal(long v) {
        return Bytes.of(Long.toString(v).getBytes(StandardCharsets.US_ASCII));
    }

    static long u32le(byte[] b, int p) {
        return (b[p] & 0xffL) | (b[p + 1] & 0xffL) << 8 | (b[p + 2] & 0xffL) << 16 | (b[p + 3] & 0xffL) << 24;
    }

    private static IllegalArgumentException corrupt(String what) {
        return new IllegalArgumentException("corrupt listpack: " + what);
    }
}
