package dev.replcache.keyspace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The replication stream's entry codec: every entry survives a round trip, batches decode entry
 * by entry, and no input - random, truncated or corrupted - makes the decoder throw anything but
 * {@link EntryCodec.MalformedEntryException} (DESIGN.md section 5, invariant 6: bad input from a
 * peer gets a clear error).
 */
class EntryCodecProperties {

    @Provide
    Arbitrary<CommandEntry> entries() {
        return CommandEntryArbitraries.entries();
    }

    @Provide
    Arbitrary<List<CommandEntry>> entryLists() {
        return CommandEntryArbitraries.entryLists();
    }

    @Property(tries = 500)
    void everyEntrySurvivesARoundTrip(@ForAll("entries") CommandEntry entry) {
        byte[] encoded = EntryCodec.encode(entry);
        CommandEntry decoded = EntryCodec.decode(encoded);
        assertThat(decoded).isEqualTo(entry);
        // Deterministic: a replica re-encoding what it decoded produces the master's bytes (and offsets).
        assertThat(EntryCodec.encode(decoded)).isEqualTo(encoded);
    }

    @Property(tries = 300)
    void aBatchDecodesEntryByEntryAtTheRightPositions(@ForAll("entryLists") List<CommandEntry> entries) {
        byte[] batch = CommandEntryArbitraries.encodeAll(entries);
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
    }

    @Property(tries = 200)
    void everyTruncationIsMalformedUnlessItEndsOnAnEntryBoundary(@ForAll("entryLists") List<CommandEntry> entries) {
        byte[] batch = CommandEntryArbitraries.encodeAll(entries);
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
    }

    @Property(tries = 300)
    void aSingleEntryWithAnyBytesMissingOrAddedIsMalformed(@ForAll("entries") CommandEntry entry,
                                                           @ForAll @Size(min = 1, max = 4) byte[] extra) {
        byte[] encoded = EntryCodec.encode(entry);
        for (int cut = 0; cut < encoded.length; cut++) {
            byte[] prefix = Arrays.copyOf(encoded, cut);
            assertThatThrownBy(() -> EntryCodec.decode(prefix))
                    .isExactlyInstanceOf(EntryCodec.MalformedEntryException.class);
        }
        byte[] longer = Arrays.copyOf(encoded, encoded.length + extra.length);
        System.arraycopy(extra, 0, longer, encoded.length, extra.length);
        assertThatThrownBy(() -> EntryCodec.decode(longer))
                .isExactlyInstanceOf(EntryCodec.MalformedEntryException.class)
                .hasMessageContaining("trailing bytes");
    }

    @Provide
    Arbitrary<byte[]> garbage() {
        // Random bytes, often starting with a valid opcode so that decoding gets past the first byte,
        // often with large varints so that counts and lengths claim more than there is.
        Arbitrary<byte[]> tail = Arbitraries.bytes().array(byte[].class).ofMaxSize(64);
        Arbitrary<Byte> opcode = Arbitraries.bytes().between((byte) 0, (byte) 9);
        Arbitrary<byte[]> bigVarint = Arbitraries.of(
                new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07},
                new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
                        (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01},
                new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80,
                        (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x01},
                new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08},
                new byte[] {0x7f});
        Arbitrary<byte[]> withOpcode = Combinators.combine(opcode, bigVarint, tail).as((op, varint, rest) -> {
            byte[] b = new byte[1 + varint.length + rest.length];
            b[0] = op;
            System.arraycopy(varint, 0, b, 1, varint.length);
            System.arraycopy(rest, 0, b, 1 + varint.length, rest.length);
            return b;
        });
        return Arbitraries.oneOf(tail, withOpcode);
    }

    @Property(tries = 500)
    void randomBytesDecodeOrAreMalformed(@ForAll("garbage") byte[] data) {
        decodeOrMalformed(data);
    }

    @Property(tries = 300)
    void corruptedEncodingsDecodeOrAreMalformed(@ForAll("entryLists") List<CommandEntry> entries,
                                                @ForAll @Size(min = 1, max = 5) List<@IntRange(min = 0, max = 100_000) Integer> positions,
                                                @ForAll @Size(min = 5, max = 5) byte[] replacements) {
        byte[] batch = CommandEntryArbitraries.encodeAll(entries);
        if (batch.length == 0) {
            return;
        }
        for (int i = 0; i < positions.size(); i++) {
            batch[positions.get(i) % batch.length] = replacements[i];
        }
        decodeOrMalformed(batch);
    }

    /** Decoding returns normally or throws MalformedEntryException; anything else fails the property. */
    private static void decodeOrMalformed(byte[] data) {
        try {
            List<CommandEntry> decoded = EntryCodec.decodeAll(data);
            // What decoded is a valid entry list; it re-encodes to at most the input's size (the
            // input may hold overlong varints or repeated hash fields, which our encoder never writes).
            assertThat(CommandEntryArbitraries.encodeAll(decoded).length).isLessThanOrEqualTo(data.length);
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
