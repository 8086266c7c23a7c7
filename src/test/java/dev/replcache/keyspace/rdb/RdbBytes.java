package dev.replcache.keyspace.rdb;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/** Hand-built RDB files for reader tests: each piece written as the format says, by hand. */
final class RdbBytes {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final int version;

    private RdbBytes(int version) {
        this.version = version;
        out.writeBytes(String.format("REDIS%04d", version).getBytes(StandardCharsets.US_ASCII));
    }

    static RdbBytes version(int version) {
        return new RdbBytes(version);
    }

    RdbBytes hex(String hex) {
        out.writeBytes(HexFormat.of().parseHex(hex.replace(" ", "")));
        return this;
    }

    RdbBytes u8(int b) {
        out.write(b);
        return this;
    }

    /** A string with a 6-bit length (shorter than 64 bytes). */
    RdbBytes str(String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        if (b.length >= 64) {
            throw new IllegalArgumentException("short strings only");
        }
        out.write(b.length);
        out.writeBytes(b);
        return this;
    }

    /** A blob with a 32-bit length. */
    RdbBytes blob(byte[] b) {
        out.write(0x80);
        for (int shift = 24; shift >= 0; shift -= 8) {
            out.write(b.length >>> shift);
        }
        out.writeBytes(b);
        return this;
    }

    RdbBytes aux(String name, String value) {
        return u8(0xFA).str(name).str(value);
    }

    RdbBytes selectDb0() {
        return hex("fe 00");
    }

    /** EOF, then the checksum for versions that have one. */
    byte[] end() {
        out.write(0xFF);
        byte[] body = out.toByteArray();
        if (version < 5) {
            return body;
        }
        long crc = Crc64.of(body);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(body);
        for (int i = 0; i < 8; i++) {
            all.write((int) (crc >>> (8 * i)));
        }
        return all.toByteArray();
    }

    /** No EOF, no checksum: a stream cut short on purpose. */
    byte[] cut() {
        return out.toByteArray();
    }

    static byte[] latin1(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
