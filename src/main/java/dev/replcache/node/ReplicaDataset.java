package dev.replcache.node;

import dev.replcache.keyspace.CommandEntry;
import dev.replcache.keyspace.Keyspace;
import dev.replcache.keyspace.rdb.RdbInfo;
import dev.replcache.keyspace.rdb.RdbLimits;
import dev.replcache.replication.MasterLink;
import dev.replcache.replication.ReplicationId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replica's dataset as the link sees it: entries go to the current keyspace; a full resync's
 * chunks go to a temporary file in the data directory, which is fsynced, loaded into a new
 * keyspace while the old one keeps serving reads, and then swapped in. The old keyspace is
 * dropped after the swap; the JVM frees it concurrently with serving. The loaded file then
 * becomes the node's dump file (as Redis keeps the RDB a full sync brought), so a replica that
 * crashes later restarts from it and can resync partially.
 */
final class ReplicaDataset implements MasterLink.Dataset {

    private static final Logger log = LoggerFactory.getLogger(ReplicaDataset.class);

    private final Path dir;
    private final Supplier<Keyspace> current;
    private final Supplier<Keyspace> fresh;
    private final Installer install;
    private final Path dumpFile;
    private final Supplier<RdbLimits> limits;
    private FileChannel incoming;
    private Path incomingPath;

    /** Puts a loaded keyspace in service as the version {@code (replId, offset)} of the history. */
    @FunctionalInterface
    interface Installer {
        /**
         * Puts {@code loaded} in service as {@code (replId, offset)}, running {@code beforeSwap}
         * (the file kept as the dump file) first in the same critical section; refuses with an
         * exception, doing neither, when the link that loaded it is no longer the node's.
         */
        void install(Keyspace loaded, ReplicationId replId, long offset, Runnable beforeSwap);
    }

    /**
     * @param current  the keyspace in service
     * @param fresh    makes an empty replica keyspace logging to the node's replication log
     * @param install  puts a loaded keyspace in service, together with its (replId, offset)
     * @param dumpFile where a loaded snapshot is kept as the node's dump file; null to keep none
     * @param limits   what a master's snapshot may make this node allocate, asked at each load (the
     *                 heap budget depends on the dataset in service); over them the sync is refused
     */
    ReplicaDataset(Path dir, Supplier<Keyspace> current, Supplier<Keyspace> fresh, Installer install, Path dumpFile,
                   Supplier<RdbLimits> limits) {
        this.dir = dir;
        this.limits = limits;
        this.current = current;
        this.fresh = fresh;
        this.install = install;
        this.dumpFile = dumpFile;
    }

    @Override
    public void apply(CommandEntry entry) {
        current.get().apply(entry);
    }

    @Override
    public long keyCount() {
        return current.get().dbSize();
    }

    @Override
    public void beginSnapshot(String snapshotId) {
        abortSnapshot();
        try {
            Files.createDirectories(dir);
            incomingPath = dir.resolve("incoming-" + snapshotId + ".rdb.tmp");
            incoming = FileChannel.open(incomingPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the snapshot file in " + dir, e);
        }
    }

    @Override
    public void beginSnapshot(String snapshotId, long sizeEstimate) {
        long usable = usableSpace();
        // The incoming file is renamed over the dump file only once it is complete: both exist
        // meanwhile, so the disk must hold the whole new file besides what is there now.
        if (usable >= 0 && sizeEstimate > usable) {
            throw new UncheckedIOException(new IOException("not enough disk space in " + dir + " for the snapshot: it needs about "
                    + sizeEstimate + " bytes, " + usable + " are usable (No space left on device)"));
        }
        beginSnapshot(snapshotId);
    }

    /** Usable bytes on the data directory's file system, -1 when unknown. */
    private long usableSpace() {
        try {
            Path existing = dir;
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
            return existing == null ? -1 : Files.getFileStore(existing).getUsableSpace();
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public void writeSnapshotChunk(byte[] data) {
        try {
            ByteBuffer buf = ByteBuffer.wrap(data);
            while (buf.hasRemaining()) {
                incoming.write(buf);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the snapshot file " + incomingPath, e);
        }
    }

    @Override
    public void abortSnapshot() {
        if (incoming != null) {
            try {
                incoming.close();
                Files.deleteIfExists(incomingPath);
            } catch (IOException e) {
                log.warn("Could not remove {}: {}", incomingPath, e.toString());
            }
            incoming = null;
        }
    }

    @Override
    public void loadSnapshot(ReplicationId replId, long offset) {
        long started = System.nanoTime();
        Path loaded = dir.resolve("replica-sync.rdb");
        try {
            incoming.force(true);
            incoming.close();
            incoming = null;
            Files.move(incomingPath, loaded, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            // Read as a dump file is (the same bounds; past the estimate after all, an OutOfMemoryError
            // becomes an IOException and the old dataset keeps serving while the link retries).
            DumpFile.Loaded next = new DumpFile(loaded).load(fresh, limits.get());
            RdbInfo info = next.info();
            // Kept before the swap, which then is the last step: the file is already exactly (replId, offset).
            // Both happen only if this link is still the node's (not replaced by a promotion or a
            // REPLICAOF while it loaded), and then together.
            install.install(next.keyspace(), replId, offset, () -> keepAsDumpFile(loaded, replId, offset, info));
            log.info("Snapshot loaded: {} keys at offset {} of {} in {} ms; serving the new dataset",
                    info.keys(), offset, replId, (System.nanoTime() - started) / 1_000_000);
        } catch (IOException e) {
            SnapshotFiles.deleteQuietly(loaded);
            throw new UncheckedIOException("cannot load the snapshot: " + e.getMessage(), e);
        }
    }

    /**
     * The file is exactly the dataset at {@code (replId, offset)}, as a dump file would be. Only
     * when the master's file says so itself: a file without those aux fields is not kept.
     */
    private void keepAsDumpFile(Path loaded, ReplicationId replId, long offset, RdbInfo info) {
        if (dumpFile == null || !info.replId().map(replId.value()::equals).orElse(false)
                || info.replOffset().orElse(-1) != offset) {
            return;
        }
        try {
            Files.move(loaded, dumpFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            SnapshotFiles.fsyncDirectory(dumpFile.toAbsolutePath().getParent());
            log.info("Kept the full sync's snapshot as the dump file {} (offset {} of {})", dumpFile, offset, replId);
        } catch (IOException e) {
            log.warn("Could not keep the full sync's snapshot as {}: {}", dumpFile, e.toString());
        }
    }
}
