package dev.replcache.node;

import dev.replcache.keyspace.Keyspace;
import dev.replcache.keyspace.rdb.RdbFormatException;
import dev.replcache.keyspace.rdb.RdbInfo;
import dev.replcache.keyspace.rdb.RdbLimits;
import dev.replcache.keyspace.rdb.RdbReader;
import dev.replcache.replication.ReplicationId;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's dump file in the data directory ({@code dump.rdb} by default): an RDB file that
 * carries its replication position in the aux fields {@code repl-id} and {@code repl-offset},
 * as Redis writes them. Written atomically ({@link SnapshotFiles#writeFile}), loaded at start.
 *
 * <p>Beside it, a master's clean shutdown leaves a small marker ({@code dump.rdb.clean-shutdown})
 * naming the file's id, offset and checksum: it says that the file holds every byte this master
 * ever produced under that id. Only then may a restarted master keep the id (its replicas then
 * continue partially); any other file it loads (an interval save, a replica's file, a file
 * after a crash) may be older than what its replicas have seen, so it starts a new id and keeps
 * the file's as {@code replId2} up to the file's offset, as Redis 7 does. The marker is taken
 * (deleted) at every start, so it is never trusted twice.
 */
final class DumpFile {

    private static final Logger log = LoggerFactory.getLogger(DumpFile.class);

    static final String CLEAN_SHUTDOWN_SUFFIX = ".clean-shutdown";
    private static final DateTimeFormatter ASIDE_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final Path file;
    /** Load a file whose CRC64 trailer is zero (written with Redis's {@code rdbchecksum no}). */
    private final boolean allowNoChecksum;

    /** A file this node wrote (or a replica's verified sync snapshot): its checksum is required. */
    DumpFile(Path file) {
        this(file, false);
    }

    DumpFile(Path file, boolean allowNoChecksum) {
        this.file = file;
        this.allowNoChecksum = allowNoChecksum;
    }

    Path path() {
        return file;
    }

    private Path dir() {
        return file.toAbsolutePath().getParent();
    }

    boolean exists() {
        return Files.exists(file);
    }

    /**
     * A loaded file.
     *
     * @param keyspace the loaded data, not yet in service
     * @param info     what the file said about itself (aux fields, keys, checksum)
     */
    record Loaded(Keyspace keyspace, RdbInfo info) {

        /** The file's replication id, or null when it has none (or not a valid one). */
        ReplicationId replId() {
            return info.replId().map(ReplicationId::parseOrNull).filter(id -> !id.isNone()).orElse(null);
        }

        /** The file's replication offset, or -1 when it has none. */
        long offset() {
            return info.replOffset().orElse(-1);
        }

        boolean hasPosition() {
            return replId() != null && offset() >= 0;
        }
    }

    /**
     * Reads the whole file into a fresh keyspace (keys stored as they are, expired or not).
     *
     * @param limits what the file may make the node allocate: over them it is refused, not loaded
     * @throws IOException when it cannot be read or is not a valid RDB file within the limits (an
     *                     {@link dev.replcache.keyspace.rdb.RdbFormatException} says where)
     */
    Loaded load(Supplier<Keyspace> fresh, RdbLimits limits) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            Keyspace keyspace = fresh.get();
            RdbInfo info = RdbReader.read(in, limits, keyspace::load);
            if (info.checksum() == 0 && !allowNoChecksum) {
                // Redis takes a zero trailer as "written with rdbchecksum no" (and files before RDB 5
                // have none); then a flipped bit anywhere loads as plausible data. This node always writes one.
                throw new RdbFormatException("the file has no checksum (its CRC64 trailer is 0, as Redis writes it "
                        + "with rdbchecksum no, or it predates RDB version 5), so corruption in it cannot be detected; "
                        + "set replcache.snapshot.allow-no-checksum=true to load it anyway", info.bytes());
            }
            return new Loaded(keyspace, info);
        } catch (OutOfMemoryError e) {
            // The limits estimate the heap; should the estimate fall short, the half-loaded keyspace
            // is garbage once this returns, and the start fails naming the file instead of dying bare.
            throw new IOException(SnapshotFiles.outOfMemory(limits), e);
        }
    }

    /** Writes a cut of the node's dataset as the dump file; the cut's snapshot is walked, not closed. */
    SnapshotFiles.Written write(CacheNode.Cut cut, Runnable perKey) throws IOException {
        return SnapshotFiles.writeFile(file, cut.snapshot(), cut.replId().value(), perKey);
    }

    /** Moves an unloadable file out of the way, to {@code <file>.corrupt-<UTC time>}; returns where. */
    Path moveAside(long nowMs) throws IOException {
        Path aside = file.resolveSibling(file.getFileName() + ".corrupt-" + ASIDE_TIME.format(Instant.ofEpochMilli(nowMs)));
        for (int n = 1; Files.exists(aside); n++) {
            aside = file.resolveSibling(file.getFileName() + ".corrupt-"
                    + ASIDE_TIME.format(Instant.ofEpochMilli(nowMs)) + "-" + n);
        }
        Files.move(file, aside, StandardCopyOption.ATOMIC_MOVE);
        SnapshotFiles.fsyncDirectory(dir());
        return aside;
    }

    // ------------------------------------------------------------------ clean-shutdown marker

    /** What a master's clean shutdown says about the file it wrote last. */
    /**
     * @param replId2 the replId2 the node held (null: none), valid up to {@code secondReplOffset}
     * @param master  written by a master: only then does the file hold all its id ever produced
     */
    record CleanShutdown(String replId, long offset, long checksum, String replId2, long secondReplOffset,
                         boolean master) {

        boolean matches(RdbInfo info) {
            return info.replId().map(replId::equals).orElse(false) && info.replOffset().orElse(-1) == offset
                    && info.checksum() == checksum;
        }
    }

    private Path markerPath() {
        return file.resolveSibling(file.getFileName() + CLEAN_SHUTDOWN_SUFFIX);
    }

    /**
     * After the final save of a node that takes no more writes: the file is exactly its position,
     * whose replId2 the marker keeps; from a master, the file also holds its whole history.
     */
    void markCleanShutdown(String replId, long offset, long checksum, ReplicationId replId2, long secondReplOffset,
                           boolean master) throws IOException {
        Path marker = markerPath();
        Path tmp = marker.resolveSibling(marker.getFileName() + ".tmp");
        String text = "repl-id=" + replId + "\nrepl-offset=" + offset + "\nchecksum=" + Long.toUnsignedString(checksum, 16)
                + "\nrole=" + (master ? "master" : "replica") + "\n" + (replId2.equals(ReplicationId.NONE) ? ""
                : "repl-id2=" + replId2.value() + "\nsecond-repl-offset=" + secondReplOffset + "\n");
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
            channel.force(true);
        }
        Files.move(tmp, marker, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        SnapshotFiles.fsyncDirectory(dir());
    }

    /**
     * Reads and deletes the clean-shutdown marker, durably, before anything is served: it vouches
     * for one start only. Empty when there is none, when it is unreadable, or when it could not
     * be deleted (then it must not be trusted either).
     */
    Optional<CleanShutdown> takeCleanShutdown() {
        Path marker = markerPath();
        String text;
        try {
            text = Files.readString(marker, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException none) {
            return Optional.empty();
        } catch (IOException e) {
            log.warn("Cannot read {}: {}; the dump file counts as not from a clean shutdown", marker, e.toString());
            text = null;
        }
        try {
            Files.deleteIfExists(marker);
            SnapshotFiles.fsyncDirectory(dir());
        } catch (IOException e) {
            log.warn("Cannot delete {}: {}; the dump file counts as not from a clean shutdown", marker, e.toString());
            return Optional.empty();
        }
        if (text == null) {
            return Optional.empty();
        }
        Map<String, String> fields = new HashMap<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                fields.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
            }
        }
        try {
            String id2 = fields.get("repl-id2");
            return Optional.of(new CleanShutdown(fields.get("repl-id"), Long.parseLong(fields.get("repl-offset")),
                    Long.parseUnsignedLong(fields.get("checksum"), 16), id2 == null ? null : new ReplicationId(id2).value(),
                    id2 == null ? -1 : Long.parseLong(fields.get("second-repl-offset")),
                    !"replica".equals(fields.get("role"))));
        } catch (RuntimeException e) {
            log.warn("Ignoring the malformed {}: {}", marker, e.toString());
            return Optional.empty();
        }
    }

    // ------------------------------------------------------------------ leftovers

    /**
     * Removes what a crash can leave behind in the data directory: a half-written dump or marker
     * ({@code .tmp}), the master's replication snapshots ({@code sync-*.rdb}), and a replica's
     * half-received or last-loaded full-sync files. None of them is needed at start.
     */
    void removeLeftovers() {
        Path dir = dir();
        if (!Files.isDirectory(dir)) {
            return;
        }
        String dumpName = file.getFileName().toString();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                boolean ours = name.equals(dumpName + ".tmp")
                        || name.equals(dumpName + CLEAN_SHUTDOWN_SUFFIX + ".tmp")
                        || (name.startsWith("sync-") && (name.endsWith(".rdb") || name.endsWith(".rdb.tmp")))
                        || (name.startsWith("incoming-") && name.endsWith(".rdb.tmp"))
                        || name.equals("replica-sync.rdb");
                if (ours && !name.equals(dumpName) && Files.isRegularFile(p)) {
                    SnapshotFiles.deleteQuietly(p);
                    log.info("Removed {}, left over from an earlier run", p);
                }
            }
        } catch (IOException e) {
            log.warn("Cannot list {} to remove leftovers: {}", dir, e.toString());
        }
    }
}
