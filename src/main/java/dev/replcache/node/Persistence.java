package dev.replcache.node;

import dev.replcache.keyspace.KeyspaceRole;
import dev.replcache.keyspace.KeyspaceSnapshot;
import dev.replcache.keyspace.MillisClock;
import dev.replcache.keyspace.rdb.RdbInfo;
import dev.replcache.replication.PsyncDecision;
import dev.replcache.replication.ReplicaInfo;
import dev.replcache.replication.ReplicaSession;
import dev.replcache.replication.ReplicationId;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's dump file over its life: loaded before the node serves ({@link #restore}), saved on
 * demand ({@link #save}, Redis's BGSAVE), every {@code interval} when the data changed (Redis's
 * {@code save}), and at a clean shutdown ({@link #stopWrites} then {@link #shutdown}).
 *
 * <p>Saves never stop writes: a save is a point-in-time cut of the keyspace (copy-on-write by
 * segment) written on the save thread while writes go on. They run one at a time on that one
 * thread; asking for a save while one runs is refused ({@link SaveInProgressException}).
 *
 * <p>A clean shutdown goes: client writes refused and the stream ended where it is
 * ({@link CacheNode#stopWrites}), replicas given {@code shutdownReplicaWait} to ack that offset,
 * then (after the gRPC and HTTP servers stopped) the final save at exactly that offset. On a
 * master, a marker beside the file then says that the file holds its whole history, so that the
 * restarted master keeps its replId and its replicas continue partially (see {@link DumpFile}).
 */
public final class Persistence implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Persistence.class);

    /**
     * @param interval            save this often when the dataset changed; zero = never
     * @param onShutdown          save at a clean shutdown
     * @param shutdownTimeout     the shutdown save gets this long
     * @param keySaveDelay        pause before each key (tests; Redis's {@code rdb-key-save-delay})
     * @param shutdownReplicaWait how long a stopping node waits for its replicas to ack its last offset
     */
    public record Settings(Duration interval, boolean onShutdown, Duration shutdownTimeout, Duration keySaveDelay,
                           Duration shutdownReplicaWait) {
        public Settings {
            Objects.requireNonNull(interval, "interval");
            Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
            Objects.requireNonNull(keySaveDelay, "keySaveDelay");
            Objects.requireNonNull(shutdownReplicaWait, "shutdownReplicaWait");
        }
    }

    /**
     * One save, as {@code POST /v1/snapshot} answers it.
     *
     * @param file       the dump file
     * @param replId     the replication id the data belongs to ({@code repl-id} in the file)
     * @param offset     the replication offset of the data ({@code repl-offset})
     * @param keys       keys written
     * @param bytes      the file's size
     * @param durationMs from the cut to the file renamed in place
     * @param reason     {@code requested}, {@code interval} or {@code shutdown}
     * @param savedAtMs  when it completed, Unix milliseconds (Redis's LASTSAVE)
     * @param checksum   the file's CRC64 trailer, in hex
     */
    public record Saved(String file, String replId, long offset, long keys, long bytes, long durationMs, String reason,
                        long savedAtMs, String checksum) {
    }

    /**
     * What {@code GET /v1/snapshot} shows (Redis's INFO persistence).
     *
     * @param file                     the dump file
     * @param inProgress               a save is running
     * @param inProgressOffset         the offset at which the running save cut the data; -1 when
     *                                 none runs or it has not cut yet
     * @param lastSave                 the last successful save since start, or null
     * @param lastError                why the last save failed, or null when the last one succeeded
     * @param lastErrorAtMs            when it failed (0 when none)
     * @param streamBytesSinceLastSave stream bytes produced since the data the dump file holds
     *                                 (Redis's {@code rdb_changes_since_last_save}, in bytes); -1
     *                                 when unknown (a new replId since)
     * @param intervalMs               the periodic save interval; 0 = off
     * @param onShutdown               whether a clean shutdown saves
     */
    public record Status(String file, boolean inProgress, long inProgressOffset, Saved lastSave, String lastError, long lastErrorAtMs,
                         long streamBytesSinceLastSave, long intervalMs, boolean onShutdown) {
    }

    /**
     * What the start found.
     *
     * @param loaded      a dump file was loaded
     * @param hasHistory  the loaded data is a known version {@code (replId, offset)}: a replica
     *                    offers it to its master for a partial resync
     * @param keptReplId  a master continues the file's replId (a clean-shutdown file of its own)
     * @param keys        keys loaded
     * @param durationMs  time to load
     */
    record Restored(boolean loaded, boolean hasHistory, boolean keptReplId, long keys, long durationMs) {
        static final Restored NOTHING = new Restored(false, false, false, 0, 0);
    }

    /** The (replId, offset) whose data the dump file holds, as far as this process knows. */
    private record Position(ReplicationId replId, long offset) {
    }

    private final CacheNode node;
    private final DumpFile dump;
    private final Settings settings;
    private final MillisClock wallClock;
    private final ScheduledExecutorService saver = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "replcache-save");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile boolean closing;
    private volatile boolean writesStopped;
    private volatile Saved lastSave;
    private volatile String lastError;
    private volatile long lastErrorAtMs;
    private volatile Position saved;
    private volatile KeyspaceSnapshot inFlight;
    private volatile long inFlightOffset = -1;
    private volatile Runnable beforeEachKey; // tests: holds a save at a point of their choosing
    private ScheduledFuture<?> intervalTask; // guarded by this

    /**
     * @param wallClock Unix time, for LASTSAVE and file names (the node's system clock)
     */
    Persistence(CacheNode node, DumpFile dump, Settings settings, MillisClock wallClock) {
        this.node = Objects.requireNonNull(node, "node");
        this.dump = Objects.requireNonNull(dump, "dump");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.wallClock = Objects.requireNonNull(wallClock, "wallClock");
        // Made after restore(): what is in service now is what the file holds (or nothing yet).
        PsyncDecision.History h = node.replicationLog().history();
        this.saved = dump.exists() ? new Position(h.replId(), h.masterOffset()) : null;
    }

    // ------------------------------------------------------------------ start

    /**
     * Loads the dump file, if there is one, into the node before it starts and serves: the
     * keyspace in the node's role (a replica's never deletes by its clock, so it is set before
     * the keys go in), and the history at the file's {@code (replId, offset)} with an empty
     * backlog. A master keeps the file's replId only when its own clean shutdown vouches for the
     * file; otherwise it continues under a new replId with the file's as replId2 (Redis 7).
     *
     * @param asReplica     the node is configured to follow a master
     * @param ignoreCorrupt move an unloadable file aside and start empty instead of failing
     * @throws DumpFileException when the file exists but cannot be loaded (and not ignoreCorrupt)
     */
    static Restored restore(CacheNode node, DumpFile dump, boolean asReplica, boolean ignoreCorrupt,
                            MillisClock wallClock) {
        Path file = dump.path().toAbsolutePath();
        dump.removeLeftovers();
        Optional<DumpFile.CleanShutdown> clean = dump.takeCleanShutdown();
        if (!dump.exists()) {
            log.info("No dump file {}: starting with an empty dataset", file);
            return Restored.NOTHING;
        }
        long started = System.nanoTime();
        DumpFile.Loaded loaded;
        try {
            loaded = dump.load(() -> node.newKeyspace(asReplica ? KeyspaceRole.REPLICA : KeyspaceRole.MASTER),
                    node.snapshotLoadLimits(0));
        } catch (IOException | RuntimeException e) {
            String what = "Cannot load the dump file " + file + ": " + e.getMessage();
            if (!ignoreCorrupt) {
                throw new DumpFileException(what + ". The node does not start on data it cannot read: repair or "
                        + "remove the file, or set replcache.snapshot.ignore-corrupt=true to move it aside and start "
                        + "empty", e);
            }
            Path aside;
            try {
                aside = dump.moveAside(wallClock.millis());
            } catch (IOException moveFailed) {
                throw new DumpFileException(what + "; replcache.snapshot.ignore-corrupt=true, but the file could not "
                        + "be moved aside: " + moveFailed, e);
            }
            log.error("{}", what, e);
            log.error("replcache.snapshot.ignore-corrupt=true: the unloadable dump file was moved to {} and the node "
                    + "STARTS EMPTY; none of the data in that file is served", aside);
            return Restored.NOTHING;
        }
        long ms = (System.nanoTime() - started) / 1_000_000;
        RdbInfo info = loaded.info();
        if (!loaded.hasPosition()) {
            node.install(loaded.keyspace(), node.replicationLog().replId(), 0);
            log.info("Loaded dump file {}: {} keys ({} with a TTL) in {} ms. It names no replication position "
                    + "(repl-id, repl-offset): a new history {} starts at offset 0{}", file, info.keys(),
                    info.expires(), ms, node.replicationLog().replId(),
                    asReplica ? "; the master will send a full sync" : "");
            return new Restored(true, false, false, info.keys(), ms);
        }
        ReplicationId replId = loaded.replId();
        long offset = loaded.offset();
        node.install(loaded.keyspace(), replId, offset);
        Optional<DumpFile.CleanShutdown> exact = clean.filter(c -> c.matches(info));
        if (exact.isPresent() && exact.get().replId2() != null && (asReplica || exact.get().master())) {
            try {
                node.replicationLog().restoreSecondId(new ReplicationId(exact.get().replId2()),
                        exact.get().secondReplOffset());
            } catch (IllegalArgumentException e) {
                log.warn("The clean-shutdown marker's replId2 does not fit the file ({}); continuing without it", e.getMessage());
            }
        }
        if (asReplica) {
            log.info("Loaded dump file {}: {} keys ({} with a TTL) in {} ms, at offset {} of {}: offered to the "
                    + "master for a partial resync", file, info.keys(), info.expires(), ms, offset, replId);
            return new Restored(true, true, true, info.keys(), ms);
        }
        boolean keep = exact.map(DumpFile.CleanShutdown::master).orElse(false);
        if (keep) {
            log.info("Loaded dump file {}: {} keys ({} with a TTL) in {} ms, written at this master's clean "
                    + "shutdown: continuing replId {} at offset {}", file, info.keys(), info.expires(), ms, replId,
                    offset);
        } else {
            node.replicationLog().shiftReplicationId(ReplicationId.random(new SecureRandom()));
            log.info("Loaded dump file {}: {} keys ({} with a TTL) in {} ms, at offset {} of {}. Not from this "
                    + "master's clean shutdown, so replicas may have seen more: new replId {}, with {} kept as "
                    + "replId2 up to offset {} (replicas at or before it continue partially)", file, info.keys(),
                    info.expires(), ms, offset, replId, node.replicationLog().replId(), replId, offset);
        }
        return new Restored(true, true, keep, info.keys(), ms);
    }

    /** Starts the periodic saves, if configured. */
    public synchronized void start() {
        long ms = settings.interval().toMillis();
        if (ms <= 0 || intervalTask != null || closing) {
            return;
        }
        intervalTask = saver.scheduleWithFixedDelay(this::intervalSave, ms, ms, TimeUnit.MILLISECONDS);
        log.info("Saving {} every {} when the data changed (replcache.snapshot.interval)", dump.path(),
                settings.interval());
    }

    // ------------------------------------------------------------------ saves

    /**
     * Saves the dump file now, waiting until it is written (writes go on meanwhile).
     *
     * @throws SaveInProgressException when another save runs
     * @throws NodeStoppingException   when the node is shutting down
     * @throws SaveFailedException     when the file could not be written
     */
    public Saved save() {
        CompletableFuture<Saved> done = saveAsync();
        try {
            return done.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new SaveFailedException("saving " + dump.path() + " failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SaveFailedException("interrupted while waiting for the save of " + dump.path()
                    + "; it goes on", e);
        }
    }

    /**
     * Starts a save now; the future completes when the file is written, or fails with a
     * {@link SaveFailedException}. For callers that must not block (gRPC's network threads).
     *
     * @throws SaveInProgressException when another save runs
     * @throws NodeStoppingException   when the node is shutting down
     */
    public CompletableFuture<Saved> saveAsync() {
        if (closing) {
            throw new NodeStoppingException();
        }
        if (!busy.compareAndSet(false, true)) {
            throw new SaveInProgressException();
        }
        CompletableFuture<Saved> done = new CompletableFuture<>();
        try {
            saver.execute(() -> {
                Saved s;
                try {
                    s = doSave("requested");
                } catch (RuntimeException e) {
                    busy.set(false); // before completing: whoever waits may save again at once
                    done.completeExceptionally(e);
                    return;
                }
                busy.set(false);
                done.complete(s);
            });
        } catch (RejectedExecutionException stopped) {
            busy.set(false);
            throw new NodeStoppingException();
        }
        return done;
    }

    /** The periodic save: skipped when a save runs, and when nothing changed since the file's data. */
    private void intervalSave() {
        if (closing || !busy.compareAndSet(false, true)) {
            return;
        }
        try {
            if (changedSinceSave()) {
                doSave("interval");
            }
        } catch (RuntimeException e) {
            // doSave logged it; the schedule must go on
            log.debug("Interval save failed: {}", e.toString());
        } finally {
            busy.set(false);
        }
    }

    private boolean changedSinceSave() {
        Position p = saved;
        PsyncDecision.History h = node.replicationLog().history();
        return p == null || !p.replId().equals(h.replId()) || p.offset() != h.masterOffset();
    }

    /** One save, on the save thread. */
    private Saved doSave(String reason) {
        long started = System.nanoTime();
        CacheNode.Cut cut = node.cut();
        inFlight = cut.snapshot();
        inFlightOffset = cut.offset();
        try (KeyspaceSnapshot snapshot = cut.snapshot()) {
            SnapshotFiles.Written written = dump.write(cut, perKeyDelay());
            long ms = (System.nanoTime() - started) / 1_000_000;
            Saved s = new Saved(dump.path().toString(), cut.replId().value(), cut.offset(), written.summary().keys(),
                    written.bytes(), ms, reason, wallClock.millis(),
                    Long.toUnsignedString(written.summary().checksum(), 16));
            lastSave = s;
            saved = new Position(cut.replId(), cut.offset());
            lastError = null;
            log.info("Saved {} ({}): {} keys, {} bytes at offset {} of {} in {} ms ({} segments copied by writes)",
                    dump.path(), reason, s.keys(), s.bytes(), s.offset(), s.replId(), ms, snapshot.preservedSegments());
            return s;
        } catch (IOException | RuntimeException e) {
            lastError = e.toString();
            lastErrorAtMs = wallClock.millis();
            log.error("Saving {} ({}) failed; the previous file, if any, is unchanged", dump.path(), reason, e);
            throw new SaveFailedException("saving " + dump.path() + " failed: " + e.getMessage(), e);
        } finally {
            inFlight = null;
            inFlightOffset = -1;
        }
    }

    /** For tests: run {@code hook} before each key a save writes (in place of {@code key-save-delay}). */
    void beforeEachKeyForTests(Runnable hook) {
        this.beforeEachKey = hook;
    }

    private Runnable perKeyDelay() {
        Runnable hook = beforeEachKey;
        if (hook != null) {
            return hook;
        }
        long nanos = settings.keySaveDelay().toNanos();
        if (nanos <= 0) {
            return null;
        }
        return () -> {
            try {
                TimeUnit.NANOSECONDS.sleep(nanos);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("save interrupted", e);
            }
        };
    }

    /** Redis's INFO persistence, in short. */
    public Status status() {
        Position p = saved;
        PsyncDecision.History h = node.replicationLog().history();
        long since = p != null && p.replId().equals(h.replId()) ? h.masterOffset() - p.offset() : -1;
        boolean inProgress = busy.get();
        return new Status(dump.path().toString(), inProgress, inProgress ? inFlightOffset : -1, lastSave, lastError, lastErrorAtMs, since,
                settings.interval().toMillis(), settings.onShutdown());
    }

    // ------------------------------------------------------------------ shutdown

    /**
     * Clean shutdown, first step (before the servers stop): client writes are refused and the
     * node's stream ends here; replicas get {@code shutdownReplicaWait} to ack the last offset,
     * so that after a restart from the shutdown save they continue partially.
     */
    void stopWrites() {
        if (writesStopped) {
            return;
        }
        writesStopped = true;
        node.stopWrites();
        long deadline = System.nanoTime() + settings.shutdownReplicaWait().toNanos();
        boolean waiting = false;
        while (true) {
            long offset = node.replicationLog().offset();
            List<ReplicaInfo> behind = node.master().replicas().stream()
                    .filter(r -> r.state() == ReplicaSession.State.ONLINE && r.ackOffset() < offset)
                    .toList();
            if (behind.isEmpty()) {
                if (waiting) {
                    log.info("Shutdown: every online replica acked offset {}", offset);
                }
                return;
            }
            if (!waiting) {
                log.info("Shutdown: client writes refused; waiting up to {} (replcache.replication.shutdown-timeout) "
                        + "for {} replica(s) to ack offset {}", settings.shutdownReplicaWait(), behind.size(), offset);
                waiting = true;
            }
            if (System.nanoTime() >= deadline) {
                log.warn("Shutdown: {} replica(s) had not acked offset {} after {}: {}; they resync when they "
                        + "reconnect", behind.size(), offset, settings.shutdownReplicaWait(),
                        behind.stream().map(r -> r.id() + "@" + r.ackOffset()).toList());
                return;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Clean shutdown, last step (after the servers stopped): the final save, bounded by
     * {@code shutdownTimeout} (it waits for a save already running first), then, on a master whose
     * stream ended at the saved offset, the clean-shutdown marker.
     */
    void shutdown() {
        synchronized (this) {
            closing = true;
            if (intervalTask != null) {
                intervalTask.cancel(false);
                intervalTask = null;
            }
        }
        try {
            if (!settings.onShutdown()) {
                log.info("Shutdown: not saving {} (replcache.snapshot.on-shutdown=false)", dump.path());
                return;
            }
            Future<Saved> done;
            try {
                done = saver.submit(() -> doSave("shutdown"));
            } catch (RejectedExecutionException closed) {
                return;
            }
            try {
                markIfFinal(done.get(settings.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS));
            } catch (TimeoutException e) {
                log.error("Shutdown: the save of {} did not finish within {} (replcache.snapshot.shutdown-timeout) "
                        + "and is abandoned; the file keeps its previous contents", dump.path(), settings.shutdownTimeout());
                KeyspaceSnapshot running = inFlight;
                if (running != null) {
                    running.close(); // the writer's next segment fails, and it removes its temporary file
                }
                done.cancel(true);
            } catch (ExecutionException e) {
                log.error("Shutdown: the save of {} failed: {}", dump.path(), e.getCause().toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                done.cancel(true);
            }
        } finally {
            saver.shutdown();
            try {
                if (!saver.awaitTermination(5, TimeUnit.SECONDS)) {
                    saver.shutdownNow();
                }
            } catch (InterruptedException e) {
                saver.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * The shutdown save is exactly the node's position: say so beside the file, with the replId2
     * the file cannot hold; from a master it also holds all it ever produced under its id.
     */
    private void markIfFinal(Saved s) {
        if (!writesStopped) {
            return;
        }
        boolean master = "master".equals(node.role());
        PsyncDecision.History h = node.replicationLog().history();
        if (!h.replId().value().equals(s.replId()) || h.masterOffset() != s.offset()) {
            log.warn("Shutdown: the stream moved past the save (now at offset {} of {}); the restarted master will "
                    + "start a new replId", h.masterOffset(), h.replId());
            return;
        }
        try {
            dump.markCleanShutdown(s.replId(), s.offset(), Long.parseUnsignedLong(s.checksum(), 16), h.replId2(),
                    h.secondReplOffset(), master);
        } catch (IOException e) {
            log.warn("Shutdown: could not write the clean-shutdown marker beside {}: {}; the restarted master will "
                    + "start a new replId", dump.path(), e.toString());
        }
    }

    @Override
    public void close() {
        closing = true;
        saver.shutdownNow();
    }
}
