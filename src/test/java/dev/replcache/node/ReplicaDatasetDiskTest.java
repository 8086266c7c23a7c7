package dev.replcache.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replica's snapshot file on a disk that is full, or too small for the snapshot; a load that
 * runs out of heap.
 */
class ReplicaDatasetDiskTest {

    @TempDir
    Path dir;

    private ReplicaDataset dataset() {
        return new ReplicaDataset(dir, () -> null, () -> null, (keyspace, replId, offset, beforeSwap) -> { }, dir.resolve("dump.rdb"),
                () -> dev.replcache.keyspace.rdb.RdbLimits.DEFAULTS);
    }

    @Test
    void aWriteOnAFullDiskFailsWithTheOsMessage() throws Exception {
        // /dev/full answers every write with ENOSPC, as a full file system does.
        Files.createSymbolicLink(dir.resolve("incoming-s.rdb.tmp"), Path.of("/dev/full"));
        ReplicaDataset d = dataset();
        d.beginSnapshot("s", 4);

        assertThatThrownBy(() -> d.writeSnapshotChunk(new byte[] {1, 2, 3, 4}))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("cannot write the snapshot file")
                .cause().hasMessageContaining("No space left on device");
        d.abortSnapshot();
    }

    @Test
    void aSnapshotLargerThanTheUsableSpaceIsRefusedBeforeAnyFileIsMade() throws Exception {
        long usable = Files.getFileStore(dir).getUsableSpace();
        assertThatThrownBy(() -> dataset().beginSnapshot("big", usable + (1L << 30)))
                .isInstanceOf(UncheckedIOException.class)
                .cause().hasMessageContaining("not enough disk space in " + dir).hasMessageContaining("No space left on device");
        try (var files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
    }

    /** Issue 11 row 13: an OutOfMemoryError while loading a full sync keeps the old data and says why. */
    @Test
    void aLoadThatRunsOutOfHeapKeepsTheOldDataAndSaysWhy() {
        byte[] rdb = dev.replcache.testing.CraftedRdb.create()
                .string("k".getBytes(java.nio.charset.StandardCharsets.US_ASCII), new byte[] {1}).end();
        boolean[] installed = {false};
        ReplicaDataset d = new ReplicaDataset(dir, () -> null,
                () -> {
                    throw new OutOfMemoryError("Java heap space");
                },
                (keyspace, replId, offset, beforeSwap) -> installed[0] = true, dir.resolve("dump.rdb"),
                () -> dev.replcache.keyspace.rdb.RdbLimits.DEFAULTS);
        d.beginSnapshot("s", rdb.length);
        d.writeSnapshotChunk(rdb);

        assertThatThrownBy(() -> d.loadSnapshot(dev.replcache.replication.ReplicationId.random(new java.util.SplittableRandom(1)),
                100))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("ran out of heap").hasMessageContaining("replcache.snapshot.max-load-memory");
        assertThat(installed[0]).as("the old dataset stays in service").isFalse();
        assertThat(dir.resolve("dump.rdb")).doesNotExist();
    }
}
