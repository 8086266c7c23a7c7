package dev.replcache.replication;

import dev.replcache.keyspace.CommandEntry;
import dev.replcache.keyspace.KeyspaceException;
import dev.replcache.keyspace.MillisClock;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;
import java.util.zip.CRC32C;

/**
 * The replica side of replication: a replica's link to its master, as a state machine driven
 * by calls. The transport reports the stream's life ({@link #onConnected}, {@link #onMessage},
 * {@link #onDisconnected}) and time ({@link #tick}); each call returns a {@link Reaction}: the
 * messages to send and, when the link must go, why. The link applies the stream to the dataset
 * through the {@link Dataset} port and never deletes anything by its own clock.
 *
 * <p>Not thread-safe: the transport calls it from one thread at a time (the link's). Only the
 * read-only views ({@link #state()}, {@link #syncProgress()}, the counters) may be read from
 * other threads.
 */
public final class MasterLink {

    /** The link's state, reported as {@code linkStatus}. */
    public enum State {
        /** Not connected; reconnects after a backoff. */
        DOWN,
        /** Opening the stream. */
        CONNECTING,
        /** Hello and PSYNC sent; waiting for CONTINUE or FULLRESYNC. */
        HANDSHAKE,
        /** Full resync: storing the master's snapshot chunks. */
        RECEIVING_SNAPSHOT,
        /** Full resync: loading the stored snapshot while the old data still serves reads. */
        LOADING_SNAPSHOT,
        /** Following the stream. */
        STREAMING
    }

    /** What the replica's dataset must do for the link (the node: keyspace and data directory). */
    public interface Dataset {
        /** Applies one entry of the stream (the keyspace logs it to the replica's own stream). */
        void apply(CommandEntry entry);

        /** Keys held now (logically expired ones included): what a full resync would throw away. */
        long keyCount();

        /** A full resync starts: open temporary storage for the snapshot. */
        void beginSnapshot(String snapshotId);

        /**
         * A full resync of about {@code sizeEstimate} bytes starts: open temporary storage for it,
         * refusing (with an exception naming the shortfall) when it cannot hold that much.
         */
        default void beginSnapshot(String snapshotId, long sizeEstimate) {
            beginSnapshot(snapshotId);
        }

        /** Appends a verified chunk to the temporary storage. */
        void writeSnapshotChunk(byte[] data);

        /** Throws away the temporary storage (bad chunk, link lost). */
        void abortSnapshot();

        /**
         * The snapshot is complete and verified: make it durable, load it into a new dataset while
         * the old one keeps serving reads, and put it in service as the version
         * {@code (replId, offset)} of the history: the swap and {@link ReplicationLog#resetTo} in
         * one step, so that no reader sees the new data with the old history or the reverse.
         *
         * @throws RuntimeException when it cannot be loaded; the link drops and retries
         */
        void loadSnapshot(ReplicationId replId, long offset);
    }

    /** Messages to send, and a reason to drop the link (null to keep it). */
    public record Reaction(List<ReplicaMessage> send, String dropReason) {
        static final Reaction NONE = new Reaction(List.of(), null);

        static Reaction send(ReplicaMessage... messages) {
            return new Reaction(List.of(messages), null);
        }

        static Reaction drop(String reason) {
            return new Reaction(List.of(), reason);
        }
    }

    /** Full-sync progress, for {@code /v1/replication}. */
    public record SyncProgress(boolean inProgress, long bytesReceived, long bytesTotal, long startedAtMs) {
    }

    private final ReplicationLog log;
    private final Dataset dataset;
    private final ReplicaConfig config;
    private final MillisClock clock;
    private final RandomGenerator random;
    private final String replicaId;
    private final java.util.function.Supplier<String> announcedAddress;
    /** Our RESP port for Hello (0 = none); set by the node once its RESP server listens. */
    private volatile java.util.function.IntSupplier respPort = () -> 0;

    // Written by the link's thread only; volatile so that views (operators, health) can read them
    // from other threads without waiting for the link, which may be busy loading a snapshot.
    private volatile State state = State.DOWN;
    private StreamDecoder decoder;
    private long lastHeardMs;
    private long lastAckMs;
    private long nextConnectAtMs;
    private int failedAttempts;
    private volatile String lastDropReason;
    /**
     * Our dataset no longer matches the stream (an entry that does not fit it, a malformed or
     * non-canonical entry, offsets that disagree after applying): continuing at our offset would
     * fail the same way forever, so the next PSYNC asks for a full resync, and until it is done
     * the replica is not ready.
     */
    private volatile String diverged;
    /** The last drop was our own storage failing (a full disk): retry late, not at once. */
    private boolean storageFailed;
    private volatile long masterOffsetSeen = -1;
    private volatile long fullSyncs;
    private volatile long partialSyncs;
    private volatile boolean everSynced;
    /** Why the last full resync offered was refused (no silent wipe), null when none was. */
    private volatile String refusedFullResync;
    private volatile long refusedFullResyncs;
    /** Coordinated failover: our first PSYNC hands the master role to the node we connect to. */
    private volatile boolean failoverPending;
    private volatile java.util.function.LongSupplier epochFloor = () -> -1;
    private volatile LeaseEpoch masterLease = LeaseEpoch.NONE;
    private volatile long historyEpoch = -1;
    /** With failoverPending: the target's handover key, which proves to it that we are its master. */
    private volatile String failoverKey = "";
    /**
     * The target refused the failover (it did not take over): the link asks no more, so that no
     * later answer can make us its replica after the node became the master again.
     */
    private volatile String failoverRefused;
    /** Our secret for this link, sent in Hello: only the master we follow may hand its role over to us. */
    private final String handoverKey;
    private volatile long fullSyncBytes;
    private volatile long fullSyncMillis;
    private volatile long lastFullSyncMillis = -1;
    /** Whether our log's (replId, offset) is worth offering for a partial resync. */
    private final boolean hasHistory;

    // Full resync in progress.
    private ReplicationId syncReplId;
    private long syncOffset;
    private String snapshotId;
    private long expectedSeq;
    private volatile long bytesReceived;
    private volatile long bytesTotal;
    private volatile long syncStartedMs;
    private final CRC32C wholeCrc = new CRC32C();

    /**
     * @param hasHistory true when our dataset is a version of some history worth continuing (a
     *                   master turned replica, a replica with data); false for a node that starts
     *                   empty, which asks with {@code ?} as Redis does
     */
    public MasterLink(ReplicationLog log, Dataset dataset, ReplicaConfig config, MillisClock clock,
                      RandomGenerator random, String replicaId, java.util.function.Supplier<String> announcedAddress,
                      boolean hasHistory) {
        this(log, dataset, config, clock, random, replicaId, announcedAddress, hasHistory,
                Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong()));
    }

    /**
     * @param handoverKey this link's secret (sent in Hello; a coordinated failover onto this node
     *                    must present it), unpredictable: the node makes it with a SecureRandom
     */
    public MasterLink(ReplicationLog log, Dataset dataset, ReplicaConfig config, MillisClock clock,
                      RandomGenerator random, String replicaId, java.util.function.Supplier<String> announcedAddress,
                      boolean hasHistory, String handoverKey) {
        this.handoverKey = Objects.requireNonNull(handoverKey, "handoverKey");
        if (handoverKey.isEmpty()) {
            throw new IllegalArgumentException("the handover key must not be empty");
        }
        this.hasHistory = hasHistory;
        this.log = Objects.requireNonNull(log, "log");
        this.dataset = Objects.requireNonNull(dataset, "dataset");
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
        this.replicaId = Objects.requireNonNull(replicaId, "replicaId");
        this.announcedAddress = Objects.requireNonNull(announcedAddress, "announcedAddress");
        this.nextConnectAtMs = clock.millis();
    }

    public State state() {
        return state;
    }

    /** Where our Redis protocol server listens, announced in Hello (Redis's REPLCONF listening-port). */
    public void setRespPort(java.util.function.IntSupplier respPort) {
        this.respPort = Objects.requireNonNull(respPort, "respPort");
    }

    /** True once a sync (full or partial) completed since this link was made: the replica is ready. */
    public boolean everSynced() {
        return everSynced;
    }

    public String lastDropReason() {
        return lastDropReason;
    }

    /** Why the last full resync was refused to protect our data, or null. */
    public String refusedFullResync() {
        return refusedFullResync;
    }

    public long refusedFullResyncs() {
        return refusedFullResyncs;
    }

    /**
     * Coordinated failover, before the first connect: our PSYNC asks the node we connect to (our
     * replica until now) to take over, and asks again after a lost stream (the target may have
     * taken over already: it then just continues us) until it answers or the coordinator gives up.
     */
    public void startFailover(String targetHandoverKey) {
        if (state != State.DOWN || everSynced) {
            throw new IllegalStateException("a failover handshake must be the link's first");
        }
        failoverKey = Objects.requireNonNull(targetHandoverKey, "targetHandoverKey");
        failoverPending = true;
    }

    /** This link's secret, which a master handing its role over to this node must present. */
    public String handoverKey() {
        return handoverKey;
    }

    /** True from {@link #startFailover(String)} until the new master answered the PSYNC. */
    public boolean failoverPending() {
        return failoverPending;
    }

    /** The failover handshake's answer so far: took over, refused (final), or none yet. */
    public Failover.Answer failoverAnswer() {
        if (failoverRefused != null) {
            return Failover.Answer.REFUSED;
        }
        return failoverPending ? Failover.Answer.NONE : Failover.Answer.TOOK_OVER;
    }

    /** Why the target refused the failover, or null. */
    public String failoverRefused() {
        return failoverRefused;
    }

    /** The master's offset as last heard (Ping or Entries), -1 before. */
    public long masterOffsetSeen() {
        return masterOffsetSeen;
    }

    public long fullSyncs() {
        return fullSyncs;
    }

    public long partialSyncs() {
        return partialSyncs;
    }

    /** Snapshot bytes of the completed full syncs (metrics). */
    public long fullSyncBytes() {
        return fullSyncBytes;
    }

    /** Time from FULLRESYNC to the snapshot loaded, summed over the completed full syncs (metrics). */
    public long fullSyncMillis() {
        return fullSyncMillis;
    }

    /** How long the last completed full sync took, -1 before one completed. */
    public long lastFullSyncMillis() {
        return lastFullSyncMillis;
    }

    public SyncProgress syncProgress() {
        boolean inProgress = state == State.RECEIVING_SNAPSHOT || state == State.LOADING_SNAPSHOT;
        return new SyncProgress(inProgress, inProgress ? bytesReceived : 0, inProgress ? bytesTotal : 0,
                inProgress ? syncStartedMs : -1);
    }

    /** True when the transport should open a stream now (DOWN and the backoff has passed). */
    public boolean shouldConnect() {
        if (state == State.DOWN && failoverRefused == null && clock.millis() >= nextConnectAtMs) {
            state = State.CONNECTING;
            return true;
        }
        return false;
    }

    /** The stream is open: introduce ourselves and ask to continue our history where we are. */
    public Reaction onConnected() {
        state = State.HANDSHAKE;
        lastHeardMs = clock.millis();
        return Reaction.send(
                new ReplicaMessage.Hello(replicaId, Objects.requireNonNullElse(announcedAddress.get(), ""), config.authToken(),
                        handoverKey, respPort.getAsInt()),
                resumable()
                        ? new ReplicaMessage.Psync(log.replId(), log.offset(), failoverPending,
                                failoverPending ? failoverKey : "")
                        : new ReplicaMessage.Psync(ReplicationId.NONE, -1));
    }

    /** Whether our (replId, offset) is worth offering: a history of ours that still fits our data. */
    private boolean resumable() {
        return diverged == null && (hasHistory || everSynced);
    }

    /**
     * The lowest lease epoch this link accepts from its master: the highest this node has seen.
     * A master whose stream carries an older one was deposed; the link leaves it.
     */
    public void setEpochFloor(java.util.function.LongSupplier floor) {
        this.epochFloor = Objects.requireNonNull(floor, "floor");
    }

    /**
     * The lease epoch of the last entry this node held when the link began (-1 when unknown): a
     * master elected in a newer epoch may take back writes past the history it shares with us.
     */
    public void setHistoryEpoch(long epoch) {
        this.historyEpoch = epoch;
    }

    /** The lease epoch the master's stream carried last, {@link LeaseEpoch#NONE} before any. */
    public LeaseEpoch masterLease() {
        return masterLease;
    }

    public Reaction onMessage(MasterMessage message) {
        lastHeardMs = clock.millis();
        LeaseEpoch lease = message.lease();
        long floor = epochFloor.getAsLong();
        if (lease.isNone() && floor >= 0
                && (message instanceof MasterMessage.Continue || message instanceof MasterMessage.FullResync)) {
            // Under failover.mode=lease only the holder (or a failover's target, which carries its
            // old master's lease until the handover) is a master to follow: not a node that restarted.
            return Reaction.drop("stale master: it holds no lease, and this node has seen epoch " + floor);
        }
        if (!lease.isNone()) {
            if (lease.epoch() < floor) {
                return Reaction.drop("stale master: its stream is of lease epoch " + lease.epoch() + ", older than epoch "
                        + floor + " this node has seen");
            }
            masterLease = lease;
        }
        if (message instanceof MasterMessage.Continue c) {
            return onContinue(c);
        } else if (message instanceof MasterMessage.FullResync f) {
            return onFullResync(f);
        } else if (message instanceof MasterMessage.SnapshotChunk chunk) {
            return onChunk(chunk);
        } else if (message instanceof MasterMessage.SnapshotEnd end) {
            return onSnapshotEnd(end);
        } else if (message instanceof MasterMessage.Entries entries) {
            return onEntries(entries);
        } else if (message instanceof MasterMessage.GetAck) {
            return state == State.STREAMING ? ack() : Reaction.NONE;
        } else if (message instanceof MasterMessage.Ping ping) {
            masterOffsetSeen = Math.max(masterOffsetSeen, ping.masterOffset());
            return Reaction.NONE;
        }
        throw new AssertionError("unhandled master message " + message);
    }

    private Reaction onContinue(MasterMessage.Continue c) {
        if (state != State.HANDSHAKE) {
            return Reaction.drop("protocol: CONTINUE outside the handshake");
        }
        if (c.offset() != log.offset()) {
            return Reaction.drop("protocol: CONTINUE at offset " + c.offset() + " but we asked for " + log.offset());
        }
        // A promoted master continues our history under a new id: keep the old one as replId2.
        log.adoptNewId(c.replId());
        failoverPending = false;
        decoder = new StreamDecoder(c.offset(), config.maxFrameBytes());
        partialSyncs++;
        return streaming();
    }

    private Reaction onFullResync(MasterMessage.FullResync f) {
        if (state != State.HANDSHAKE) {
            return Reaction.drop("protocol: FULLRESYNC outside the handshake");
        }
        if (f.offset() < 0 || f.sizeEstimate() < 0) {
            return Reaction.drop("protocol: FULLRESYNC with offset " + f.offset() + " and size " + f.sizeEstimate());
        }
        String refusal = refuseRewindingResync(f);
        if (refusal == null) {
            refusal = refuseEmptyResync(f);
        }
        if (refusal != null) {
            refusedFullResync = refusal;
            refusedFullResyncs++;
            return Reaction.drop(refusal);
        }
        // In a failover, the new master answered: it took over even if it could not continue us.
        failoverPending = false;
        state = State.RECEIVING_SNAPSHOT;
        syncReplId = f.replId();
        syncOffset = f.offset();
        snapshotId = f.snapshotId();
        expectedSeq = 0;
        bytesReceived = 0;
        bytesTotal = f.sizeEstimate();
        syncStartedMs = clock.millis();
        wholeCrc.reset();
        try {
            dataset.beginSnapshot(snapshotId, bytesTotal);
        } catch (RuntimeException e) {
            return storageFailure(e);
        }
        return Reaction.NONE;
    }

    /**
     * No silent rewind: a master whose history parts from ours below our offset (it holds our
     * history only up to there) would take back writes every replica of ours holds,
     * WAIT-acknowledged ones included: a master restarted after a crash from an older dump (it
     * continues the dump's replId as replId2, up to the dump's offset), a lagging node promoted
     * over us, or the master we were promoted from. Only the operator may allow that. A replica without a history worth offering (a
     * fresh one, or one whose data diverged from the stream) has nothing to protect.
     */
    private String refuseRewindingResync(MasterMessage.FullResync f) {
        if (config.allowRewindingResync() || !resumable()) {
            return null;
        }
        long shared = sharedHistory(f);
        long ours = log.offset();
        if (shared < 0 || shared >= ours) {
            return null; // another history (the wipe guard below judges it), or all of ours is there
        }
        if (!f.lease().isNone() && f.lease().epoch() > historyEpoch) {
            // The master was elected after the epoch of our last entry: what we hold past the shared
            // point is a deposed master's, which the election (the better candidates) did not keep.
            return null;
        }
        return "refused full resync: the master (replId " + f.replId() + ") holds our history " + log.replId()
                + " only up to offset " + shared + " and we hold it up to " + ours + "; taking it would drop the "
                + (ours - shared) + " bytes of writes past that (a master restarted from an older dump, or a lagging "
                + "replica promoted); set replcache.replication.allow-rewinding-resync=true to allow it";
    }

    /**
     * How far the master's history (its id from {@code secondReplOffset} to its offset, and its
     * replId2 before that) contains ours (our replId2 up to our secondReplOffset, then our id up to
     * our offset): the offset where the two part, or -1 when they share nothing.
     */
    private long sharedHistory(MasterMessage.FullResync f) {
        ReplicationId ours = log.replId();
        ReplicationId ours2 = log.replId2();
        boolean theirs2 = !f.replId2().equals(ReplicationId.NONE) && f.secondReplOffset() >= 0;
        boolean have2 = !ours2.equals(ReplicationId.NONE) && log.secondReplOffset() >= 0;
        long o = log.offset();
        if (f.replId().equals(ours)) {
            return Math.min(o, f.offset()); // it continues our current history
        }
        if (theirs2 && f.replId2().equals(ours)) {
            return Math.min(o, f.secondReplOffset()); // it was promoted from our current history
        }
        if (have2 && f.replId().equals(ours2)) {
            return Math.min(log.secondReplOffset(), f.offset()); // it is on the history we were promoted from
        }
        if (have2 && theirs2 && f.replId2().equals(ours2)) {
            return Math.min(log.secondReplOffset(), f.secondReplOffset()); // both were promoted from one history
        }
        return -1;
    }

    /**
     * No silent wipe: a master of another history with an empty dataset (one that restarted
     * without its data, or a fresh node named by mistake), or one holding a tiny share of our keys
     * ({@code min-resync-keys-ratio}), must not replace a replica's data, unless the operator
     * allows it.
     */
    private String refuseEmptyResync(MasterMessage.FullResync f) {
        if (config.allowEmptyResync()) {
            return null;
        }
        long ours = dataset.keyCount();
        boolean tiny = f.keyCount() >= 0 && f.keyCount() < ours * config.minResyncKeysRatio(); // -1: unknown
        if (ours == 0 || (f.keyCount() != 0 && !tiny)) {
            return null;
        }
        if (sameLineage(f.replId()) || (!f.replId2().equals(ReplicationId.NONE) && sameLineage(f.replId2()))) {
            return null; // our own history, or the one the master was promoted from: what it holds is real
        }
        if (f.keyCount() == 0) {
            return "refused full resync: the master (replId " + f.replId() + ") has an empty dataset and would delete our "
                    + ours + " keys; set replcache.replication.allow-empty-resync=true to allow it";
        }
        return "refused full resync: the master (replId " + f.replId() + ") of another history holds " + f.keyCount()
                + " keys and would replace our " + ours + " (under replcache.replication.min-resync-keys-ratio="
                + config.minResyncKeysRatio() + " of them); set replcache.replication.allow-empty-resync=true to allow it";
    }

    private boolean sameLineage(ReplicationId id) {
        return id.equals(log.replId()) || id.equals(log.replId2());
    }

    private Reaction onChunk(MasterMessage.SnapshotChunk chunk) {
        if (state != State.RECEIVING_SNAPSHOT || !chunk.snapshotId().equals(snapshotId)) {
            return Reaction.drop("protocol: snapshot chunk outside a full resync");
        }
        if (chunk.seq() != expectedSeq) {
            return Reaction.drop("snapshot chunk " + chunk.seq() + " arrived, expected " + expectedSeq);
        }
        CRC32C crc = new CRC32C();
        crc.update(chunk.data());
        if ((int) crc.getValue() != chunk.crc32c()) {
            return Reaction.drop("corrupted snapshot chunk " + chunk.seq() + ": CRC32C mismatch");
        }
        if (bytesReceived + chunk.data().length > bytesTotal) {
            return Reaction.drop("snapshot is larger than the announced " + bytesTotal + " bytes");
        }
        try {
            dataset.writeSnapshotChunk(chunk.data());
        } catch (RuntimeException e) {
            return storageFailure(e);
        }
        wholeCrc.update(chunk.data());
        bytesReceived += chunk.data().length;
        expectedSeq++;
        return Reaction.NONE;
    }

    private Reaction onSnapshotEnd(MasterMessage.SnapshotEnd end) {
        if (state != State.RECEIVING_SNAPSHOT || !end.snapshotId().equals(snapshotId)) {
            return Reaction.drop("protocol: snapshot end outside a full resync");
        }
        if (end.totalBytes() != bytesReceived || end.totalBytes() != bytesTotal) {
            return Reaction.drop("snapshot has " + bytesReceived + " bytes, the master says " + end.totalBytes());
        }
        if ((int) wholeCrc.getValue() != end.crc32c()) {
            return Reaction.drop("snapshot checksum mismatch");
        }
        state = State.LOADING_SNAPSHOT;
        try {
            dataset.loadSnapshot(syncReplId, syncOffset);
        } catch (RuntimeException e) {
            return Reaction.drop("snapshot could not be loaded: " + e.getMessage());
        }
        decoder = new StreamDecoder(syncOffset, config.maxFrameBytes());
        diverged = null;
        fullSyncs++;
        long took = Math.max(0, clock.millis() - syncStartedMs);
        lastFullSyncMillis = took;
        fullSyncMillis += took;
        fullSyncBytes += bytesReceived;
        return streaming();
    }

    private Reaction streaming() {
        state = State.STREAMING;
        everSynced = true;
        refusedFullResync = null;
        failedAttempts = 0;
        return ack();
    }

    private Reaction onEntries(MasterMessage.Entries entries) {
        if (state != State.STREAMING) {
            return Reaction.drop("protocol: entries before the sync completed");
        }
        if (!entries.intact()) {
            // Damaged on the way: nothing of it is applied, and a new stream resumes at our offset.
            return Reaction.drop("corrupted entries batch at offset " + entries.startOffset() + ": CRC32C mismatch");
        }
        List<StreamDecoder.Decoded> decoded;
        try {
            decoded = decoder.accept(entries.startOffset(), entries.data());
        } catch (StreamDecoder.OutOfOrderBatch e) {
            return Reaction.drop(e.getMessage()); // a new stream resumes at our offset
        } catch (StreamDecoder.StreamException e) {
            return diverge(e.getMessage());
        }
        masterOffsetSeen = Math.max(masterOffsetSeen, entries.startOffset() + entries.data().length);
        for (StreamDecoder.Decoded d : decoded) {
            try {
                dataset.apply(d.entry());
            } catch (KeyspaceException e) {
                return diverge("stream does not fit the dataset (" + e.getMessage() + ")");
            }
            // Invariant: our log is byte for byte the master's, so offsets agree after each entry.
            if (log.offset() != d.endOffset()) {
                return diverge("offset " + log.offset() + " after applying an entry, the stream says " + d.endOffset());
            }
        }
        return Reaction.NONE;
    }

    private Reaction diverge(String why) {
        diverged = why;
        return Reaction.drop(why + ": the data diverged from the stream, full resync next");
    }

    /** Why our data diverged from the master's stream, until a full resync replaces it; else null. */
    public String diverged() {
        return diverged;
    }

    /**
     * Our own storage failed (a full disk, a read-only data directory): the link drops with the
     * cause in its reason, and waits {@code reconnect-max-delay} before it asks again, since a
     * resync at once would only fill the disk again.
     */
    private Reaction storageFailure(RuntimeException e) {
        storageFailed = true;
        StringBuilder reason = new StringBuilder("cannot store the snapshot: ").append(e.getMessage());
        Throwable c = e.getCause();
        for (int depth = 0; c != null && depth < 5; depth++, c = c.getCause()) {
            if (c.getMessage() != null && reason.indexOf(c.getMessage()) < 0) {
                reason.append(": ").append(c.getMessage()); // the OS's words: "No space left on device"
            }
        }
        return Reaction.drop(reason.toString());
    }

    private Reaction ack() {
        lastAckMs = clock.millis();
        return Reaction.send(new ReplicaMessage.Ack(log.offset()));
    }

    /** The stream ended or failed: back to DOWN, reconnect after a capped exponential backoff. */
    public void onDisconnected(String reason) {
        if (state == State.RECEIVING_SNAPSHOT) {
            dataset.abortSnapshot();
        }
        if (decoder != null) {
            decoder.discardPending();
        }
        lastDropReason = reason;
        if (failoverPending && reason != null && reason.contains(ReplicationMaster.FAILOVER_REFUSED)) {
            failoverRefused = reason;
        }
        state = State.DOWN;
        failedAttempts++;
        long base = config.reconnectMinMs() << Math.min(20, failedAttempts - 1);
        long delay = storageFailed ? config.reconnectMaxMs() : Math.min(config.reconnectMaxMs(), base);
        storageFailed = false;
        // Jitter so that replicas of a restarted master do not all come back in the same millisecond.
        delay += random.nextLong(Math.max(1, delay / 5));
        nextConnectAtMs = clock.millis() + delay;
    }

    /** When the next connect attempt may happen. */
    public long nextConnectAtMs() {
        return nextConnectAtMs;
    }

    /** Time passes: periodic acks, and a dead link detected by silence. */
    public Reaction tick() {
        long now = clock.millis();
        if (state == State.DOWN || state == State.CONNECTING) {
            return Reaction.NONE;
        }
        if (now - lastHeardMs > config.timeoutMs()) {
            return Reaction.drop("timeout: nothing heard from the master for " + (now - lastHeardMs) + " ms");
        }
        if (state == State.STREAMING && now - lastAckMs >= config.ackIntervalMs()) {
            return ack();
        }
        return Reaction.NONE;
    }
}
