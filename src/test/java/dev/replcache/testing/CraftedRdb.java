package dev.replcache.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Hostile RDB files, for the loader's limits (issue 12, row 8): string values stored as real
 * LZF that decompresses to runs of one byte, 88 times its size, as a fake master or a planted
 * dump file would send them. Written here byte by byte, not with RdbWriter, which compresses
 * only what it saves itself.
 */
public final class CraftedRdb {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private CraftedRdb() {
        out.writeBytes("REDIS0010".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(new byte[] {(byte) 0xFE, 0x00}); // SELECTDB 0
    }

    public static CraftedRdb create() {
        return new CraftedRdb();
    }

    /** A string key whose value is LZF data that really expands to {@code 1 + 264 * refs} bytes of 'a'. */
    public CraftedRdb lzfBomb(String key, int refs) {
        out.write(0); // RDB_TYPE_STRING
        plainString(key.getBytes(StandardCharsets.UTF_8));
        ByteArrayOutputStream lzf = new ByteArrayOutputStream();
        lzf.write(0); // a literal run of one byte
        lzf.write('a');
        for (int i = 0; i < refs; i++) {
            // A back reference of 7 + 255 + 2 = 264 bytes at distance 1: the run repeats itself.
            lzf.write(0xE0);
            lzf.write(0xFF);
            lzf.write(0x00);
        }
        out.write(0xC3); // ENC_LZF
        length(lzf.size());
        length(1 + 264L * refs);
        out.writeBytes(lzf.toByteArray());
        return this;
    }

    /** A plain string key and value. */
    public CraftedRdb string(byte[] key, byte[] value) {
        out.write(0);
        plainString(key);
        plainString(value);
        return this;
    }

    private void plainString(byte[] b) {
        length(b.length);
        out.writeBytes(b);
    }

    private void length(long n) {
        out.write(0x80); // 32-bit big-endian length
        for (int shift = 24; shift >= 0; shift -= 8) {
            out.write((int) (n >>> shift));
        }
    }

    /** EOF and the CRC64 trailer (Redis's; a node refuses a zero one unless allow-no-checksum). */
    public byte[] end() {
        out.write(0xFF);
        long crc = dev.replcache.keyspace.rdb.Crc64.of(out.toByteArray());
        for (int i = 0; i < 8; i++) {
            out.write((int) (crc >>> (8 * i)));
        }
        return out.toByteArray();
    }
}
