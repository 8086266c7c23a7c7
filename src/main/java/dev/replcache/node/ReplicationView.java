package dev.replcache.node;

import dev.replcache.replication.MasterLink;
import dev.replcache.replication.ReplicaInfo;
import dev.replcache.replication.ReplicationLog;
import dev.replcache.replication.ReplicationMaster;
import dev.replcache.replication.ReplicationStats;
import java.util.List;
import java.util.Locale;

/**
 * The replication view of a node, as {@code GET /v1/replication} and the actuator show it.
 * Field names follow the contract; Redis's INFO replication names are in the comments.
 *
 * @param role     {@code master} or {@code replica}
 * @param replId   {@code master_replid}
 * @param replId2  {@code master_replid2}, or {@code ?} when none
 * @param offset   {@code master_repl_offset}
 * @param secondReplOffset {@code second_repl_offset} (-1 when none)
 * @param backlog  the backlog ring
 * @param master   the link to our master, on a replica; null on a master
 * @param replicas our replicas (a replica can have some too)
 * @param stats    {@code sync_full}, {@code sync_partial_ok}, {@code sync_partial_err}, and more
 * @param writesPaused true while a failover holds client writes
 * @param failoverState Redis's {@code master_failover_state} ({@code no-failover},
 *                 {@code waiting-for-sync}, {@code failover-in-progress}), or
 *                 {@code failover-outcome-unknown}: the target did not answer in time, and this
 *                 node stays its replica until it does
 * @param lease    the master election under {@code replcache.failover.mode=lease}; null under {@code manual}
 */
public record ReplicationView(String role, String replId, String replId2, long offset, long secondReplOffset,
                              BacklogView backlog, MasterLinkView master, List<ReplicaView> replicas,
                              StatsView stats, boolean writesPaused, String failoverState, LeaseView lease) {

    /** @param coverageMs how far back in time the backlog reaches */
    public record BacklogView(long firstOffset, long sizeBytes, long capacityBytes, long coverageMs) {
    }

    /**
     * @param linkStatus {@code connecting}, {@code sync}, {@code up} or {@code down}
     * @param lastError  why the link last dropped, or null
     * @param masterOffset the master's offset as last heard, -1 before
     * @param ready      true once a sync completed (readiness)
     * @param refusedFullResync why the last full resync offered was refused to protect our data
     *                   (a master of another history with an empty dataset), or null
     */
    public record MasterLinkView(String host, int port, String linkStatus, String lastError, long masterOffset,
                                 boolean ready, long fullSyncs, long partialSyncs, SyncView sync,
                                 String refusedFullResync) {
    }

    /**
     * Full-sync progress: bytes of the snapshot received of its total, time so far, the rate and
     * the time left at that rate (-1 while unknown).
     */
    public record SyncView(boolean inProgress, long bytesReceived, long bytesTotal, long elapsedMs,
                           long bytesPerSecond, long etaMs) {

        static SyncView of(boolean inProgress, long received, long total, long elapsedMs) {
            if (!inProgress) {
                return new SyncView(false, 0, 0, 0, 0, -1);
            }
            long rate = elapsedMs > 0 ? received * 1000 / elapsedMs : 0;
            long eta = rate > 0 ? (total - received) * 1000 / rate : -1;
            return new SyncView(true, received, total, elapsedMs, rate, eta);
        }
    }

    /**
     * The lease election as this node sees it.
     *
     * @param name          this node's name in the set
     * @param priority      its replica-priority (0 = never the master)
     * @param synced        it synced with a master (or held the lease) in this run
     * @param refused       it refused a resync and does not stand
     * @param holder        it holds the lease
     * @param mayWrite      it holds the lease and renewed it within renew-deadline: it takes writes
     * @param epoch         the lease's transitions as last seen, -1 before any
     * @param holderName    the holder's name as last seen, or null
     * @param holderAddress the holder's replication address, or null
     * @param holderLive    the holder's claim had not run out at the last look
     * @param apiReachable  the last request to the API server succeeded
     * @param transitions   the changes this node saw: acquired, lost, new holder
     * @param lastTransition the last of them and why, or null
     * @param lastTransitionAgeMs how long ago it was, -1 before any
     * @param historyEpoch  the epoch of the master whose history this node holds (candidates compare it
     *                      before offsets), -1 with none
     */
    public record LeaseView(String name, int priority, boolean synced, boolean refused, boolean holder,
                            boolean mayWrite, long epoch, String holderName, String holderAddress, boolean holderLive,
                            boolean apiReachable, long transitions, String lastTransition, long lastTransitionAgeMs,
                            long historyEpoch) {
    }

    public record ReplicaView(String id, String address, String state, long ackOffset, long lagBytes, long lagMs) {
    }

    public record StatsView(long syncFull, long syncPartialOk, long syncPartialErr, long syncAbandoned,
                            long entriesBytesSent, long snapshotBytesSent, long slowReplicaDisconnects) {
    }

    static String linkStatus(MasterLink.State state) {
        return switch (state) {
            case DOWN -> "down";
            case CONNECTING, HANDSHAKE -> "connecting";
            case RECEIVING_SNAPSHOT, LOADING_SNAPSHOT -> "sync";
            case STREAMING -> "up";
        };
    }

    static ReplicationView of(String role, ReplicationLog log, ReplicationMaster master, MasterLinkView link,
                              boolean writesPaused, String failoverState, LeaseView lease) {
        List<ReplicaView> replicas = master.replicas().stream()
                .map(ReplicationView::replicaView)
                .toList();
        ReplicationStats s = master.stats();
        return new ReplicationView(role, log.replId().value(), log.replId2().value(), log.offset(), log.secondReplOffset(),
                new BacklogView(log.backlogFirstOffset(), log.backlogSizeBytes(), log.backlogCapacityBytes(),
                        log.backlogCoverageMs()),
                link, replicas,
                new StatsView(s.syncFull(), s.syncPartialOk(), s.syncPartialErr(), s.syncAbandoned(),
                        s.entriesBytesSent(), s.snapshotBytesSent(), s.slowReplicaDisconnects()), writesPaused, failoverState, lease);
    }

    private static ReplicaView replicaView(ReplicaInfo r) {
        return new ReplicaView(r.id(), r.address(), r.state().name().toLowerCase(Locale.ROOT), r.ackOffset(),
                r.lagBytes(), r.lagMs());
    }
}
