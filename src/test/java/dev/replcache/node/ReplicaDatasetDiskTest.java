package dev.replcache.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The replica's snapshot file on a disk that is full, or too small for the snapshot. */
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
}
