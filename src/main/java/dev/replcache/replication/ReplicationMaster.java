package dev.replcache.replication;

import dev.replcache.keyspace.MillisClock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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

    /** A replica opened a Sync stream. */
    public synchronized ReplicaSession open(String sessionId) {
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
    public synchronized void onMessage(ReplicaSession s, ReplicaMessage message) {
        if (s.closeReason != null) {
            return;
        }
        s.lastHeardMs = clock.millis();
        if (message instanceof ReplicaMessage.Hello hello) {
            if (s.state != ReplicaSession.State.HANDSHAKE || !s.replicaId.isEmpty()) {
                fail(s, "protocol: Hello sent twice");
            } else if (!authToken.isEmpty() && !authToken.equals(hello.authToken())) {
                fail(s, "unauthenticated: wrong or missing replication auth token");
            } else if (hello.replicaId() == null || hello.replicaId().isBlank()) {
                fail(s, "protocol: Hello without a replica id");
            } else {
                s.replicaId = hello.replicaId();
                s.address = hello.announcedAddress() == null ? "" : hello.announcedAddress();
            }
        } else if (message instanceof ReplicaMessage.Psync psync) {
            if (s.replicaId.isEmpty() || s.state != ReplicaSession.State.HANDSHAKE) {
                fail(s, "protocol: PSYNC must follow Hello, once");
                return;
            }
            onPsync(s, psync);
        } else if (message instanceof ReplicaMessage.Ack ack) {
            if (s.state != ReplicaSession.State.ONLINE) {
                return; // acks during a full sync carry no information about this history
            }
            long masterOffset = log.offset();
            if (ack.offset() > masterOffset || ack.offset() < s.ackOffset) {
                fail(s, "protocol: ack of offset " + ack.offset() + " outside [" + s.ackOffset + ", " + masterOffset + "]");
                return;
            }
            s.ackOffset = ack.offset();
            s.ackTimeMs = clock.millis();
        } else {
            throw new AssertionError("unhandled replica message " + message);
        }
    }

    private void onPsync(ReplicaSession s, ReplicaMessage.Psync psync) {
        PsyncDecision.Result decision = PsyncDecision.decide(psync.replId(), psync.offset(), log.history());
        stats.recordDecision(decision);
        s.psync = psync;
        s.decision = decision;
        if (decision.isContinue()) {
            s.state = ReplicaSession.State.ONLINE;
            s.nextOffset = psync.offset();
            s.ackOffset = psync.offset();
            s.ackTimeMs = clock.millis();
            s.control.add(new MasterMessage.Continue(log.replId(), psync.offset()));
            return;
        }
        s.fullSyncStartMs = clock.millis();
        ReplicaSession.SnapshotTransfer transfer = current;
        if (transfer == null || transfer.offset < 0 || !log.holds(transfer.offset)) {
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
        s.control.add(new MasterMessage.FullResync(log.replId(), transfer.offset, transfer.snapshotId, transfer.sizeBytes));
    }

    private ReplicaSession.SnapshotTransfer startSnapshot() {
        if (current != null) {
            retired.add(current);
        }
        ReplicaSession.SnapshotTransfer t = new ReplicaSession.SnapshotTransfer("snapshot-" + (++snapshotCounter), -1);
        current = t;
        long offset;
        try {
            offset = snapshots.startSnapshot(t.snapshotId);
        } catch (RuntimeException e) {
            current = null;
            stats.recordAbandoned();
            return null;
        }
        t.offset = offset;
        return t;
    }

    /**
     * The snapshot is on storage and can be sent.
     *
     * @return sessions that now have something to send: drain them
     */
    public synchronized List<ReplicaSession> snapshotWritten(String snapshotId, long sizeBytes, int crc32c) {
        ReplicaSession.SnapshotTransfer t = current;
        if (t == null || !t.snapshotId.equals(snapshotId)) {
            snapshots.delete(snapshotId); // nobody waits for it any more
            return List.of();
        }
        t.written = true;
        t.sizeBytes = sizeBytes;
        t.crc32c = crc32c;
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
                        s.nextOffset = transfer.offset;
                        s.ackOffset = transfer.offset;
                        s.ackTimeMs = clock.millis();
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
        byte[] data = log.read(s.nextOffset, config.entriesBatchBytes());
        if (data == null) {
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
            } else if (now - s.lastHeardMs > config.timeoutMs()) {
                fail(s, "timeout: nothing heard from the replica for " + (now - s.lastHeardMs) + " ms");
                wake.add(s);
            } else if (now - s.lastPingMs >= config.pingIntervalMs() && s.control.isEmpty()) {
                s.lastPingMs = now;
                s.control.add(new MasterMessage.Ping(log.offset()));
                if (s.state == ReplicaSession.State.ONLINE) {
                    s.control.add(new MasterMessage.GetAck());
                }
                wake.add(s);
            }
        }
        cleanUpSnapshots();
        return wake;
    }

    /** What the master knows of its replicas. */
    public synchronized List<ReplicaInfo> replicas() {
        long masterOffset = log.offset();
        List<ReplicaInfo> out = new ArrayList<>();
        for (ReplicaSession s : sessions.values()) {
            long lagBytes = s.ackOffset < 0 ? -1 : Math.max(0, masterOffset - s.ackOffset);
            long lagMs = s.ackOffset < 0 ? -1 : log.lagMs(s.ackOffset);
            out.add(new ReplicaInfo(s.replicaId, s.address, s.state, s.ackOffset, lagBytes, lagMs));
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
