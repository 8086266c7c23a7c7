package dev.replcache.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.replcache.keyspace.Bytes;
import dev.replcache.keyspace.CommandEntry;
import dev.replcache.keyspace.Entry;
import dev.replcache.keyspace.KeyspaceException;
import dev.replcache.replication.MasterLink;
import dev.replcache.replication.MasterMessage;
import dev.replcache.replication.ReplicaConfig;
import dev.replcache.replication.RecordingDataset;
import dev.replcache.replication.ReplicaMessage;
import dev.replcache.replication.ReplicationId;
import dev.replcache.replication.ReplicationLog;
import dev.replcache.replication.StreamFrames;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Status;

/**
 * Issue 11 rows 5 and 12: a replica whose data no longer fits the stream (an entry that fails
 * on it, offsets that disagree after applying) offered the same position again and looped on
 * CONTINUE forever, ready all along. It now asks for a full resync and is not ready until then.
 */
class DivergedReplicaTest {

    private long now = 1_000;
    private final ReplicationId history = ReplicationId.random(new SplittableRandom(3));
    private final ReplicationLog log = new ReplicationLog(history, 100, 1 << 16, () -> now);
    private boolean fits = false;

    private final RecordingDataset dataset = new RecordingDataset(log) {
        @Override
        public void apply(CommandEntry entry) {
            if (!fits) {
                throw new KeyspaceException(KeyspaceException.Kind.WRONGTYPE);
            }
            super.apply(entry);
        }
    };

    {
        dataset.keys = 1;
    }

    @Test
    void aReplicaWhoseDataDivergedAsksForAFullResyncAndIsNotReadyMeanwhile() {
        ReplicaConfig config = new ReplicaConfig(1_000, 60_000, 100, 5_000, 1 << 20, "", false);
        MasterLink link = new MasterLink(log, dataset, config, () -> now, new SplittableRandom(5), "r", () -> "127.0.0.1:1", true);
        ReplicationReadinessIndicator readiness = new ReplicationReadinessIndicator(() -> link);
        assertThat(link.shouldConnect()).isTrue();
        assertThat(link.onConnected().send()).contains(new ReplicaMessage.Psync(history, 100));
        link.onMessage(new MasterMessage.Continue(history, 100));
        assertThat(readiness.health().getStatus()).isEqualTo(Status.UP);

        byte[] frame = StreamFrames.frame(new CommandEntry.HSet(Bytes.utf8("k"), java.util.Map.of(Bytes.utf8("f"), Bytes.utf8("v"))));
        MasterLink.Reaction r = link.onMessage(new MasterMessage.Entries(100, frame));

        assertThat(r.dropReason()).contains("WRONGTYPE").contains("full resync next");
        link.onDisconnected(r.dropReason());
        assertThat(readiness.health().getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
        assertThat(readiness.health().getDetails().get("reason").toString()).contains("diverged");
        now += 10_000;
        assertThat(link.shouldConnect()).isTrue();
        // Not the same (replId, offset) again: a full resync.
        assertThat(link.onConnected().send()).contains(new ReplicaMessage.Psync(ReplicationId.NONE, -1));

        // The full resync replaces the data; the replica follows and is ready again.
        link.onMessage(new MasterMessage.FullResync(history, 100 + frame.length, "s", 0, 1));
        fits = true;
        link.onMessage(new MasterMessage.SnapshotEnd("s", 0, 0));
        assertThat(link.diverged()).isNull();
        assertThat(link.state()).isEqualTo(MasterLink.State.STREAMING);
        assertThat(readiness.health().getStatus()).isEqualTo(Status.UP);
        assertThat(link.onMessage(new MasterMessage.Entries(100 + frame.length,
                StreamFrames.frame(new CommandEntry.Set(Bytes.utf8("x"), Bytes.utf8("y"), Entry.NO_EXPIRY)))).dropReason()).isNull();
    }
}
