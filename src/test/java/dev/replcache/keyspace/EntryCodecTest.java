package dev.replcache.keyspace;

import static dev.replcache.keyspace.TestKeys.b;
import static dev.replcache.keyspace.TestKeys.bs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The wire format of entries, pinned byte for byte: replicas of other versions read it. */
class EntryCodecTest {

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    @Test
    void setIsOpcodeKeyValueAndZigZagExpiry() {
        assertThat(EntryCodec.encode(new CommandEntry.Set(b("k"), b("v"), Entry.NO_EXPIRY)))
                .isEqualTo(bytes(1, 1, 'k', 1, 'v', 1)); // zig-zag(-1) = 1
        assertThat(EntryCodec.encode(new CommandEntry.Set(b("k"), Bytes.EMPTY, 300)))
                .isEqualTo(bytes(1, 1, 'k', 0, 0xd8, 0x04)); // zig-zag(300) = 600 = 0x258
    }

    @Test
    void everyOtherOpcode() {
        assertThat(EntryCodec.encode(new CommandEntry.Append(b("k"), b("ab")))).isEqualTo(bytes(2, 1, 'k', 2, 'a', 'b'));
        assertThat(EntryCodec.encode(new CommandEntry.Del(bs("a", "bc")))).isEqualTo(bytes(3, 2, 1, 'a', 2, 'b', 'c'));
        assertThat(EntryCodec.encode(new CommandEntry.PExpireAt(b("k"), -2))).isEqualTo(bytes(4, 1, 'k', 3));
        assertThat(EntryCodec.encode(new CommandEntry.Persist(b("k")))).isEqualTo(bytes(5, 1, 'k'));
        assertThat(EntryCodec.encode(new CommandEntry.HDel(b("h"), bs("y", "x")))).isEqualTo(bytes(7, 1, 'h', 2, 1, 'y', 1, 'x'));
        assertThat(EntryCodec.encode(new CommandEntry.FlushAll())).isEqualTo(bytes(8));
    }

    @Test
    void hashFieldsAreWrittenInByteOrderWhateverTheMapOrder() {
        Map<Bytes, Bytes> a = new LinkedHashMap<>();
        a.put(b("z"), b("1"));
        a.put(Bytes.copyOf(new byte[] {(byte) 0x80}), b("2"));
        a.put(b("a"), b("3"));
        List<Bytes> keys = new ArrayList<>(a.keySet());
        Collections.reverse(keys);
        Map<Bytes, Bytes> reversed = new LinkedHashMap<>();
        keys.forEach(k -> reversed.put(k, a.get(k)));
        byte[] encoded = EntryCodec.encode(new CommandEntry.HSet(b("h"), a));
        assertThat(EntryCodec.encode(new CommandEntry.HSet(b("h"), reversed))).isEqualTo(encoded);
        // Unsigned byte order: 'a' < 'z' < 0x80.
        assertThat(encoded).isEqualTo(bytes(6, 1, 'h', 3, 1, 'a', 1, '3', 1, 'z', 1, '1', 1, 0x80, 1, '2'));
    }

    @Test
    void extremeExpiriesUseTenByteVarints() {
        byte[] min = EntryCodec.encode(new CommandEntry.PExpireAt(b("k"), Long.MIN_VALUE));
        assertThat(min).hasSize(1 + 2 + 10);
        assertThat(EntryCodec.decode(min)).isEqualTo(new CommandEntry.PExpireAt(b("k"), Long.MIN_VALUE));
    }

    @Test
    void malformedInputsSayWhatIsWrong() {
        assertThatThrownBy(() -> EntryCodec.decode(new byte[0]))
                .isInstanceOf(EntryCodec.MalformedEntryException.class).hasMessageContaining("truncated");
        assertThatThrownBy(() -> EntryCodec.decode(bytes(10)))
                .isInstanceOf(EntryCodec.MalformedEntryException.class).hasMessageContaining("unknown opcode 10");
        // Non-canonical: a duplicate would re-encode shorter on a replica (issue 11 row 12).
        byte[] duplicateField = {6, 1, 'h', 2, 1, 'f', 1, 'x', 1, 'f', 1, 'y'};
        assertThatThrownBy(() -> EntryCodec.decode(duplicateField))
                .isInstanceOf(EntryCodec.MalformedEntryException.class).hasMessageContaining("duplicate hash field");
        byte[] duplicateKey = {9, 2, 1, 'k', 1, 'x', 1, 'k', 1, 'y'};
        assertThatThrownBy(() -> EntryCodec.decode(duplicateKey))
                .isInstanceOf(EntryCodec.MalformedEntryException.class).hasMessageContaining("duplicate key");
        assertThatThrownBy(() -> EntryCodec.decode(bytes(8, 8)))
                .isInstanceOf(EntryCodec.MalformedEntryException.class).hasMessageContaining("trailing bytes");
        assertThatThrownBy(() -> EntryCodec.decode(bytes(5, 100, 'k')))
                .isInstanceOf(EntryCodec.MalformedEntryException.class).hasMessageContaining("exceeds the remaining bytes");
        assertThatThrownBy(() -> EntryCodec.decode(bytes(4, 1, 'k', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)))
                .isInstanceOf(EntryCodec.MalformedEntryException.class).hasMessageContaining("varint longer than 10 bytes");
        assertThat(EntryCodec.decodeAll(new byte[0])).isEmpty();
    }
}
