package dev.replcache.keyspace.rdb;

import dev.replcache.keyspace.Bytes;

import java.util.ArrayList;
import java.util.List;

/**
 * Decodes a ziplist ({@code redis/src/ziplist.c}): how Redis 2.6 to 6.2 stored small hashes
 * ({@code RDB_TYPE_HASH_ZIPLIST}: field, value, field, value ...).
 *
 * <p>Layout: total bytes (u32 LE), offset of the last entry (u32 LE), entry count (u16 LE,
 * 65535 = "count them"), entries, then {@code 0xFF}. An entry is the previous entry's length
 * (1 byte, or {@code 0xFE} + u32 LE), an encoding, and its data. Encodings: strings with 6-bit,
 * 14-bit (big-endian) or 32-bit (big-endian) lengths; integers of 8, 16, 24, 32 and 64 bits
 * (little-endian, signed) and 4-bit immediates 0..12. Integers come back as decimal text.
 *
 * <p>Header, extents, prevlen chain, tail offset, count and terminator are checked; corrupt
 * input ends in an {@link IllegalArgumentException}.
 */
final class Ziplist {

    private static final int HEADER_BYTES = 10;
    private static final int COUNT_UNKNOWN = 65535;
    private static final int END = 0xFF;
    private static final int BIG_PREVLEN = 0xFE;

    private Ziplist() {
    }

    static List<Bytes> decode(byte[] zl) {
        if (zl.length < HEADER_BYTES + 1) {
            throw corrupt("is " + zl.length + " bytes, shorter than a header and terminator");
        }
        long totalBytes = Listpack.u32le(zl, 0);
        if (totalBytes != zl.length) {
            throw corrupt("header says " + totalBytes + " bytes, but the blob is " + zl.length);
        }
        long tailOffset = Listpack.u32le(zl, 4);
        int declaredCount = (zl[8] & 0xff) | (zl[9] & 0xff) << 8;
        List<Bytes> elements = new ArrayList<>(Math.min(declaredCount, 1024));
        int p = HEADER_BYTES;
        int prevEntryBytes = 0;
        int lastEntryStart = HEADER_BYTES;
        while (true) {
            need(zl, p, 1);
            if ((zl[p] & 0xff) == END) {
                break;
            }
            int start = p;
            int prevlen;
            if ((zl[p] & 0xff) == BIG_PREVLEN) {
                need(zl, p, 5);
                long big = Listpack.u32le(zl, p + 1);
                prevlen = big > Integer.MAX_VALUE ? -1 : (int) big;
                p += 5;
            } else {
                prevlen = zl[p] & 0xff;
                p += 1;
            }
            if (prevlen != prevEntryBytes) {
                throw corrupt("entry at byte " + start + " says the previous entry is " + prevlen
                        + " bytes, but it is " + prevEntryBytes);
            }
            need(zl, p, 1);
            int enc = zl[p] & 0xff;
            Bytes element;
            if ((enc & 0xC0) == 0x00) {
                int len = enc & 0x3f;
                element = slice(zl, p + 1, len);
                p += 1 + len;
            } else if ((enc & 0xC0) == 0x40) {
                need(zl, p, 2);
                int len = ((enc & 0x3f) << 8) | (zl[p + 1] & 0xff);
                element = slice(zl, p + 2, len);
                p += 2 + len;
            } else if (enc == 0x80) {
                need(zl, p, 5);
                long len = (zl[p + 1] & 0xffL) << 24 | (zl[p + 2] & 0xffL) << 16 | (zl[p + 3] & 0xffL) << 8 | (zl[p + 4] & 0xffL);
                if (len > zl.length) {
                    throw corrupt("entry at byte " + start + " declares " + len + " bytes, more than the ziplist holds");
                }
                element = slice(zl, p + 5, (int) len);
                p += 5 + (int) len;
            } else if (enc >= 0xF1 && enc <= 0xFD) {
                element = Listpack.decimal((enc & 0x0f) - 1);
                p += 1;
            } else {
                int bytes;
                switch (enc) {
                    case 0xFE: bytes = 1; break;
                    case 0xC0: bytes = 2; break;
                    case 0xF0: bytes = 3; break;
                    case 0xD0: bytes = 4; break;
                    case 0xE0: bytes = 8; break;
                    default:
                        throw corrupt("unknown entry encoding 0x" + Integer.toHexString(enc) + " at byte " + p);
                }
                need(zl, p + 1, bytes);
                long v = 0;
                for (int i = 0; i < bytes; i++) {
                    v |= (long) (zl[p + 1 + i] & 0xff) << (8 * i);
                }
                int unusedBits = 64 - 8 * bytes;
                v = (v << unusedBits) >> unusedBits; // sign-extend
                element = Listpack.decimal(v);
                p += 1 + bytes;
            }
            elements.add(element);
            prevEntryBytes = p - start;
            lastEntryStart = start;
        }
        if (p != zl.length - 1) {
            throw corrupt("terminator at byte " + p + " is not the last byte (" + (zl.length - 1) + ")");
        }
        long expectedTail = elements.isEmpty() ? HEADER_BYTES : lastEntryStart;
        if (tailOffset != expectedTail) {
            throw corrupt("header says the last entry is at byte " + tailOffset + ", but it is at " + expectedTail);
        }
        if (declaredCount != COUNT_UNKNOWN && declaredCount != elements.size()) {
            throw corrupt("header says " + declaredCount + " entries, but it holds " + elements.size());
        }
        return elements;
    }

    private static void need(byte[] zl, int p, int n) {
        if (p < 0 || n < 0 || n > zl.length - p) {
            throw corrupt("an entry at byte " + p + " runs past the end (" + zl.length + " bytes)");
        }
    }

    private static Bytes slice(byte[] b, int off, int len) {
        need(b, off, len);
        byte[] copy = new byte[len];
        System.arraycopy(b, off, copy, 0, len);
        return Bytes.of(copy);
    }

    private static IllegalArgumentException corrupt(String what) {
        return new IllegalArgumentException("corrupt ziplist: " + what);
    }
}
