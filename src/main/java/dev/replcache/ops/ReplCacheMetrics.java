package dev.replcache.ops;

import dev.replcache.keyspace.KeyspaceStats;
import dev.replcache.node.CacheNode;
import dev.replcache.replication.MasterLink;
import dev.replcache.replication.PsyncDecision;
import dev.replcache.replication.ReplicationLog;
import dev.replcache.replication.ReplicationStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * The node's {@code replcache.*} meters, read from the node at scrape time (nothing is counted
 * twice: the core's own counters are the source): keyspace size and churn, this node's
 * offsets and backlog, the master side's sync counts, reasons, bytes and durations, and the
 * replica side's link state, lag and full syncs. Per-replica series are in {@link ReplicaGauges}.
 * README (Operations) lists every name as Prometheus shows it.
 */
final class ReplCacheMetrics implements MeterBinder {

    /** A scrape reads several keyspace figures: one stats call serves them all. */
    private static final long STATS_TTL_NANOS = 100_000_000L;

    private final CacheNode node;
    private volatile KeyspaceStats stats;
    private volatile long statsAtNanos;

    ReplCacheMetrics(CacheNode node) {
        this.node = node;
    }

    private KeyspaceStats stats() {
        long now = System.nanoTime();
        KeyspaceStats s = stats;
        if (s == null || now - statsAtNanos > STATS_TTL_NANOS) {
            s = node.keyspace().stats();
            stats = s;
            statsAtNanos = now;
        }
        return s;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        bindKeyspace(registry);
        bindOffsets(registry);
        bindMasterSide(registry);
        bindReplicaSide(registry);
        bindWriteGuards(registry);
    }

    /** Slow replicas, WAIT, failover and the no-silent-wipe guard. */
    private void bindWriteGuards(MeterRegistry registry) {
        FunctionCounter.builder("replcache.slow.replica.disconnects", node.master().stats(),
                        st -> st.slowReplicaDisconnects())
                .description("Replicas dropped by the slow-replica policy's hard or soft limit")
                .register(registry);
        FunctionCounter.builder("replcache.throttled.writes", this, m -> m.node.throttledWrites())
                .description("Writes whose response the throttle policy held while a replica caught up")
                .register(registry);
        gauge(registry, "replcache.throttle.delay", "seconds", "Delay the throttle policy puts on a write now",
                m -> m.node.throttleDelayMs() / 1000.0);
        gauge(registry, "replcache.wait.in.progress", null, "WAITs blocked for replica acks",
                m -> m.node.master().waitingCount());
        gauge(registry, "replcache.writes.paused", null, "1 while a failover holds client writes",
                m -> m.node.keyspace().writesPaused() ? 1 : 0);
        linkCounter(registry, "replcache.link.refused.full.resyncs", "empty_master", null,
                "Full resyncs this replica refused to protect its data (an empty master of another history)",
                MasterLink::refusedFullResyncs);
    }

    private void bindKeyspace(MeterRegistry registry) {
        gauge(registry, "replcache.keys", null, "Keys stored, including expired ones not removed yet (DBSIZE)",
                m -> m.stats().keys());
        gauge(registry, "replcache.expires", null, "Keys with a TTL", m -> m.stats().expires());
        gauge(registry, "replcache.memory.used", "bytes", "Estimated bytes used by the dataset",
                m -> m.stats().memoryBytes());
        gauge(registry, "replcache.memory.max", "bytes", "replcache.max-memory (0 = unlimited)",
                m -> m.node.keyspace().config().maxMemoryBytes());
        FunctionCounter.builder("replcache.expired.keys", this, m -> m.stats().expiredKeys())
                .description("Keys removed by expiry (lazy and active; only a master expires keys)")
                .register(registry);
        FunctionCounter.builder("replcache.evicted.keys", this, m -> m.stats().evictedKeys())
                .description("Keys removed by eviction at max-memory")
                .register(registry);
    }

    private void bindOffsets(MeterRegistry registry) {
        ReplicationLog log = node.replicationLog();
        gauge(registry, "replcache.offset", null,
                "This node's replication offset: stream bytes produced (master) or applied (replica)",
                m -> log.offset());
        gauge(registry, "replcache.master.offset", null,
                "The master's offset: our own on a master, the master's as last heard on a replica",
                m -> {
                    MasterLink link = m.node.masterLink();
                    if (link == null) {
                        return log.offset();
                    }
                    return link.masterOffsetSeen() < 0 ? Double.NaN : link.masterOffsetSeen();
                });
        gauge(registry, "replcache.backlog.size", "bytes", "Stream bytes held by the backlog",
                m -> log.backlogSizeBytes());
        gauge(registry, "replcache.backlog.capacity", "bytes", "Backlog capacity (replcache.replication.backlog-size)",
                m -> log.backlogCapacityBytes());
        gauge(registry, "replcache.backlog.first.offset", null, "First offset the backlog holds (partial resyncs from here)",
                m -> log.backlogFirstOffset());
        gauge(registry, "replcache.backlog.coverage", "seconds", "How far back in time the backlog reaches",
                m -> log.backlogCoverageMs() / 1000.0);
        for (String role : new String[] {"master", "replica"}) {
            Gauge.builder("replcache.role", this, m -> m.node.role().equals(role) ? 1 : 0)
                    .description("1 for this node's role")
                    .tag("role", role)
                    .register(registry);
        }
    }

    private void bindMasterSide(MeterRegistry registry) {
        ReplicationStats s = node.master().stats();
        syncCounter(registry, "full", s, ReplicationStats::syncFull);
        syncCounter(registry, "partial_ok", s, ReplicationStats::syncPartialOk);
        syncCounter(registry, "partial_err", s, ReplicationStats::syncPartialErr);
        FunctionCounter.builder("replcache.syncs.abandoned", s, st -> st.syncAbandoned())
                .description("Full syncs given up (sync buffer limit passed, snapshot failed)")
                .register(registry);
        for (PsyncDecision.Reason reason : PsyncDecision.Reason.values()) {
            String outcome = reason == PsyncDecision.Reason.CONTINUE_CURRENT_ID
                    || reason == PsyncDecision.Reason.CONTINUE_PREVIOUS_ID ? "continue" : "full_resync";
            FunctionCounter.builder("replcache.psync.decisions", s,
                            st -> st.decisionsByReason().getOrDefault(reason, 0L))
                    .description("PSYNC answers by reason")
                    .tag("reason", reason.label())
                    .tag("outcome", outcome)
                    .register(registry);
        }
        FunctionCounter.builder("replcache.sync.snapshot.sent", s, st -> st.snapshotBytesSent())
                .description("Snapshot bytes sent to replicas (full syncs)")
                .baseUnit("bytes")
                .register(registry);
        FunctionCounter.builder("replcache.stream.sent", s, st -> st.entriesBytesSent())
                .description("Stream bytes sent to replicas (Entries)")
                .baseUnit("bytes")
                .register(registry);
        FunctionTimer.builder("replcache.sync.full.duration", s, ReplicationStats::fullSyncsCompleted,
                        st -> st.fullSyncMillis(), TimeUnit.MILLISECONDS)
                .description("Full syncs served, from PSYNC to the snapshot's last chunk")
                .register(registry);
    }

    private static void syncCounter(MeterRegistry registry, String kind, ReplicationStats s,
                                    ToLongFunction<ReplicationStats> f) {
        FunctionCounter.builder("replcache.syncs", s, st -> f.applyAsLong(st))
                .description("Resyncs served: full, partial accepted, partial refused (Redis's sync_full, sync_partial_ok, sync_partial_err)")
                .tag("kind", kind)
                .register(registry);
    }

    private void bindReplicaSide(MeterRegistry registry) {
        for (MasterLink.State state : MasterLink.State.values()) {
            Gauge.builder("replcache.link.state", this, m -> {
                        MasterLink link = m.node.masterLink();
                        return link != null && link.state() == state ? 1 : 0;
                    })
                    .description("1 for the state of the link to our master (all 0 on a master)")
                    .tag("state", state.name().toLowerCase(Locale.ROOT))
                    .register(registry);
        }
        gauge(registry, "replcache.link.lag", "bytes", "On a replica: the master's offset as last heard minus ours",
                m -> {
                    MasterLink link = m.node.masterLink();
                    if (link == null || link.masterOffsetSeen() < 0) {
                        return Double.NaN;
                    }
                    return Math.max(0, link.masterOffsetSeen() - m.node.replicationLog().offset());
                });
        gauge(registry, "replcache.link.sync.progress", null, "On a replica in a full sync: snapshot bytes received / total",
                m -> {
                    MasterLink link = m.node.masterLink();
                    MasterLink.SyncProgress p = link == null ? null : link.syncProgress();
                    if (p == null || !p.inProgress() || p.bytesTotal() <= 0) {
                        return Double.NaN;
                    }
                    return (double) p.bytesReceived() / p.bytesTotal();
                });
        linkCounter(registry, "replcache.link.syncs", "full", null, "Syncs completed by this replica's link",
                MasterLink::fullSyncs);
        linkCounter(registry, "replcache.link.syncs", "partial", null, "Syncs completed by this replica's link",
                MasterLink::partialSyncs);
        FunctionCounter.builder("replcache.link.full.sync.received", this, m -> linkValue(m, MasterLink::fullSyncBytes))
                .description("Snapshot bytes loaded by this replica's completed full syncs")
                .baseUnit("bytes")
                .register(registry);
        FunctionTimer.builder("replcache.link.full.sync.duration", this,
                        m -> (long) linkValue(m, MasterLink::fullSyncs), m -> linkValue(m, MasterLink::fullSyncMillis),
                        TimeUnit.MILLISECONDS)
                .description("Full syncs of this replica, from FULLRESYNC to the snapshot loaded")
                .register(registry);
    }

    private void linkCounter(MeterRegistry registry, String name, String kind, String unit, String description,
                             ToLongFunction<MasterLink> f) {
        FunctionCounter.builder(name, this, m -> linkValue(m, f))
                .description(description)
                .baseUnit(unit)
                .tag("kind", kind)
                .register(registry);
    }

    /** A link counter; 0 on a master. A new link (REPLICAOF) starts from 0, which Prometheus reads as a reset. */
    private static double linkValue(ReplCacheMetrics m, ToLongFunction<MasterLink> f) {
        MasterLink link = m.node.masterLink();
        return link == null ? 0 : f.applyAsLong(link);
    }

    private void gauge(MeterRegistry registry, String name, String unit, String description,
                       ToDoubleFunction<ReplCacheMetrics> f) {
        Gauge.builder(name, this, f).description(description).baseUnit(unit).register(registry);
    }
}
