package dev.replcache.keyspace.rdb;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class Crc64Test {

    @Test
    void matchesRedisCheckValue() {
        // The check value in redis/src/crc64.c's self test.
        byte[] data = "123456789".getBytes(StandardCharsets.US_ASCII);
        assertThat(Crc64.of(data)).isEqualTo(0xe9c6d914c4b8d9caL);
        assertThat(Crc64.updateBitwise(0, data, 0, data.length)).isEqualTo(0xe9c6d914c4b8d9caL);
    }

    @Test
    void matchesRedisLongerCheckValue() {
        // Also from crc64.c's self test: crc64(0, li, sizeof(li)), so the C string's NUL is included.
        byte[] li = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut "
                + "labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris "
                + "nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit "
                + "esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt "
                + "in culpa qui officia deserunt mollit anim id est laborum.\0").getBytes(StandardCharsets.US_ASCII);
        assertThat(li).hasSize(446);
        assertThat(Crc64.of(li)).isEqualTo(0xc7794709e69683b3L);
    }

    @Test
    void emptyInputIsZero() {
        assertThat(Crc64.of(new byte[0])).isZero();
    }

    @Test
    void tableDrivenEqualsBitwiseForAnySplitOfTheInput() {
        // Guards the slicing-by-8 path: every length and alignment, and updates in pieces, as
        // the reader and writer feed the CRC buffer by buffer.
        SplittableRandom random = new SplittableRandom(42);
        for (int round = 0; round < 300; round++) {
            byte[] data = new byte[random.nextInt(0, 200)];
            random.nextBytes(data);
            long expected = Crc64.updateBitwise(0, data, 0, data.length);
            int cut = data.length == 0 ? 0 : random.nextInt(0, data.length + 1);
            long crc = Crc64.update(0, data, 0, cut);
            crc = Crc64.update(crc, data, cut, data.length - cut);
            assertThat(crc).as("length %d cut %d", data.length, cut).isEqualTo(expected);
        }
    }
}
