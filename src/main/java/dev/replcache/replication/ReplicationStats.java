package dev.replcache.replication;

import java.util.EnumMap;
import java.util.Map;

/**
 * The master's sync counters, named as Redis's INFO fields, used as metrics and as test
 * oracles. Thread-safe.
 */
public final class ReplicationStats {

    private long syncFull;
    private long syncPartialOk;
    private long syncPartialErr;
    private long syncAbandoned;
    private long slowReplicaDisconnects;
    private long entriesBytesSent;
    private long snapshotBytesSent;
    private long fullSyncsCompleted;
    private long fullSyncMillis;
    private final EnumMap<PsyncDecision.Reason, Long> reasons = new EnumMap<>(PsyncDecision.Reason.class);

    synchronized void recordDecision(PsyncDecision.Result result) {
        reasons.merge(result.reason(), 1L, Long::sum);
        if (result.isContinue()) {
            syncPartialOk++;
        } else {
            syncFull++;
            if (result.reason() != PsyncDecision.Reason.NO_HISTORY) {
                // Redis counts a refused partial resync request as sync_partial_err.
                syncPartialErr++;
            }
        }
    }

    synchronized void recordAbandoned() {
        syncAbandoned++;
    }

    synchronized void recordSlowReplicaDisconnect() {
        slowReplicaDisconnects++;
    }

    /** Replicas dropped by the slow-replica policy's limits. */
    public synchronized long slowReplicaDisconnects() {
        return slowReplicaDisconnects;
    }

    synchronized void recordEntriesSent(int bytes) {
        entriesBytesSent += bytes;
    }

    synchronized void recordSnapshotSent(int bytes) {
        snapshotBytesSent += bytes;
    }

    synchronized void recordFullSyncSent(long millis) {
        fullSyncsCompleted++;
        fullSyncMillis += Math.max(0, millis);
    }

    /** Full resyncs whose whole snapshot was sent (the replica then follows the stream). */
    public synchronized long fullSyncsCompleted() {
        return fullSyncsCompleted;
    }

    /** Time from PSYNC to the snapshot's end, summed over {@link #fullSyncsCompleted()}. */
    public synchronized long fullSyncMillis() {
        return fullSyncMillis;
    }

    /** Stream bytes sent to replicas in Entries messages, over all replicas. */
    public synchronized long entriesBytesSent() {
        return entriesBytesSent;
    }

    /** Snapshot bytes sent to replicas, over all replicas. */
    public synchronized long snapshotBytesSent() {
        return snapshotBytesSent;
    }

    /** Full resyncs served (Redis's {@code sync_full}). */
    public synchronized long syncFull() {
        return syncFull;
    }

    /** Partial resyncs accepted ({@code sync_partial_ok}). */
    public synchronized long syncPartialOk() {
        return syncPartialOk;
    }

    /** Partial resyncs refused ({@code sync_partial_err}). */
    public synchronized long syncPartialErr() {
        return syncPartialErr;
    }

    /** Full syncs given up (the backlog could not hold the stream from the snapshot, or the snapshot failed). */
    public synchronized long syncAbandoned() {
        return syncAbandoned;
    }

    /** PSYNC decisions by reason. */
    public synchronized Map<PsyncDecision.Reason, Long> decisionsByReason() {
        return Map.copyOf(reasons);
    }
}
