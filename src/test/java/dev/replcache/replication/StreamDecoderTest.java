package dev.replcache.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.replcache.keyspace.Bytes;
import dev.replcache.keyspace.CommandEntry;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StreamDecoderTest {

    private static final List<CommandEntry> ENTRIES = List.of(
            new CommandEntry.Set(Bytes.utf8("a"), Bytes.utf8("1"), -1),
            new CommandEntry.Set(Bytes.utf8("big"), Bytes.of(new byte[300]), 1_700_000_000_000L),
            new CommandEntry.HSet(Bytes.utf8("h"), Map.of(Bytes.utf8("f"), Bytes.utf8("v"))),
            new CommandEntry.Del(List.of(Bytes.utf8("a"), Bytes.utf8("b"))),
            new CommandEntry.FlushAll());

    private static byte[] stream() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (CommandEntry e : ENTRIES) {
            out.writeBytes(StreamFrames.frame(e));
        }
        return out.toByteArray();
    }

    @Test
    void batchesCutAtEveryPositionDecodeToTheSameEntriesAndOffsets() {
        byte[] all = stream();
        for (int cut1 = 0; cut1 <= all.length; cut1++) {
            for (int cut2 = cut1; cut2 <= all.length; cut2 += 7) {
                StreamDecoder d = new StreamDecoder(100, 1 << 20);
                List<StreamDecoder.Decoded> got = new ArrayList<>();
                got.addAll(d.accept(100, Arrays.copyOfRange(all, 0, cut1)));
                got.addAll(d.accept(100 + cut1, Arrays.copyOfRange(all, cut1, cut2)));
                got.addAll(d.accept(100 + cut2, Arrays.copyOfRange(all, cut2, all.length)));
                assertThat(got).extracting(StreamDecoder.Decoded::entry).containsExactlyElementsOf(ENTRIES);
                assertThat(got.get(got.size() - 1).endOffset()).isEqualTo(100 + all.length);
                assertThat(d.appliedOffset()).isEqualTo(100 + all.length);
                assertThat(d.pendingBytes()).isZero();
            }
        }
    }

    @Test
    void aPartialFrameIsHeldAndNotCountedAsApplied() {
        byte[] all = stream();
        int firstFrame = StreamFrames.frame(ENTRIES.get(0)).length;
        StreamDecoder d = new StreamDecoder(0, 1 << 20);
        assertThat(d.accept(0, Arrays.copyOfRange(all, 0, firstFrame + 3))).hasSize(1);
        assertThat(d.appliedOffset()).isEqualTo(firstFrame);
        assertThat(d.receivedOffset()).isEqualTo(firstFrame + 3);
        d.discardPending();
        assertThat(d.receivedOffset()).isEqualTo(firstFrame);
    }

    @Test
    void aBatchThatDoesNotStartWhereTheReplicaIsIsRefused() {
        StreamDecoder d = new StreamDecoder(50, 1 << 20);
        assertThatThrownBy(() -> d.accept(51, stream())).isInstanceOf(StreamDecoder.StreamException.class)
                .hasMessageContaining("starts at offset 51");
        assertThatThrownBy(() -> d.accept(49, stream())).isInstanceOf(StreamDecoder.StreamException.class);
        assertThat(d.appliedOffset()).isEqualTo(50);
    }

    @Test
    void aFrameOverTheLimitOrMalformedIsRefused() {
        StreamDecoder small = new StreamDecoder(0, 100);
        byte[] big = StreamFrames.frame(ENTRIES.get(1)); // > 300 bytes
        assertThatThrownBy(() -> small.accept(0, big)).isInstanceOf(StreamDecoder.StreamException.class)
                .hasMessageContaining("frame length");
        StreamDecoder d = new StreamDecoder(0, 1 << 20);
        byte[] garbage = {3, 99, 1, 2}; // a 3-byte frame with opcode 99
        assertThatThrownBy(() -> d.accept(0, garbage)).isInstanceOf(StreamDecoder.StreamException.class)
                .hasMessageContaining("malformed entry");
    }
}
