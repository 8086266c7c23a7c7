package dev.replcache.node;

import dev.replcache.keyspace.Keyspace;
import dev.replcache.keyspace.KeyspaceSnapshot;
import dev.replcache.keyspace.rdb.RdbWriter;
import dev.replcache.replication.ReplicaSession;
import dev.replcache.replication.ReplicationLog;
import dev.replcache.replication.ReplicationMaster;
import dev.replcache.replication.SnapshotSource;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master's snapshots as RDB files in the data directory: cut in the write order (O(1)),
 * written on a background thread while writes go on, then read in chunks for each replica that
 * syncs from them. A file is written to {@code .tmp}, fsynced and renamed, so a crash never
 * leaves a half file under the final name.
 */
final class SnapshotFiles implements SnapshotSource {

    private static final Logger log = LoggerFactory.getLogger(SnapshotFiles.class);

    private final Path dir;
    private final Supplier<Keyspace> keyspace;
    private final ReplicationLog replicationLog;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "replcache-snapshot");
        t.setDaemon(true);
        return t;
    });
    private volatile ReplicationMaster master;
    private volatile Consumer<List<ReplicaSession>> wake = sessions -> { };

    SnapshotFiles(Path dir, Supplier<Keyspace> keyspace, ReplicationLog replicationLog) {
        this.dir = dir;
        this.keyspace = keyspace;
        this.replicationLog = replicationLog;
    }

    void bind(ReplicationMaster master, Consumer<List<ReplicaSession>> wake) {
        this.master = master;
        this.wake = wake;
    }

    private Path file(String snapshotId) {
        return dir.resolve("sync-" + snapshotId + ".rdb");
    }

    @Override
    public long startSnapshot(String snapshotId) {
        KeyspaceSnapshot snapshot = keyspace.get().openSnapshot(replicationLog::offset);
        String replId = replicationLog.replId().value();
        writer.execute(() -> write(snapshotId, snapshot, replId));
        return snapshot.offset();
    }

    private void write(String snapshotId, KeyspaceSnapshot snapshot, String replId) {
        long started = System.nanoTime();
        Path target = file(snapshotId);
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try (snapshot) {
            Files.createDirectories(dir);
            CRC32C crc = new CRC32C();
            RdbWriter.Summary summary;
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
                 OutputStream out = new CheckedOutputStream(new BufferedOutputStream(
                         java.nio.channels.Channels.newOutputStream(channel), 1 << 16), crc)) {
                summary = RdbWriter.write(snapshot, replId, snapshot.offset(), out);
                out.flush();
                channel.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            long size = Files.size(target);
            log.info("Snapshot {} written: {} keys, {} bytes at offset {} in {} ms ({} segments copied by writes)",
                    snapshotId, summary.keys(), size, snapshot.offset(), (System.nanoTime() - started) / 1_000_000,
                    snapshot.preservedSegments());
            wake.accept(master.snapshotWritten(snapshotId, size, (int) crc.getValue(), summary.keys()));
        } catch (IOException | RuntimeException e) {
            log.error("Snapshot {} failed", snapshotId, e);
            deleteQuietly(tmp);
            master.snapshotFailed(snapshotId, e.toString());
        }
    }

    @Override
    public int read(String snapshotId, long position, byte[] dst, int len) {
        try (FileChannel channel = FileChannel.open(file(snapshotId), StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.wrap(dst, 0, len);
            while (buf.hasRemaining()) {
                int n = channel.read(buf, position + buf.position());
                if (n < 0) {
                    break;
                }
            }
            return buf.position();
        } catch (IOException e) {
            throw new UncheckedIOException("reading snapshot " + snapshotId, e);
        }
    }

    @Override
    public void delete(String snapshotId) {
        deleteQuietly(file(snapshotId));
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            log.warn("Could not delete {}: {}", p, e.toString());
        }
    }

    void close() {
        writer.shutdownNow();
    }
}
