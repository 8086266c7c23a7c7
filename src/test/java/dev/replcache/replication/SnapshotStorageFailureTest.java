package dev.replcache.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** A replica whose own storage fails in a full sync: a clean drop that names the cause, and a late retry. */
class SnapshotStorageFailureTest {

    private static final long RECONNECT_MAX_MS = 5_000;

    private long now = 1_000;
    private final SplittableRandom random = new SplittableRandom(11);
    private final ReplicationLog log = new ReplicationLog(ReplicationId.random(random), 0, 1 << 16, () -> now);
    private RecordingDataset disk;

    private MasterLink link(boolean failOnBegin) {
        disk = new RecordingDataset() {
            @Override
            public void beginSnapshot(String snapshotId) {
                if (failOnBegin) {
                    throw new UncheckedIOException(new IOException("not enough disk space in /data for the snapshot"));
                }
            }

            @Override
            public void writeSnapshotChunk(byte[] data) {
                throw new UncheckedIOException("cannot write the snapshot file /data/incoming.rdb.tmp",
                        new IOException("No space left on device"));
            }
        };
        ReplicaConfig config = new ReplicaConfig(1_000, 60_000, 100, RECONNECT_MAX_MS, 1 << 20, "", false);
        MasterLink l = new MasterLink(log, disk, config, () -> now, random.split(), "r", () -> "127.0.0.1:1", false);
        assertThat(l.shouldConnect()).isTrue();
        l.onConnected();
        return l;
    }

    private static MasterMessage.SnapshotChunk chunk(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data);
        return new MasterMessage.SnapshotChunk("s", 0, data, (int) crc.getValue());
    }

    @Test
    void aFullDiskDropsTheLinkWithTheOsMessageAndRetriesOnlyAfterTheLongestBackoff() {
        MasterLink l = link(false);
        ReplicationId master = ReplicationId.random(random);
        assertThat(l.onMessage(new MasterMessage.FullResync(master, 0, "s", 4, 1)).dropReason()).isNull();

        MasterLink.Reaction r = l.onMessage(chunk(new byte[] {1, 2, 3, 4}));

        assertThat(r.dropReason()).isEqualTo(
                "cannot store the snapshot: cannot write the snapshot file /data/incoming.rdb.tmp: No space left on device");
        l.onDisconnected(r.dropReason());
        assertThat(disk.aborted).as("the partial file is thrown away").isEqualTo(1);
        assertThat(l.lastDropReason()).contains("No space left on device");
        assertThat(l.nextConnectAtMs() - now).as("not the first, short backoff").isGreaterThanOrEqualTo(RECONNECT_MAX_MS);
    }

    @Test
    void aSnapshotLargerThanTheDiskIsRefusedBeforeAByteIsWritten() {
        MasterLink l = link(true);
        MasterLink.Reaction r = l.onMessage(new MasterMessage.FullResync(ReplicationId.random(random), 0, "s", 1L << 40, 1));
        assertThat(r.dropReason()).startsWith("cannot store the snapshot: ").contains("not enough disk space");
        l.onDisconnected(r.dropReason());
        assertThat(l.nextConnectAtMs() - now).isGreaterThanOrEqualTo(RECONNECT_MAX_MS);
    }
}
