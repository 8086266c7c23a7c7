package dev.replcache.keyspace.rdb;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Redis's CRC-64 (the "Jones" polynomial {@code 0xad93d23594c935a9}, reflected input and
 * output, initial value 0, no final xor), as in {@code redis/src/crc64.c}: the checksum in the
 * last 8 bytes of an RDB file. Check value: the CRC of {@code "123456789"} is
 * {@code 0xe9c6d914c4b8d9ca}.
 *
 * <p>Table-driven, eight bytes per step ("slicing by 8", what Redis's {@code crcspeed} does),
 * because every byte of every snapshot goes through it.
 */
public final class Crc64 {

    /** The Jones polynomial, bit-reversed for the reflected (LSB-first) algorithm. */
    private static final long REFLECTED_POLY = Long.reverse(0xad93d23594c935a9L);

    private static final long[][] TABLES = new long[8][256];
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    static {
        for (int i = 0; i < 256; i++) {
            long crc = i;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 1) != 0 ? (crc >>> 1) ^ REFLECTED_POLY : crc >>> 1;
            }
            TABLES[0][i] = crc;
        }
        for (int i = 0; i < 256; i++) {
            for (int k = 1; k < 8; k++) {
                long prev = TABLES[k - 1][i];
                TABLES[k][i] = (prev >>> 8) ^ TABLES[0][(int) (prev & 0xff)];
            }
        }
    }

    private Crc64() {
    }

    /** The CRC of {@code len} bytes of {@code data} from {@code off}, continuing from {@code crc} (0 to start). */
    public static long update(long crc, byte[] data, int off, int len) {
        int i = off;
        int end = off + len;
        long[] t0 = TABLES[0];
        for (; end - i >= 8; i += 8) {
            long x = crc ^ (long) LONG_LE.get(data, i);
            crc = TABLES[7][(int) (x & 0xff)]
                    ^ TABLES[6][(int) ((x >>> 8) & 0xff)]
                    ^ TABLES[5][(int) ((x >>> 16) & 0xff)]
                    ^ TABLES[4][(int) ((x >>> 24) & 0xff)]
                    ^ TABLES[3][(int) ((x >>> 32) & 0xff)]
                    ^ TABLES[2][(int) ((x >>> 40) & 0xff)]
                    ^ TABLES[1][(int) ((x >>> 48) & 0xff)]
                    ^ t0[(int) (x >>> 56)];
        }
        for (; i < end; i++) {
            crc = t0[(int) ((crc ^ data[i]) & 0xff)] ^ (crc >>> 8);
        }
        return crc;
    }

    /** The CRC of a whole array. */
    public static long of(byte[] data) {
        return update(0, data, 0, data.length);
    }

    /** Bit by bit, straight from the definition: the reference the table-driven path is tested against. */
    static long updateBitwise(long crc, byte[] data, int off, int len) {
        for (int i = off; i < off + len; i++) {
            crc ^= data[i] & 0xff;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 1) != 0 ? (crc >>> 1) ^ REFLECTED_POLY : crc >>> 1;
            }
        }
        return crc;
    }
}
