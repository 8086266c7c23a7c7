package dev.replcache.keyspace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.replcache.testing.Gen;
import dev.replcache.testing.PropertyCheck;
import dev.replcache.testing.PropertyCheck.Shrinker;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The replication stream's entry codec: every entry survives a round trip, batches decode entry
 * by entry, and no input - random, truncated or corrupted - makes the decoder throw anything but
 * {@link EntryCodec.MalformedEntryException} (invariant 6 of docs/architecture.md: bad input from
 * a peer gets a clear error). Seeded: a failure prints the seed that replays it (see {@link PropertyCheck}).
 */
class EntryCodecProperties {

    @Test
    void everyEntrySurvivesARoundTrip() {
        PropertyCheck.forAll("everyEntrySurvivesARoundTrip", 500, CommandEntryGen::entry, entry -> {
            byte[] encoded = EntryCodec.encode(entry);
            CommandEntry decoded = EntryCodec.decode(encoded);
            assertThat(decoded).isEqualTo(entry);
            // Deterministic: a replica re-encoding what it decoded produces the master's bytes (and offsets).
            assertThat(EntryCodec.encode(decoded)).isEqualTo(encoded);
        });
    }


    @Test
    void encodingInPlaceWritesExactlyTheCountedBytesAndNothingAround() {
        PropertyCheck.forAll("encodingInPlaceWritesExactlyTheCountedBytesAndNothingAround", 500, CommandEntryGen::entry,
                entry -> {
                    byte[] alone = EntryCodec.encode(entry);
                    int size = EntryCodec.encodedSize(entry);
                    assertThat(size).isEqualTo(alone.length);
                    byte[] dst = new byte[size + 7];
                    Arrays.fill(dst, (byte) 0x5a);
                    assertThat(EntryCodec.encodeInto(entry, dst, 3)).isEqualTo(3 + size);
                    assertThat(Arrays.copyOfRange(dst, 3, 3 + size)).isEqualTo(alone);
                    assertThat(Arrays.copyOfRange(dst, 0, 3)).containsOnly((byte) 0x5a);
                    assertThat(Arrays.copyOfRange(dst, 3 + size, dst.length)).containsOnly((byte) 0x5a);
                });
    }
    @Test
    void aBatchDecodesEntryByEntryAtTheRightPositions() {
        PropertyCheck.forAll("aBatchDecodesEntryByEntryAtTheRightPositions", 300, CommandEntryGen::entryList,
                Shrinker.list(), entries -> {
                    byte[] batch = CommandEntryGen.encodeAll(entries);
                    assertThat(EntryCodec.decodeAll(batch)).isEqualTo(entries);

                    EntryCodec.Reader reader = new EntryCodec.Reader(batch);
                    int position = 0;
                    for (CommandEntry e : entries) {
                        assertThat(reader.hasMore()).isTrue();
                        assertThat(reader.position()).isEqualTo(position);
                        assertThat(reader.next()).isEqualTo(e);
                        position += EntryCodec.encode(e).length;
                    }
                    assertThat(reader.hasMore()).isFalse();
                    assertThat(reader.position()).isEqualTo(batch.length);
                });
    }

    @Test
    void everyTruncationIsMalformedUnlessItEndsOnAnEntryBoundary() {
        PropertyCheck.forAll("everyTruncationIsMalformedUnlessItEndsOnAnEntryBoundary", 200,
                CommandEntryGen::entryList, Shrinker.list(), entries -> {
                    byte[] batch = CommandEntryGen.encodeAll(entries);
                    List<Integer> boundaries = new ArrayList<>();
                    int position = 0;
                    boundaries.add(0);
                    for (CommandEntry e : entries) {
                        position += EntryCodec.encode(e).length;
                        boundaries.add(position);
                    }
                    for (int cut = 0; cut < batch.length; cut++) {
                        byte[] prefix = Arrays.copyOf(batch, cut);
                        int whole = boundaries.indexOf(cut);
                        if (whole >= 0) {
                            assertThat(EntryCodec.decodeAll(prefix)).isEqualTo(entries.subList(0, whole));
                        } else {
                            assertThatThrownBy(() -> EntryCodec.decodeAll(prefix))
                                    .isExactlyInstanceOf(EntryCodec.MalformedEntryException.class);
                        }
                    }
                });
    }

    /** One entry and 1-4 bytes to append to its encoding. */
    record EntryAndExtra(CommandEntry entry, byte[] extra) {
        @Override
        public String toString() {
            return entry + " + " + Arrays.toString(extra);
        }
    }

    @Test
    void aSingleEntryWithAnyBytesMissingOrAddedIsMalformed() {
        PropertyCheck.forAll("aSingleEntryWithAnyBytesMissingOrAddedIsMalformed", 300,
                gen -> new EntryAndExtra(CommandEntryGen.entry(gen), gen.bytes(1, 4)), input -> {
                    byte[] encoded = EntryCodec.encode(input.entry());
                    for (int cut = 0; cut < encoded.length; cut++) {
                        byte[] prefix = Arrays.copyOf(encoded, cut);
                        assertThatThrownBy(() -> EntryCodec.decode(prefix))
                                .isExactlyInstanceOf(EntryCodec.MalformedEntryException.class);
                    }
                    byte[] extra = input.extra();
                    byte[] longer = Arrays.copyOf(encoded, encoded.length + extra.length);
                    System.arraycopy(extra, 0, longer, encoded.length, extra.length);
                    assertThatThrownBy(() -> EntryCodec.decode(longer))
                            .isExactlyInstanceOf(EntryCodec.MalformedEntryException.class)
                            .hasMessageContaining("trailing bytes");
                });
    }

    private static final byte[][] BIG_VARINTS = {
            {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07},
            {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
                    (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01},
            {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80,
                    (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x01},
            {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08},
            {0x7f}};

    /**
     * Random bytes, often starting with a valid opcode so that decoding gets past the first byte,
     * often with large varints so that counts and lengths claim more than there is.
     */
    private static byte[] garbage(Gen gen) {
        byte[] tail = gen.bytes(0, 64);
        if (gen.bool()) {
            return tail;
        }
        byte[] varint = gen.pick(BIG_VARINTS);
        byte[] b = new byte[1 + varint.length + tail.length];
        b[0] = (byte) gen.intBetween(0, 9);
        System.arraycopy(varint, 0, b, 1, varint.length);
        System.arraycopy(tail, 0, b, 1 + varint.length, tail.length);
        return b;
    }

    @Test
    void randomBytesDecodeOrAreMalformed() {
        PropertyCheck.forAll("randomBytesDecodeOrAreMalformed", 500, EntryCodecProperties::garbage,
                EntryCodecProperties::decodeOrMalformed);
    }

    /** An encoded batch with 1-5 bytes overwritten at arbitrary positions. */
    private static byte[] corrupted(Gen gen) {
        byte[] batch = CommandEntryGen.encodeAll(CommandEntryGen.entryList(gen));
        int corruptions = gen.intBetween(1, 5);
        for (int i = 0; i < corruptions && batch.length > 0; i++) {
            batch[gen.intBetween(0, 100_000) % batch.length] = (byte) gen.intBetween(-128, 127);
        }
        return batch;
    }

    @Test
    void corruptedEncodingsDecodeOrAreMalformed() {
        PropertyCheck.forAll("corruptedEncodingsDecodeOrAreMalformed", 300, EntryCodecProperties::corrupted,
                EntryCodecProperties::decodeOrMalformed);
    }

    /** Decoding returns normally or throws MalformedEntryException; anything else fails the property. */
    private static void decodeOrMalformed(byte[] data) {
        try {
            List<CommandEntry> decoded = EntryCodec.decodeAll(data);
            // What decoded is a valid entry list; it re-encodes to at most the input's size (the
            // input may hold overlong varints or repeated hash fields, which our encoder never writes).
            assertThat(CommandEntryGen.encodeAll(decoded).length).isLessThanOrEqualTo(data.length);
        } catch (EntryCodec.MalformedEntryException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
        try {
            EntryCodec.decode(data);
        } catch (EntryCodec.MalformedEntryException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
    }
}
