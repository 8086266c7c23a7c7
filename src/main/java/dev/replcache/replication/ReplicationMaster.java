package dev.replcache.replication;

import dev.replcache.keyspace.MillisClock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.zip.CRC32C;

/**
 * The master side of replication, as a state machine driven by calls (etcd raft's style): the
 * transport opens a {@link ReplicaSession} per Sync stream, feeds it the replica's messages with
 * {@link #onMessage}, and asks {@link #poll} for the next message whenever the stream can take
 * one (gRPC's {@code isReady}). Nothing is buffered per replica: entries are read from the
 * backlog at the replica's offset and snapshot chunks from the snapshot, only when the replica
 * can take them, so a slow replica costs no memory; one that falls out of the backlog is
 * dropped and will resync.
 *
 * <p>Thread-safe (one lock). {@link #poll} for a given session is called by one thread at a time.
 */
public final class ReplicationMaster {

    /** How the close reason of a refused failover handshake starts; the old master's link knows it by that. */
    public static final String FAILOVER_REFUSED = "failover refused: ";
    /** The close reason of a handshake the target did not take, without proof that it never did: not a refusal. */
    public static final String FAILOVER_NOT_TAKEN = "failover not taken: ";

    /** What to do with a stream next. */
    public record Next(MasterMessage message, String closeReason) {
        static final Next IDLE = new Next(null, null);

        static Next send(MasterMessage m) {
            return new Next(m, null);
        }

        static Next close(String reason) {
            return new Next(null, reason);
        }

        public boolean isIdle() {
            return message == null && closeReason == null;
        }
    }

    /**
     * The node's side of a coordinated failover: our master, paused at {@code (replId, offset)},
     * hands its role over to us.
     */
    public interface FailoverTarget {
        /**
         * Promote this node if its history is exactly {@code (replId, offset)}.
         *
         * @return null once promoted (or when this very handover promoted it before), else why not
         */
        Refusal takeOver(ReplicationId replId, long offset, String handoverKey);
    }

    /**
     * Why a node did not take over.
     *
     * @param proof true when the refusal proves the node is no master (a replica, of the sender or
     *              another node): the old master may become the master again without making two. False
     *              when it is a master that may have taken over earlier and lost the memory of it
     *              (a restart drops replId2): the old master must not revert, and asks again
     */
    public record Refusal(String reason, boolean proof) {
    }

    /** A WAIT: completes with the count of replicas that acked {@code offset}, once there are enough. */
    private record AckWaiter(long offset, int replicas, CompletableFuture<Integer> done) {
    }

    private final ReplicationLog log;
    private final SnapshotSource snapshots;
    private final MasterConfig config;
    private final MillisClock clock;
    private final String authToken;
    private final ReplicationStats stats = new ReplicationStats();
    private final Map<String, ReplicaSession> sessions = new LinkedHashMap<>();
    /** The newest snapshot, shareable while the backlog still holds the stream from its offset. */
    private ReplicaSession.SnapshotTransfer current;
    private final List<ReplicaSession.SnapshotTransfer> retired = new ArrayList<>();
    private long snapshotCounter;
    private final List<AckWaiter> waiters = new ArrayList<>();
    /** Whether this node may serve syncs now: a replica only while it follows its own master (Redis's NOMASTERLINK). */
    private volatile BooleanSupplier upstreamInSync = () -> true;
    private volatile FailoverTarget failoverTarget =
            (id, offset, key) -> new Refusal("this node does not take part in failovers", true);
    private volatile java.util.function.Supplier<LeaseEpoch> leaseEpoch = () -> LeaseEpoch.NONE;
    /** Throttle policy: the delay for a client write now, refreshed on acks and ticks. */
    private volatile long throttleDelayMs;

    /**
     * @param authToken shared secret replicas must present in Hello; null or empty = none required
     */
    public ReplicationMaster(ReplicationLog log, SnapshotSource snapshots, MasterConfig config, MillisClock clock,
                             String authToken) {
        this.log = Objects.requireNonNull(log, "log");
        this.snapshots = Objects.requireNonNull(snapshots, "snapshots");
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.authToken = authToken == null ? "" : authToken;
    }

    public ReplicationStats stats() {
        return stats;
    }

    public ReplicationLog log() {
        return log;
    }

    public MasterConfig config() {
        return config;
    }

    /**
     * A replica serves its own replicas (cascading) only while it follows its master: until then
     * its history may be about to be replaced, so syncs are refused and retried.
     */
    public void setUpstreamInSync(BooleanSupplier inSync) {
        this.upstreamInSync = Objects.requireNonNull(inSync, "inSync");
    }

    public void setFailoverTarget(FailoverTarget target) {
        this.failoverTarget = Objects.requireNonNull(target, "target");
    }

    /**
     * The lease epoch this node's stream carries ({@link LeaseEpoch#NONE} without one): read for
     * every handshake answer and ping, so a replica can refuse a deposed master.
     */
    public void setLeaseEpoch(java.util.function.Supplier<LeaseEpoch> epoch) {
        this.leaseEpoch = Objects.requireNonNull(epoch, "epoch");
    }

    /**
     * A replica opened a Sync stream.
     *
     * @return its session, or null when {@link MasterConfig#maxSessions()} streams are open already
     *         (each can hold a message and the transport's buffer: the cap bounds their memory)
     */
    public synchronized ReplicaSession open(String sessionId) {
        if (sessions.size() >= config.maxSessions()) {
            return null;
        }
        ReplicaSession s = new ReplicaSession(sessionId, clock.millis());
        sessions.put(sessionId, s);
        return s;
    }


    /** The stream ended, whoever ended it. */
    public synchronized void close(ReplicaSession s) {
        sessions.remove(s.sessionId);
        detach(s);
        updatePin();
    }

    /**
     * A message from a replica. Protocol violations (PSYNC before Hello, an ack beyond our
     * offset or going back, a wrong token) mark the session for closing with the reason.
     */
    public void onMessage(ReplicaSession s, ReplicaMessage message) {
        if (message instanceof ReplicaMessage.Psync psync && psync.failover() && !takeOverForFailover(s, psync)) {
            return;
        }
        List<CompletableFuture<Integer>> satisfied;
        List<Integer> counts = new ArrayList<>();
        synchronized (this) {
            onMessageLocked(s, message);
            satisfied = satisfiedWaiters(counts);
        }
        // Completed outside the lock: what waits on them (a client's response) runs right here.
        for (int i = 0; i < satisfied.size(); i++) {
            satisfied.get(i).complete(counts.get(i));
        }
    }

    /**
     * A PSYNC with FAILOVER: our master hands over. Checked here (the sender must have passed
     * Hello), then the node promotes itself outside our lock (promotion disconnects the other
     * replicas, which takes it); the PSYNC itself is then answered against the new history.
     */
    private boolean takeOverForFailover(ReplicaSession s, ReplicaMessage.Psync psync) {
        synchronized (this) {
            if (s.closeReason != null) {
                return false;
            }
            if (s.replicaId.isEmpty() || s.state != ReplicaSession.State.HANDSHAKE) {
                fail(s, "protocol: PSYNC must follow Hello, once");
                return false;
            }
        }
        Refusal refusal = failoverTarget.takeOver(psync.replId(), psync.offset(), psync.handoverKey());
        if (refusal != null) {
            synchronized (this) {
                fail(s, (refusal.proof() ? FAILOVER_REFUSED : FAILOVER_NOT_TAKEN) + refusal.reason());
            }
            return false;
        }
        return true;
    }

    private void onMessageLocked(ReplicaSession s, ReplicaMessage message) {
        if (s.closeReason != null) {
            return;
        }
        s.lastHeardMs = clock.millis();
        if (message instanceof ReplicaMessage.Hello hello) {
            String oversized = oversizedHelloField(hello);
            if (oversized != null) {
                // Before anything else: the fields go into logs and the topology, and the token is hashed.
                fail(s, oversized);
            } else if (s.state != ReplicaSession.State.HANDSHAKE || !s.replicaId.isEmpty()) {
                fail(s, "protocol: Hello sent twice");
            } else if (!authToken.isEmpty() && !java.security.MessageDigest.isEqual( // constant time: no timing oracle
                    authToken.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    (hello.authToken() == null ? "" : hello.authToken()).getBytes(java.nio.charset.StandardCharsets.UTF_8))) {
                fail(s, "unauthenticated: wrong or missing replication auth token");
            } else if (hello.replicaId() == null || hello.replicaId().isBlank()) {
                fail(s, "protocol: Hello without a replica id");
            } else {
                s.replicaId = hello.replicaId();
                s.address = hello.announcedAddress() == null ? "" : hello.announcedAddress();
                s.handoverKey = hello.handoverKey() == null ? "" : hello.handoverKey();
                s.respPort = hello.respPort();
                // One session per replica: its new stream ends the old one (half-open after a cut,
                // or a reconnect that came first), so WAIT and min-replicas count replicas, not streams.
                for (ReplicaSession other : sessions.values()) {
                    if (other != s && other.closeReason == null && other.replicaId.equals(s.replicaId)) {
                        fail(other, "replaced: replica " + s.replicaId + " opened a new stream");
                    }
                }
            }
        } else if (message instanceof ReplicaMessage.Psync psync) {
            if (s.replicaId.isEmpty() || s.state != ReplicaSession.State.HANDSHAKE) {
                fail(s, "protocol: PSYNC must follow Hello, once");
                return;
            }
            onPsync(s, psync);
        } else if (message instanceof ReplicaMessage.Ack ack) {
            if (s.replicaId.isEmpty()) {
                fail(s, "protocol: Ack before Hello");
                return;
            }
            if (s.state != ReplicaSession.State.ONLINE) {
                return; // acks during a full sync carry no information about this history
            }
            long masterOffset = log.offset();
            if (ack.offset() > masterOffset || ack.offset() < s.ackOffset) {
                fail(s, "protocol: ack of offset " + ack.offset() + " outside [" + s.ackOffset + ", " + masterOffset + "]");
                return;
            }
            s.ackOffset = ack.offset();
            s.acked = true;
            s.ackTimeMs = clock.millis();
            refreshThrottle();
        } else {
            throw new AssertionError("unhandled replica message " + message);
        }
    }

    /** The protocol error for the first Hello field over {@link MasterConfig#maxHelloFieldBytes}, or null. */
    private String oversizedHelloField(ReplicaMessage.Hello hello) {
        String[][] fields = {{"replica_id", hello.replicaId()}, {"announced_address", hello.announcedAddress()},
                {"auth_token", hello.authToken()}};
        for (String[] f : fields) {
            long bytes = f[1] == null ? 0 : utf8Length(f[1]);
            if (bytes > config.maxHelloFieldBytes()) {
                return "protocol: Hello field " + f[0] + " is " + bytes + " bytes, over the limit of "
                        + config.maxHelloFieldBytes() + " (replcache.replication.max-hello-field-size)";
            }
        }
        return null;
    }

    /** UTF-8 length without encoding: a 20 MiB field is measured, not copied. */
    private static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    private void onPsync(ReplicaSession s, ReplicaMessage.Psync psync) {
        if (!upstreamInSync.getAsBoolean()) {
            fail(s, "no master link: can't sync while not connected with my master (NOMASTERLINK)");
            return;
        }
        s.epoch = log.epoch(); // before the decision: a change in between fails the first read, never the data
        PsyncDecision.Result decision = PsyncDecision.decide(psync.replId(), psync.offset(), log.history());
        stats.recordDecision(decision);
        s.psync = psync;
        s.decision = decision;
        if (decision.isContinue()) {
            s.state = ReplicaSession.State.ONLINE;
            s.catchUpToOffset = log.offset();
            s.nextOffset = psync.offset();
            s.ackOffset = psync.offset();
            s.ackTimeMs = clock.millis();
            s.control.add(new MasterMessage.Continue(log.replId(), psync.offset(), leaseEpoch.get()));
            return;
        }
        s.fullSyncStartMs = clock.millis();
        ReplicaSession.SnapshotTransfer transfer = current;
        if (transfer == null || transfer.offset < 0 || !log.holds(transfer.offset) || emptyAndOutdated(transfer)) {
            transfer = startSnapshot();
            if (transfer == null) {
                fail(s, "snapshot could not be started");
                return;
            }
        }
        s.transfer = transfer;
        s.transferPosition = 0;
        s.transferSeq = 0;
        if (transfer.written) {
            beginSending(s, transfer);
        } else {
            // FULLRESYNC goes out once the snapshot is written, so that it can announce the size.
            s.state = ReplicaSession.State.WAIT_SNAPSHOT;
        }
        updatePin();
    }

    /**
     * A written snapshot with no keys, cut before writes that followed: shared, its FULLRESYNC would
     * announce an empty dataset although the stream after it fills the replica, and a replica with
     * data would refuse it (no silent wipe) on every retry. An empty dataset costs nothing to cut again.
     */
    private boolean emptyAndOutdated(ReplicaSession.SnapshotTransfer t) {
        return t.written && t.keyCount == 0 && t.offset != log.offset();
    }

    /**
     * Keeps the stream from the oldest snapshot offset a replica still needs, up to the sync
     * buffer limit; releases it when no full sync is in flight.
     */
    private void updatePin() {
        long oldest = Long.MAX_VALUE;
        for (ReplicaSession s : sessions.values()) {
            if (s.transfer != null && s.transfer.offset >= 0) {
                oldest = Math.min(oldest, s.transfer.offset);
            }
        }
        if (oldest == Long.MAX_VALUE) {
            log.unpin();
        } else {
            log.pin(oldest, config.syncBufferBytes());
        }
    }

    private void beginSending(ReplicaSession s, ReplicaSession.SnapshotTransfer transfer) {
        s.transfer = transfer;
        s.state = ReplicaSession.State.SEND_SNAPSHOT;
        // The keys the master holds now, not only the snapshot's: a shared snapshot may be older
        // than writes that the stream will bring after it.
        long keys = Math.max(transfer.keyCount, snapshots.datasetKeys());
        s.control.add(new MasterMessage.FullResync(log.replId(), transfer.offset, transfer.snapshotId, transfer.sizeBytes,
                keys, log.replId2(), log.secondReplOffset(), leaseEpoch.get()));
    }

    private ReplicaSession.SnapshotTransfer startSnapshot() {
        ReplicaSession.SnapshotTransfer replaced = current;
        if (replaced != null) {
            retired.add(replaced);
        }
        ReplicaSession.SnapshotTransfer t = new ReplicaSession.SnapshotTransfer("snapshot-" + (++snapshotCounter), -1);
        current = t;
        long offset;
        try {
            offset = snapshots.startSnapshot(t.snapshotId);
        } catch (RuntimeException e) {
            current = null;
            stats.recordAbandoned();
            moveWaiters(replaced, null);
            return null;
        }
        t.offset = offset;
        moveWaiters(replaced, t);
        return t;
    }

    /**
     * Replicas still waiting for a snapshot that was replaced before it was written would wait for
     * nothing (only the current snapshot is sent once written): they take the new one, or retry
     * when there is none.
     */
    private void moveWaiters(ReplicaSession.SnapshotTransfer replaced, ReplicaSession.SnapshotTransfer next) {
        if (replaced == null || replaced.written) {
            return;
        }
        for (ReplicaSession s : sessions.values()) {
            if (s.transfer == replaced && s.state == ReplicaSession.State.WAIT_SNAPSHOT) {
                if (next != null) {
                    s.transfer = next;
                } else {
                    fail(s, "snapshot could not be started");
                }
            }
        }
    }

    /**
     * The snapshot is on storage and can be sent.
     *
     * @return sessions that now have something to send: drain them
     */
    public synchronized List<ReplicaSession> snapshotWritten(String snapshotId, long sizeBytes, int crc32c, long keyCount) {
        ReplicaSession.SnapshotTransfer t = current;
        if (t == null || !t.snapshotId.equals(snapshotId)) {
            snapshots.delete(snapshotId); // nobody waits for it any more
            return List.of();
        }
        t.written = true;
        t.sizeBytes = sizeBytes;
        t.crc32c = crc32c;
        t.keyCount = keyCount;
        List<ReplicaSession> wake = new ArrayList<>();
        for (ReplicaSession s : sessions.values()) {
            if (s.transfer != null && s.transfer.snapshotId.equals(snapshotId)
                    && s.state == ReplicaSession.State.WAIT_SNAPSHOT) {
                beginSending(s, t);
                wake.add(s);
            }
        }
        return wake;
    }

    /** Writing the snapshot failed: the replicas waiting for it are dropped and will retry. */
    public synchronized void snapshotFailed(String snapshotId, String reason) {
        for (ReplicaSession s : sessions.values()) {
            if (s.transfer != null && s.transfer.snapshotId.equals(snapshotId)) {
                fail(s, "snapshot failed: " + reason);
                stats.recordAbandoned();
            }
        }
        if (current != null && current.snapshotId.equals(snapshotId)) {
            current = null;
        }
        snapshots.delete(snapshotId);
    }

    /**
     * The next message for a stream that can take one, or {@link Next#IDLE} when there is
     * nothing to send now, or a close with its reason.
     */
    public Next poll(ReplicaSession s) {
        ReplicaSession.SnapshotTransfer transfer;
        long position;
        int chunkLen;
        synchronized (this) {
            if (s.closeReason != null) {
                return Next.close(s.closeReason);
            }
            if (s.control.peek() instanceof MasterMessage.GetAck && s.state == ReplicaSession.State.ONLINE
                    && s.nextOffset < s.getAckAfterOffset) {
                return nextEntries(s); // the writes the ack must cover first (never IDLE: there are some)
            }
            MasterMessage control = s.control.poll();
            if (control != null) {
                if (control instanceof MasterMessage.Ping) {
                    s.lastPingMs = clock.millis();
                }
                return Next.send(control);
            }
            switch (s.state) {
                case HANDSHAKE, WAIT_SNAPSHOT -> {
                    return Next.IDLE;
                }
                case ONLINE -> {
                    return nextEntries(s);
                }
                case SEND_SNAPSHOT -> {
                    transfer = s.transfer;
                    if (!log.holds(transfer.offset)) {
                        stats.recordAbandoned();
                        String reason = fail(s, "full sync abandoned: writes during the sync passed the sync buffer "
                                + "limit, and the stream from the snapshot's offset " + transfer.offset + " is lost");
                        return Next.close(reason);
                    }
                    position = s.transferPosition;
                    if (position >= transfer.sizeBytes) {
                        MasterMessage end = new MasterMessage.SnapshotEnd(transfer.snapshotId, transfer.sizeBytes,
                                transfer.crc32c);
                        s.state = ReplicaSession.State.ONLINE;
                        s.catchUpToOffset = log.offset();
                        s.nextOffset = transfer.offset;
                        // No ack yet: the replica has not loaded the snapshot. A WAIT must not count it
                        // before it says so (Redis too waits for the first REPLCONF ACK).
                        s.ackOffset = -1;
                        s.ackTimeMs = -1;
                        stats.recordFullSyncSent(clock.millis() - s.fullSyncStartMs);
                        detach(s);
                        updatePin();
                        return Next.send(end);
                    }
                    chunkLen = (int) Math.min(config.snapshotChunkBytes(), transfer.sizeBytes - position);
                }
                default -> throw new AssertionError(s.state);
            }
        }
        // Read the chunk outside the lock: it may touch the disk.
        byte[] data = new byte[chunkLen];
        int read = snapshots.read(transfer.snapshotId, position, data, chunkLen);
        synchronized (this) {
            if (read != chunkLen) {
                return Next.close(fail(s, "snapshot " + transfer.snapshotId + " is shorter than announced"));
            }
            CRC32C crc = new CRC32C();
            crc.update(data, 0, read);
            s.transferPosition = position + read;
            stats.recordSnapshotSent(read);
            return Next.send(new MasterMessage.SnapshotChunk(transfer.snapshotId, s.transferSeq++, data, (int) crc.getValue()));
        }
    }

    private Next nextEntries(ReplicaSession s) {
        long masterOffset = log.offset();
        if (s.nextOffset >= masterOffset) {
            return Next.IDLE;
        }
        byte[] data = log.read(s.epoch, s.nextOffset, config.entriesBatchBytes());
        if (data == null) {
            if (log.epoch() != s.epoch) {
                return Next.close(fail(s, "history changed: reconnect to learn the new replication id"));
            }
            return Next.close(fail(s, "replica fell behind the backlog: it needs offset " + s.nextOffset
                    + " but the backlog starts at " + log.backlogFirstOffset()));
        }
        long start = s.nextOffset;
        s.nextOffset += data.length;
        stats.recordEntriesSent(data.length);
        return Next.send(new MasterMessage.Entries(start, data));
    }

    /**
     * Time passes: heartbeats to queue and silent replicas to drop.
     *
     * @return sessions that now have something to send or must be closed: drain them
     */
    public synchronized List<ReplicaSession> tick() {
        long now = clock.millis();
        List<ReplicaSession> wake = new ArrayList<>();
        for (ReplicaSession s : sessions.values()) {
            if (s.closeReason != null) {
                wake.add(s);
            } else if (tooSlow(s, now)) {
                stats.recordSlowReplicaDisconnect();
                wake.add(s);
            } else if (s.psync == null) {
                // No Pings before the handshake: a stream that said nothing learns nothing.
                if (now - s.openedMs > config.handshakeTimeoutMs()) {
                    fail(s, "timeout: no Hello and PSYNC within " + config.handshakeTimeoutMs() + " ms");
                    wake.add(s);
                }
            } else if (now - s.lastHeardMs > config.timeoutMs()) {
                fail(s, "timeout: nothing heard from the replica for " + (now - s.lastHeardMs) + " ms");
                wake.add(s);
            } else if (now - s.lastPingMs >= config.pingIntervalMs() && s.control.isEmpty()) {
                s.lastPingMs = now;
                s.control.add(new MasterMessage.Ping(log.offset(), leaseEpoch.get()));
                if (s.state == ReplicaSession.State.ONLINE) {
                    s.control.add(new MasterMessage.GetAck());
                    s.getAckAfterOffset = log.offset();
                }
                wake.add(s);
            }
        }
        cleanUpSnapshots();
        refreshThrottle();
        return wake;
    }

    /** Disconnect policy: drops an online replica past the hard limit, or past the soft one for too long. */
    private boolean tooSlow(ReplicaSession s, long now) {
        SlowReplicaPolicy p = config.slowReplicas();
        if (p.mode() != SlowReplicaPolicy.Mode.DISCONNECT || s.state != ReplicaSession.State.ONLINE || s.ackOffset < 0) {
            return false;
        }
        // Lag past what the replica was given to catch up on when it went online (see catchUpToOffset).
        long lag = log.offset() - Math.max(s.ackOffset, s.catchUpToOffset);
        if (p.hardLimitBytes() > 0 && lag > p.hardLimitBytes()) {
            fail(s, "slow replica: " + lag + " bytes behind, over the hard limit of " + p.hardLimitBytes() + " bytes");
            return true;
        }
        if (p.softLimitBytes() > 0 && lag > p.softLimitBytes()) {
            if (s.overSoftLimitSinceMs < 0) {
                s.overSoftLimitSinceMs = now;
            } else if (now - s.overSoftLimitSinceMs >= p.softLimitMs()) {
                fail(s, "slow replica: over the soft limit of " + p.softLimitBytes() + " bytes for "
                        + (now - s.overSoftLimitSinceMs) + " ms (" + lag + " bytes behind)");
                return true;
            }
        } else {
            s.overSoftLimitSinceMs = -1;
        }
        return false;
    }

    private void refreshThrottle() {
        SlowReplicaPolicy p = config.slowReplicas();
        if (p.mode() != SlowReplicaPolicy.Mode.THROTTLE) {
            return;
        }
        long masterOffset = log.offset();
        long maxLag = 0;
        for (ReplicaSession s : sessions.values()) {
            if (s.state == ReplicaSession.State.ONLINE && s.ackOffset >= 0 && s.closeReason == null) {
                maxLag = Math.max(maxLag, masterOffset - s.ackOffset);
            }
        }
        throttleDelayMs = p.throttleDelayMs(maxLag);
    }

    /**
     * Throttle policy: how long a client write should be delayed now so that the slowest online
     * replica can catch up (0 under the disconnect policy or when every replica keeps up).
     */
    public long throttleDelayMs() {
        return throttleDelayMs;
    }

    // ------------------------------------------------------------------ WAIT and min-replicas

    /**
     * Replicas online that acked {@code offset} or more (Redis's {@code replicationCountAcksByOffset}):
     * with an Ack on their stream, as Redis counts only REPLCONF ACKs; the offset a PSYNC claimed
     * is not an ack (a peer could claim anything).
     */
    public synchronized int ackedCount(long offset) {
        int n = 0;
        for (ReplicaSession s : sessions.values()) {
            if (s.state == ReplicaSession.State.ONLINE && s.closeReason == null && s.acked && s.ackOffset >= offset) {
                n++;
            }
        }
        return n;
    }

    /**
     * WAIT: a future that completes with the number of replicas that acked {@code offset}, as soon
     * as at least {@code replicas} did. The caller bounds the wait: on its timeout it calls
     * {@link #cancelWait} and reports {@link #ackedCount}.
     */
    public synchronized CompletableFuture<Integer> awaitAcks(long offset, int replicas) {
        int n = ackedCount(offset);
        if (n >= replicas) {
            return CompletableFuture.completedFuture(n);
        }
        AckWaiter w = new AckWaiter(offset, replicas, new CompletableFuture<>());
        waiters.add(w);
        return w.done();
    }

    public synchronized void cancelWait(CompletableFuture<Integer> wait) {
        waiters.removeIf(w -> w.done() == wait);
    }

    /** Waits in progress (for metrics and tests). */
    public synchronized int waitingCount() {
        return waiters.size();
    }

    private List<CompletableFuture<Integer>> satisfiedWaiters(List<Integer> counts) {
        if (waiters.isEmpty()) {
            return List.of();
        }
        List<CompletableFuture<Integer>> done = new ArrayList<>();
        waiters.removeIf(w -> {
            int n = ackedCount(w.offset());
            if (n >= w.replicas()) {
                done.add(w.done());
                counts.add(n);
                return true;
            }
            return false;
        });
        return done;
    }

    /**
     * Asks every online replica to ack now (Redis sends {@code REPLCONF GETACK} for a WAIT).
     *
     * @return sessions with something to send: drain them
     */
    public synchronized List<ReplicaSession> requestAcks() {
        List<ReplicaSession> wake = new ArrayList<>();
        for (ReplicaSession s : sessions.values()) {
            if (s.state == ReplicaSession.State.ONLINE && s.closeReason == null) {
                // A GetAck still queued goes after the stream up to now, so it serves this request too.
                s.getAckAfterOffset = Math.max(s.getAckAfterOffset, log.offset());
                if (s.control.stream().noneMatch(m -> m instanceof MasterMessage.GetAck)) {
                    s.control.add(new MasterMessage.GetAck());
                }
                wake.add(s);
            }
        }
        return wake;
    }

    /**
     * Replicas online whose last ack is at most {@code maxLagMs} old (Redis's good replicas for
     * {@code min-replicas-to-write} / {@code min-replicas-max-lag}).
     */
    public synchronized int goodReplicas(long maxLagMs) {
        long now = clock.millis();
        int n = 0;
        for (ReplicaSession s : sessions.values()) {
            if (s.state == ReplicaSession.State.ONLINE && s.closeReason == null && s.ackTimeMs >= 0
                    && now - s.ackTimeMs <= maxLagMs) {
                n++;
            }
        }
        return n;
    }

    /**
     * An online replica, for choosing a failover target and waiting for it: its announced address,
     * its acked offset ({@code acked} when an Ack on this stream said so, not only its PSYNC's
     * claim), and the handover key it gave us.
     */
    public record OnlineReplica(String replicaId, String address, long ackOffset, boolean acked, String handoverKey) {
        @Override
        public String toString() { // the key is a secret
            return "OnlineReplica[replicaId=" + replicaId + ", address=" + address + ", ackOffset=" + ackOffset + "]";
        }
    }

    public synchronized List<OnlineReplica> onlineReplicas() {
        List<OnlineReplica> out = new ArrayList<>();
        for (ReplicaSession s : sessions.values()) {
            if (s.state == ReplicaSession.State.ONLINE && s.closeReason == null) {
                out.add(new OnlineReplica(s.replicaId, s.address, s.ackOffset, s.acked, s.handoverKey));
            }
        }
        return out;
    }

    /**
     * The history changed under the stream (promotion, a new id from our own master, a full
     * sync): every replica that already had its answer is dropped and reconnects to learn the
     * new history, as Redis does; the current snapshot belongs to the old history and is retired.
     *
     * @return sessions to drain (they close)
     */
    public synchronized List<ReplicaSession> historyChanged() {
        List<ReplicaSession> wake = new ArrayList<>();
        for (ReplicaSession s : sessions.values()) {
            if (s.decision != null && s.closeReason == null) {
                fail(s, "history changed: reconnect to learn the new replication id");
                wake.add(s);
            }
        }
        if (current != null) {
            retired.add(current);
            current = null;
        }
        return wake;
    }

    /** What the master knows of its replicas. */
    public synchronized List<ReplicaInfo> replicas() {
        long masterOffset = log.offset();
        List<ReplicaInfo> out = new ArrayList<>();
        for (ReplicaSession s : sessions.values()) {
            if (s.replicaId.isEmpty()) {
                continue; // a stream that has not said who it is yet is no replica
            }
            long lagBytes = s.ackOffset < 0 ? -1 : Math.max(0, masterOffset - s.ackOffset);
            long lagMs = s.ackOffset < 0 ? -1 : log.lagMs(s.ackOffset);
            out.add(new ReplicaInfo(s.replicaId, s.address, s.state, s.ackOffset, lagBytes, lagMs, s.acked, s.respPort));
        }
        return out;
    }

    private String fail(ReplicaSession s, String reason) {
        if (s.closeReason == null) {
            s.closeReason = reason;
        }
        detach(s);
        updatePin();
        return s.closeReason;
    }

    private void detach(ReplicaSession s) {
        s.transfer = null;
    }

    /** Deletes snapshots nobody reads any more and that can no longer be shared. */
    private void cleanUpSnapshots() {
        if (current != null && current.written && current.offset >= 0 && !log.holds(current.offset)) {
            retired.add(current);
            current = null;
        }
        retired.removeIf(t -> {
            if (attachedCount(t.snapshotId) == 0) {
                snapshots.delete(t.snapshotId);
                return true;
            }
            return false;
        });
    }

    private int attachedCount(String snapshotId) {
        int n = 0;
        for (ReplicaSession s : sessions.values()) {
            if (s.transfer != null && s.transfer.snapshotId.equals(snapshotId)) {
                n++;
            }
        }
        return n;
    }
}
