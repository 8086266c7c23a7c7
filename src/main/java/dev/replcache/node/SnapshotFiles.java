package dev.replcache.node;

import dev.replcache.keyspace.Bytes;
import dev.replcache.keyspace.Entry;
import dev.replcache.keyspace.Keyspace;
import dev.replcache.keyspace.KeyspaceSnapshot;
import dev.replcache.keyspace.rdb.RdbWriter;
import dev.replcache.replication.ReplicaSession;
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
import java.util.Map;
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
 * syncs from them. A file is written to {@code .tmp}, fsynced, renamed and its directory fsynced
 * ({@link #writeFile}, which the node's dump file uses too), so a crash never leaves a half file
 * under the final name.
 */
final class SnapshotFiles implements SnapshotSource {

    private static final Logger log = LoggerFactory.getLogger(SnapshotFiles.class);

    private final Path dir;
    private final Supplier<Keyspace> keyspace;
    /** The node's cut: the snapshot and its (replId, offset), read together under the dataset lock. */
    private final Supplier<CacheNode.Cut> cutter;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "replcache-snapshot");
        t.setDaemon(true);
        return t;
    });
    private volatile ReplicationMaster master;
    private volatile Consumer<List<ReplicaSession>> wake = sessions -> { };

    SnapshotFiles(Path dir, Supplier<Keyspace> keyspace, Supplier<CacheNode.Cut> cutter) {
        this.dir = dir;
        this.keyspace = keyspace;
        this.cutter = cutter;
    }

    void bind(ReplicationMaster master, Consumer<List<ReplicaSession>> wake) {
        this.master = master;
        this.wake = wake;
    }

    private Path file(String snapshotId) {
        return dir.resolve("sync-" + snapshotId + ".rdb");
    }

    @Override
    public long datasetKeys() {
        return keyspace.get().dbSize();
    }

    @Override
    public long startSnapshot(String snapshotId) {
        // The id is read with the offset inside the write lock (CacheNode.cut): read after the cut,
        // a promotion in between would label the file with the new id at the old history's offset.
        CacheNode.Cut cut = cutter.get();
        writer.execute(() -> write(snapshotId, cut.snapshot(), cut.replId().value()));
        return cut.offset();
    }

    private void write(String snapshotId, KeyspaceSnapshot snapshot, String replId) {
        long started = System.nanoTime();
        try (snapshot) {
            Written written = writeFile(file(snapshotId), snapshot, replId, null);
            log.info("Snapshot {} written: {} keys, {} bytes at offset {} in {} ms ({} segments copied by writes)",
                    snapshotId, written.summary().keys(), written.bytes(), snapshot.offset(),
                    (System.nanoTime() - started) / 1_000_000, snapshot.preservedSegments());
            wake.accept(master.snapshotWritten(snapshotId, written.bytes(), written.crc32c(), written.summary().keys()));
        } catch (IOException | RuntimeException e) {
            log.error("Snapshot {} failed", snapshotId, e);
            master.snapshotFailed(snapshotId, e.toString());
        }
    }

    /**
     * What {@link #writeFile} wrote.
     *
     * @param summary what the RDB writer reports (keys, expires, CRC64)
     * @param bytes   the file's length
     * @param crc32c  CRC32C of the whole file, as the wire checks it
     */
    record Written(RdbWriter.Summary summary, long bytes, int crc32c) {
    }

    /**
     * Writes a snapshot as an RDB file so that a crash never leaves a half file under
     * {@code target}: to {@code target.tmp}, fsynced, renamed over {@code target} atomically, then
     * the directory fsynced so that the rename itself survives a power cut. The temporary file is
     * removed when anything fails. The snapshot is walked, not closed.
     *
     * @param perKey called before each key is written (a test delay, Redis's
     *               {@code rdb-key-save-delay}); null for none
     */
    static Written writeFile(Path target, KeyspaceSnapshot snapshot, String replId, Runnable perKey)
            throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.createDirectories(dir);
        try {
            CRC32C crc = new CRC32C();
            RdbWriter.Summary summary;
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
                 OutputStream out = new CheckedOutputStream(new BufferedOutputStream(
                         java.nio.channels.Channels.newOutputStream(channel), 1 << 16), crc)) {
                if (perKey == null) {
                    summary = RdbWriter.write(snapshot, replId, snapshot.offset(), out);
                } else {
                    summary = writeSlowly(snapshot, replId, out, perKey);
                }
                out.flush();
                channel.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            fsyncDirectory(dir);
            return new Written(summary, Files.size(target), (int) crc.getValue());
        } catch (IOException | RuntimeException e) {
            deleteQuietly(tmp);
            throw e;
        }
    }

    private static RdbWriter.Summary writeSlowly(KeyspaceSnapshot snapshot, String replId, OutputStream out,
                                                 Runnable perKey) throws IOException {
        RdbWriter writer = new RdbWriter(out);
        writer.begin(new RdbWriter.Header(Math.floorDiv(snapshot.cutTimeMs(), 1000L),
                Math.max(0, snapshot.usedMemoryBytes()), replId, snapshot.offset(), snapshot.keyCount(),
                snapshot.expiresCount()));
        List<Map.Entry<Bytes, Entry>> segment;
        while ((segment = snapshot.nextSegment()) != null) {
            for (Map.Entry<Bytes, Entry> e : segment) {
                perKey.run();
                writer.writeEntry(e.getKey(), e.getValue());
            }
        }
        return writer.finish();
    }

    /**
     * Makes a rename in {@code dir} durable (fsync of the directory). Where the platform cannot
     * open a directory (Windows), there is nothing to do and nothing is done.
     */
    static void fsyncDirectory(Path dir) throws IOException {
        FileChannel channel;
        try {
            channel = FileChannel.open(dir, StandardOpenOption.READ);
        } catch (IOException | UnsupportedOperationException notOnThisPlatform) {
            log.debug("Cannot open directory {} to fsync it: {}", dir, notOnThisPlatform.toString());
            return;
        }
        try (channel) {
            channel.force(true);
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

    /** The message for a load that ran out of heap within its limits: what to change. */
    static String outOfMemory(dev.replcache.keyspace.rdb.RdbLimits limits) {
        return "the JVM ran out of heap loading the snapshot (the load's budget was " + limits.maxLoadBytes()
                + " bytes; max heap " + Runtime.getRuntime().maxMemory() + " bytes): give the JVM more heap (-Xmx) or set "
                + "replcache.snapshot.max-load-memory lower";
    }

    static void deleteQuietly(Path p) {
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
