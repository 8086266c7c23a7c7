package dev.replcache.replication;

import static org.assertj.core.api.Assertions.assertThat;

import dev.replcache.keyspace.Bytes;
import dev.replcache.keyspace.CommandEntry;
import dev.replcache.keyspace.Entry;
import dev.replcache.testing.Gen;
import dev.replcache.testing.PropertyCheck;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/**
 * A hostile or broken master, seen by a replica's link: random and mutated message sequences
 * (wrong ids and offsets, chunks out of order or with bad checksums, entries at the wrong offset,
 * garbage frames, huge sizes). The link must answer every one with a reaction, never an
 * exception; its offset must never go back within one history; and it applies entries only
 * while streaming.
 */
class MasterStreamFuzzTest {

    private record Case(List<MasterMessage> messages) {
        @Override
        public String toString() {
            return messages.stream().map(m -> m.getClass().getSimpleName()).toList().toString();
        }
    }

    private static final ReplicationId OURS = new ReplicationId("0123456789abcdef0123456789abcdef01234567");
    private static final long START = 1_000;

    private static byte[] entries(Gen g) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int n = g.intBetween(1, 4);
        for (int i = 0; i < n; i++) {
            out.writeBytes(StreamFrames.frame(new CommandEntry.Set(Bytes.of(g.bytes(1, 8)), Bytes.of(g.bytes(0, 16)),
                    Entry.NO_EXPIRY)));
        }
        byte[] valid = out.toByteArray();
        return switch (g.intBetween(0, 4)) {
            case 0 -> g.bytes(0, 64); // garbage
            case 1 -> java.util.Arrays.copyOf(valid, g.intBetween(0, valid.length)); // cut anywhere
            case 2 -> { // one byte flipped
                byte[] b = valid.clone();
                b[g.intBetween(0, b.length - 1)] ^= (byte) (1 << g.intBetween(0, 7));
                yield b;
            }
            default -> valid;
        };
    }

    private static ReplicationId id(Gen g) {
        return g.oneIn(2) ? OURS : new ReplicationId(String.format("%040x", g.intBetween(0, 5)));
    }

    private static long offset(Gen g, long near) {
        return switch (g.intBetween(0, 4)) {
            case 0 -> near;
            case 1 -> near + g.intBetween(-50, 50);
            case 2 -> g.pick(-1L, 0L, Long.MAX_VALUE, Long.MIN_VALUE);
            default -> g.anyLong();
        };
    }

    private static MasterMessage message(Gen g, long[] streamOffset) {
        return switch (g.intBetween(0, 7)) {
            case 0 -> new MasterMessage.Continue(id(g), offset(g, START));
            case 1 -> new MasterMessage.FullResync(id(g), offset(g, START), g.pick("s", "t"),
                    g.pick(0L, 16L, 64L, -1L, Long.MAX_VALUE), g.longBetween(0, 3));
            case 2 -> {
                byte[] data = g.bytes(0, 32);
                CRC32C crc = new CRC32C();
                crc.update(data);
                yield new MasterMessage.SnapshotChunk(g.pick("s", "t"), g.longBetween(-1, 3), data,
                        g.oneIn(4) ? g.intBetween(0, 1 << 30) : (int) crc.getValue());
            }
            case 3 -> new MasterMessage.SnapshotEnd(g.pick("s", "t"), g.pick(0L, 16L, 64L, -1L), g.intBetween(0, 1 << 30));
            case 4, 5 -> {
                byte[] data = entries(g);
                long at = g.oneIn(3) ? offset(g, streamOffset[0]) : streamOffset[0];
                streamOffset[0] = at + data.length;
                yield g.oneIn(6) ? new MasterMessage.Entries(at, data, g.intBetween(0, 1 << 30)) // damaged on the way
                        : new MasterMessage.Entries(at, data);
            }
            case 6 -> new MasterMessage.GetAck();
            default -> new MasterMessage.Ping(offset(g, START));
        };
    }

    @Test
    void everyMessageGetsAReactionAndTheOffsetNeverGoesBack() {
        java.util.concurrent.atomic.AtomicLong appliedTotal = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong drops = new java.util.concurrent.atomic.AtomicLong();
        PropertyCheck.forAll("hostile master stream", 500, g -> {
            long[] streamOffset = {START};
            List<MasterMessage> messages = new ArrayList<>();
            if (g.oneIn(2)) {
                messages.add(new MasterMessage.Continue(OURS, START)); // a good start, so that mutations hit a live stream
                for (int i = g.intBetween(0, 4); i > 0; i--) {
                    byte[] valid = StreamFrames.frame(new CommandEntry.Set(Bytes.of(g.bytes(1, 8)), Bytes.of(g.bytes(0, 16)),
                            Entry.NO_EXPIRY));
                    messages.add(new MasterMessage.Entries(streamOffset[0], valid));
                    streamOffset[0] += valid.length;
                }
            }
            int n = g.intBetween(1, 40);
            for (int i = 0; i < n; i++) {
                messages.add(message(g, streamOffset));
            }
            return new Case(messages);
        }, PropertyCheck.Shrinker.<MasterMessage>list().onPart(Case::messages, (c, smaller) -> new Case(smaller)), c -> {
            long[] now = {10_000};
            ReplicationLog log = new ReplicationLog(OURS, START, 1 << 16, () -> now[0]);
            RecordingDataset dataset = new RecordingDataset(log);
            dataset.keys = 1;
            List<CommandEntry> applied = dataset.applied;
            ReplicaConfig config = new ReplicaConfig(1_000, 60_000, 100, 5_000, 1 << 16, "", false);
            MasterLink link = new MasterLink(log, dataset, config, () -> now[0], new java.util.SplittableRandom(1), "r",
                    () -> "127.0.0.1:1", true);
            assertThat(link.shouldConnect()).isTrue();
            link.onConnected();
            for (MasterMessage m : c.messages()) {
                ReplicationId idBefore = log.replId();
                long offsetBefore = log.offset();
                int appliedBefore = applied.size();
                MasterLink.Reaction r = link.onMessage(m); // must not throw
                assertThat(r).isNotNull();
                if (log.replId().equals(idBefore) && link.state() != MasterLink.State.LOADING_SNAPSHOT) {
                    assertThat(log.offset()).as("offset after %s", m).isGreaterThanOrEqualTo(offsetBefore);
                }
                if (applied.size() > appliedBefore) {
                    assertThat(m).as("only entries are applied").isInstanceOf(MasterMessage.Entries.class);
                    assertThat(link.state()).isEqualTo(MasterLink.State.STREAMING);
                }
                if (r.dropReason() != null) {
                    drops.incrementAndGet();
                    assertThat(r.dropReason()).isNotBlank();
                    link.onDisconnected(r.dropReason());
                    assertThat(link.state()).isEqualTo(MasterLink.State.DOWN);
                    now[0] += 10_000;
                    assertThat(link.shouldConnect()).isTrue();
                    link.onConnected();
                }
            }
            appliedTotal.addAndGet(applied.size());
        });
        if (!PropertyCheck.replaying()) {
            // The schedule reaches both ends: streams that apply entries, and drops.
            assertThat(appliedTotal.get()).isGreaterThan(50);
            assertThat(drops.get()).isGreaterThan(500);
        }
    }

    /** Issue 11 row 10: a batch damaged on the way, or relabelled with another offset, is refused whole. */
    @Test
    void aDamagedOrRelabelledBatchIsRefusedBeforeAnyOfItIsApplied() {
        long[] now = {10_000};
        ReplicationLog log = new ReplicationLog(OURS, START, 1 << 16, () -> now[0]);
        RecordingDataset dataset = new RecordingDataset(log);
        List<CommandEntry> applied = dataset.applied;
        MasterLink link = new MasterLink(log, dataset, new ReplicaConfig(1_000, 60_000, 100, 5_000, 1 << 16, "", false),
                () -> now[0], new java.util.SplittableRandom(1), "r", () -> "", true);
        link.shouldConnect();
        link.onConnected();
        link.onMessage(new MasterMessage.Continue(OURS, START));
        byte[] two = new byte[0];
        for (String k : new String[] {"a", "b"}) {
            byte[] f = StreamFrames.frame(new CommandEntry.Set(Bytes.utf8(k), Bytes.utf8("v"), Entry.NO_EXPIRY));
            byte[] joined = java.util.Arrays.copyOf(two, two.length + f.length);
            System.arraycopy(f, 0, joined, two.length, f.length);
            two = joined;
        }
        byte[] flipped = two.clone();
        flipped[flipped.length - 1] ^= 1; // in the second entry's value: the first would decode fine
        MasterLink.Reaction damaged = link.onMessage(new MasterMessage.Entries(START, flipped,
                MasterMessage.Entries.checksum(START, two)));
        assertThat(damaged.dropReason()).isEqualTo("corrupted entries batch at offset " + START + ": CRC32C mismatch");
        assertThat(applied).isEmpty();
        assertThat(link.diverged()).as("damage on the way is no divergence: resume").isNull();

        link.onDisconnected(damaged.dropReason());
        now[0] += 10_000;
        link.shouldConnect();
        link.onConnected();
        link.onMessage(new MasterMessage.Continue(OURS, START));
        // The checksum of another offset does not fit this one.
        assertThat(link.onMessage(new MasterMessage.Entries(START, two, MasterMessage.Entries.checksum(START + 1, two)))
                .dropReason()).contains("CRC32C mismatch");
        assertThat(applied).isEmpty();
    }
}
