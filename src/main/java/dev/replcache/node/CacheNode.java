package dev.replcache.node;

import dev.replcache.config.ReplicationProperties.HostPort;
import dev.replcache.keyspace.Keyspace;
import dev.replcache.keyspace.KeyspaceConfig;
import dev.replcache.keyspace.KeyspaceRole;
import dev.replcache.keyspace.MillisClock;
import dev.replcache.replication.MasterConfig;
import dev.replcache.replication.MasterLink;
import dev.replcache.replication.ReplicaConfig;
import dev.replcache.replication.ReplicaSession;
import dev.replcache.replication.ReplicationId;
import dev.replcache.replication.ReplicationLog;
import dev.replcache.replication.ReplicationMaster;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ReplCache node: the keyspace, its replication history, the master side that serves
 * replicas (every node can, for cascading), the link to its own master when it is a replica,
 * and the threads that drive them. Transports go through it: {@link #keyspace()} for reads,
 * {@link #writableKeyspace()} for writes, {@link #limits()} to check input.
 */
public final class CacheNode implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CacheNode.class);

    /** Node-level settings; the core's own configs are inside. */
    public record Settings(KeyspaceConfig keyspace, RequestLimits limits, Duration expiryCycleInterval,
                           Path dataDir, int backlogBytes, MasterConfig master, ReplicaConfig replica,
                           Duration tickInterval, String announceAddress) {
    }

    private final Settings settings;
    private final MillisClock clock;
    private final MasterConnector connector;
    private final SecureRandom idRandom = new SecureRandom();
    private final SplittableRandom random = new SplittableRandom(idRandom.nextLong());
    private final String nodeId = Long.toHexString(idRandom.nextLong());
    private final ReplicationLog replicationLog;
    private final ReplicationMaster master;
    private final SnapshotFiles snapshotFiles;
    private volatile Keyspace keyspace;
    private volatile LinkDriver link; // non-null while a replica
    private volatile Runnable senderWakeup = () -> { };
    private ScheduledExecutorService scheduler;

    public CacheNode(Settings settings, MillisClock clock, MasterConnector connector) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.connector = Objects.requireNonNull(connector, "connector");
        this.replicationLog = ReplicationLog.fresh(idRandom, settings.backlogBytes(), clock);
        this.replicationLog.setAppendListener(() -> senderWakeup.run());
        this.keyspace = new Keyspace(settings.keyspace(), clock, random.split(), replicationLog);
        this.snapshotFiles = new SnapshotFiles(settings.dataDir(), () -> keyspace, replicationLog);
        this.master = new ReplicationMaster(replicationLog, snapshotFiles, settings.master(), clock,
                settings.replica().authToken());
        this.snapshotFiles.bind(master, sessions -> wakeSenders());
    }

    /** The keyspace in service, for reads. */
    public Keyspace keyspace() {
        return keyspace;
    }

    /**
     * The keyspace, for a client write.
     *
     * @throws ReadOnlyReplicaException on a replica (Redis's READONLY), naming the master
     */
    public Keyspace writableKeyspace() {
        LinkDriver l = link;
        if (l != null) {
            throw new ReadOnlyReplicaException(l.master().toString());
        }
        return keyspace;
    }

    public RequestLimits limits() {
        return settings.limits();
    }

    public ReplicationMaster master() {
        return master;
    }

    public ReplicationLog replicationLog() {
        return replicationLog;
    }

    /** The gRPC transport registers how to wake its replica streams (new entries, timers, snapshots). */
    public void setSenderWakeup(Runnable wakeup) {
        this.senderWakeup = Objects.requireNonNull(wakeup, "wakeup");
    }

    private void wakeSenders() {
        senderWakeup.run();
    }

    /** Starts the active expiry cycle and the replication timers. */
    public synchronized void start() {
        if (scheduler != null) {
            return;
        }
        scheduler = Executors.newScheduledThreadPool(1, r -> {
            Thread t = new Thread(r, "replcache-timers");
            t.setDaemon(true);
            return t;
        });
        long expiryMs = Math.max(1, settings.expiryCycleInterval().toMillis());
        scheduler.scheduleWithFixedDelay(this::runExpiryCycle, expiryMs, expiryMs, TimeUnit.MILLISECONDS);
        long tickMs = Math.max(1, settings.tickInterval().toMillis());
        scheduler.scheduleWithFixedDelay(this::tick, tickMs, tickMs, TimeUnit.MILLISECONDS);
        log.info("Node started as {}: replId={} offset={}, keyspace segments={}, max-memory={} bytes, eviction-policy={}",
                role(), replicationLog.replId(), replicationLog.offset(), settings.keyspace().segments(),
                settings.keyspace().maxMemoryBytes(), settings.keyspace().evictionPolicy().redisName());
    }

    private void runExpiryCycle() {
        try {
            keyspace.activeExpireCycle();
        } catch (RuntimeException e) {
            // A bug in a cycle must not kill the schedule: log it and try again next cycle.
            log.error("Active expiry cycle failed", e);
        }
    }

    private void tick() {
        try {
            List<ReplicaSession> wake = master.tick();
            if (!wake.isEmpty()) {
                wakeSenders();
            }
            LinkDriver l = link;
            if (l != null) {
                l.tick();
            }
        } catch (RuntimeException e) {
            log.error("Replication timers failed", e);
        }
    }

    /** {@code master} or {@code replica}. */
    public String role() {
        return link == null ? "master" : "replica";
    }

    /**
     * REPLICAOF host port: follow another master. The dataset is kept and served (read-only)
     * until the master's stream replaces it; the link tries a partial resync first.
     */
    public synchronized void replicaOf(HostPort masterAddress) {
        replicaOf(masterAddress, true);
    }

    /**
     * @param hasHistory false for a node that starts as a replica with no data: it asks for a
     *                   full sync with {@code ?} rather than offering a history nobody knows
     */
    public synchronized void replicaOf(HostPort masterAddress, boolean hasHistory) {
        LinkDriver current = link;
        if (current != null && current.master().equals(masterAddress)) {
            return;
        }
        if (current != null) {
            current.close();
        }
        keyspace.setRole(KeyspaceRole.REPLICA);
        MasterLink masterLink = new MasterLink(replicationLog, new ReplicaDataset(settings.dataDir(),
                () -> keyspace, this::newReplicaKeyspace, ks -> keyspace = ks), settings.replica(), clock,
                random.split(), nodeId(), settings.announceAddress(), hasHistory);
        LinkDriver driver = new LinkDriver(masterLink, masterAddress, connector);
        link = driver;
        log.info("Now a replica of {}", masterAddress);
        driver.tick();
    }

    /**
     * REPLICAOF NO ONE: become a master. The history continues under a new replId, with the old
     * one kept as replId2 up to the current offset, so other replicas of the old master can
     * continue partially against this node.
     */
    public synchronized void promote() {
        LinkDriver current = link;
        if (current == null) {
            return;
        }
        link = null;
        current.close();
        keyspace.setRole(KeyspaceRole.MASTER);
        replicationLog.shiftReplicationId(ReplicationId.random(idRandom));
        log.info("Promoted to master: replId={} replId2={} valid up to offset {}", replicationLog.replId(),
                replicationLog.replId2(), replicationLog.secondReplOffset());
    }

    /** Drops the link to the master (it reconnects, resyncing partially when it can). */
    public void disconnectFromMaster(String reason) {
        LinkDriver l = link;
        if (l != null) {
            l.disconnect(reason);
        }
    }

    private Keyspace newReplicaKeyspace() {
        Keyspace ks = new Keyspace(settings.keyspace(), clock, random.split(), replicationLog);
        ks.setRole(KeyspaceRole.REPLICA);
        return ks;
    }

    /** The link to our master, for read-only views (state, progress, counters); null on a master. */
    public MasterLink masterLink() {
        LinkDriver l = link;
        return l == null ? null : l.link();
    }

    /** A random id per process, sent in Hello. */
    public String nodeId() {
        return nodeId;
    }

    /** The replication view of this node (what {@code GET /v1/replication} shows). */
    public ReplicationView replicationView() {
        LinkDriver l = link;
        ReplicationView.MasterLinkView masterView = null;
        if (l != null) {
            // Read without the link's thread: it may be busy for seconds loading a snapshot, exactly
            // when an operator wants to see the sync's progress (a 5 s wait there gave a 500).
            MasterLink ml = l.link();
            MasterLink.SyncProgress p = ml.syncProgress();
            masterView = new ReplicationView.MasterLinkView(l.master().host(), l.master().port(),
                    ReplicationView.linkStatus(ml.state()), ml.lastDropReason(), ml.masterOffsetSeen(),
                    ml.everSynced(), ml.fullSyncs(), ml.partialSyncs(),
                    ReplicationView.SyncView.of(p.inProgress(), p.bytesReceived(), p.bytesTotal(),
                            p.startedAtMs() < 0 ? 0 : clock.millis() - p.startedAtMs()));
        }
        return ReplicationView.of(role(), replicationLog, master, masterView);
    }

    @Override
    public synchronized void close() {
        LinkDriver l = link;
        if (l != null) {
            l.close();
        }
        if (scheduler != null) {
            scheduler.shutdownNow();
            scheduler = null;
        }
        snapshotFiles.close();
    }
}
