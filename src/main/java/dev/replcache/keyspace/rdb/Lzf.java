package dev.replcache.keyspace.rdb;

/**
 * The LZF decompressor ({@code redis/src/lzf_d.c}): Redis compresses strings longer than 20
 * bytes this way when {@code rdbcompression} is on (the default), so any RDB file Redis writes
 * has LZF strings in it.
 *
 * <p>Format: a sequence of runs. A control byte below 32 starts a literal run of
 * {@code ctrl + 1} bytes. Otherwise it is a back reference: length {@code (ctrl >> 5) + 2}
 * (when the top three bits are all set, the next byte is added to the length), distance
 * {@code ((ctrl & 0x1f) << 8) + next byte + 1} back into the output; source and target may
 * overlap, which is how runs of one byte are encoded.
 *
 * <p>Every read and write is bounds-checked: corrupt input ends in an
 * {@link IllegalArgumentException}, never in writing outside {@code out} or in a silent
 * short result.
 */
public final class Lzf {

    /**
     * The most bytes one compressed byte can turn into: a three-byte back reference yields at
     * most 7 + 255 + 2 = 264 bytes. A declared length above {@code 88 * compressed} is corrupt,
     * which lets a reader refuse it before allocating the output.
     */
    public static final int MAX_EXPANSION = 88;

    private Lzf() {
    }

    /**
     * Decompresses {@code in[inOff, inOff + inLen)} into all of {@code out}.
     *
     * @throws IllegalArgumentException when the data is corrupt, or does not decompress to
     *                                  exactly {@code out.length} bytes
     */
    public static void decompress(byte[] in, int inOff, int inLen, byte[] out) {
        int ip = inOff;
        int inEnd = inOff + inLen;
        int op = 0;
        int outEnd = out.length;
        while (ip < inEnd) {
            int ctrl = in[ip++] & 0xff;
            if (ctrl < 32) {
                int len = ctrl + 1;
                if (len > outEnd - op) {
                    throw corrupt("a literal run of " + len + " bytes overflows the declared length " + outEnd, ip - 1 - inOff);
                }
                if (len > inEnd - ip) {
                    throw corrupt("a literal run of " + len + " bytes runs past the end of the compressed data", ip - 1 - inOff);
                }
                System.arraycopy(in, ip, out, op, len);
                ip += len;
                op += len;
            } else {
                int len = ctrl >>> 5;
                int ref = op - ((ctrl & 0x1f) << 8) - 1;
                if (len == 7) {
                    if (ip >= inEnd) {
                        throw corrupt("a back reference is cut off", ip - 1 - inOff);
                    }
                    len += in[ip++] & 0xff;
                }
                if (ip >= inEnd) {
                    throw corrupt("a back reference is cut off", ip - 1 - inOff);
                }
                ref -= in[ip++] & 0xff;
                len += 2;
                if (len > outEnd - op) {
                    throw corrupt("a back reference of " + len + " bytes overflows the declared length " + outEnd, ip - inOff);
                }
                if (ref < 0) {
                    throw corrupt("a back reference points before the start of the output", ip - inOff);
                }
                if (op - ref >= len) {
                    System.arraycopy(out, ref, out, op, len);
                    op += len;
                } else {
                    // Overlapping: byte by byte, so that the copy reads what it has just written.
                    for (int i = 0; i < len; i++) {
                        out[op++] = out[ref++];
                    }
                }
            }
        }
        if (op != outEnd) {
            throw corrupt("decompressed to " + op + " bytes, but " + outEnd + " were declared", inLen);
        }
    }

    private static IllegalArgumentException corrupt(String what, int compressedOffset) {
        return new IllegalArgumentException("corrupt LZF data: " + what + " (compressed byte " + compressedOffset + ")");
    }
}
