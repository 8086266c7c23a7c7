package dev.replcache.ops;

import dev.replcache.node.CacheNode;
import dev.replcache.node.ReplicationView;
import dev.replcache.replication.MasterLink;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * {@code replication} in {@code /actuator/health}: the node's role and, on a replica, the state
 * of its link to the master, a full sync's progress, how far behind it is and why the link last
 * dropped, and under {@code failover.mode=lease} the election as this node sees it. A master is
 * UP (under lease mode: while it holds the lease and renewed it in time); a replica is UP while it follows the stream and OUT_OF_SERVICE
 * otherwise (connecting, syncing, link down). It is not part of the liveness group (a replica
 * with its link down is alive and serves stale reads) nor of readiness (see
 * {@link ReplicationReadinessIndicator}).
 */
final class ReplicationHealthIndicator implements HealthIndicator {

    private final CacheNode node;

    ReplicationHealthIndicator(CacheNode node) {
        this.node = node;
    }

    @Override
    public Health health() {
        ReplicationView view = node.replicationView();
        MasterLink link = node.masterLink();
        Health.Builder b = new Health.Builder()
                .withDetail("role", view.role())
                .withDetail("replId", view.replId())
                .withDetail("offset", view.offset());
        if (view.writesPaused()) {
            b.withDetail("writesPaused", true); // a failover is handing the master role over
        }
        if (!view.failoverState().equals("no-failover")) {
            b.withDetail("failoverState", view.failoverState());
        }
        long maxLagBytes = 0;
        long maxLagMs = 0;
        for (ReplicationView.ReplicaView r : view.replicas()) {
            maxLagBytes = Math.max(maxLagBytes, r.lagBytes());
            maxLagMs = Math.max(maxLagMs, r.lagMs());
        }
        b.withDetail("replicas", view.replicas().size());
        if (!view.replicas().isEmpty()) {
            b.withDetail("replicasMaxLagBytes", maxLagBytes).withDetail("replicasMaxLagMs", maxLagMs);
        }
        ReplicationView.LeaseView lease = view.lease();
        if (lease != null) {
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("holder", lease.holder());
            l.put("mayWrite", lease.mayWrite());
            l.put("epoch", lease.epoch());
            l.put("holderName", lease.holderName());
            l.put("holderAddress", lease.holderAddress());
            l.put("apiReachable", lease.apiReachable());
            l.put("lastTransition", lease.lastTransition());
            l.put("lastTransitionAgeMs", lease.lastTransitionAgeMs());
            b.withDetail("lease", l);
        }
        if (link == null || view.master() == null) {
            // Under failover.mode=lease a master takes writes only while it holds a fresh lease.
            return (lease == null || lease.mayWrite() ? b.up() : b.outOfService()).build();
        }
        MasterLink.State state = link.state();
        ReplicationView.MasterLinkView m = view.master();
        b.withDetail("master", m.host() + ":" + m.port())
                .withDetail("linkState", state.name().toLowerCase(Locale.ROOT))
                .withDetail("everSynced", link.everSynced());
        long seen = link.masterOffsetSeen();
        if (seen >= 0) {
            b.withDetail("masterOffset", seen).withDetail("lagBytes", Math.max(0, seen - view.offset()));
        }
        MasterLink.SyncProgress p = link.syncProgress();
        b.withDetail("syncInProgress", p.inProgress());
        if (p.inProgress()) {
            b.withDetail("syncBytesReceived", p.bytesReceived())
                    .withDetail("syncBytesTotal", p.bytesTotal())
                    .withDetail("syncPercent", p.bytesTotal() > 0 ? p.bytesReceived() * 100 / p.bytesTotal() : 0);
        }
        if (link.lastFullSyncMillis() >= 0) {
            b.withDetail("lastFullSyncMs", link.lastFullSyncMillis());
        }
        if (link.lastDropReason() != null) {
            b.withDetail("lastDropReason", link.lastDropReason());
        }
        if (link.refusedFullResync() != null) {
            // No silent wipe: the replica keeps its data and says why it does not follow its master.
            b.withDetail("refusedFullResync", link.refusedFullResync());
        }
        return (state == MasterLink.State.STREAMING ? b.up() : b.outOfService()).build();
    }
}
