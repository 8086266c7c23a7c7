package dev.replcache.keyspace.rdb;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The samples are LZF payloads cut out of dump.rdb files written by redis-server 7.0.15. */
class LzfTest {

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }

    private static String decompress(String compressedHex, int length) {
        byte[] in = hex(compressedHex);
        byte[] out = new byte[length];
        Lzf.decompress(in, 0, in.length, out);
        return new String(out, StandardCharsets.US_ASCII);
    }

    @Test
    void decompressesARunOfOneByte() {
        // SET big <81 x 'a'>: one literal, then an overlapping back reference with an extended length.
        assertThat(decompress("016161e04400016161", 81)).isEqualTo("a".repeat(81));
    }

    @Test
    void decompressesText() {
        String text = "The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog again and again.";
        assertThat(decompress("1f54686520717569636b2062726f776e20666f78206a756d7073206f7665722074201e0a6c617a79"
                + "20646f672e2054200de01e2c0920616761696e20616e646009016e2e", text.length())).isEqualTo(text);
    }

    @Test
    void decompressesLongBackReferences() {
        String text = "0123456789".repeat(200) + "tail";
        assertThat(decompress("0a3031323334353637383930e0ff09e1ff0de2ff11e2ff11e2ff11e2ff11e2ff11e28411037461696c",
                text.length())).isEqualTo(text);
    }

    @Test
    void decompressesARedisStringFromAnRdbFile() {
        // SET s1 "hello hello hello hello hello world", as stored in a Redis dump (see RdbCorruptionTest).
        assertThat(decompress("0668656c6c6f2068e00e0504776f726c64", 35)).isEqualTo("hello hello hello hello hello world");
    }

    @Test
    void refusesABackReferenceBeforeTheStart() {
        byte[] in = hex("20ff"); // back reference of 3 bytes, 256 back, with nothing written yet
        assertThatThrownBy(() -> Lzf.decompress(in, 0, in.length, new byte[3]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("before the start");
    }

    @Test
    void refusesOutputLongerThanDeclared() {
        byte[] in = hex("016161e04400016161");
        assertThatThrownBy(() -> Lzf.decompress(in, 0, in.length, new byte[80]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overflows the declared length");
    }

    @Test
    void refusesOutputShorterThanDeclared() {
        byte[] in = hex("016161e04400016161");
        assertThatThrownBy(() -> Lzf.decompress(in, 0, in.length, new byte[82]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("82 were declared");
    }

    @Test
    void refusesCutOffInput() {
        byte[] literal = hex("0561"); // a literal of 6 bytes with 1 present
        assertThatThrownBy(() -> Lzf.decompress(literal, 0, literal.length, new byte[6]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("past the end");
        byte[] backref = hex("0061e0"); // a long back reference missing its length and distance bytes
        assertThatThrownBy(() -> Lzf.decompress(backref, 0, backref.length, new byte[20]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cut off");
    }
}
