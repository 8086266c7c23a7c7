package dev.replcache.node;

import dev.replcache.config.ReplicationProperties.HostPort;
import dev.replcache.keyspace.Keyspace;
import dev.replcache.keyspace.rdb.RdbLimits;
import dev.replcache.keyspace.KeyspaceConfig;
import dev.replcache.keyspace.KeyspaceRole;
import dev.replcache.keyspace.KeyspaceSnapshot;
import dev.replcache.keyspace.MillisClock;
import dev.replcache.replication.MasterConfig;
import dev.replcache.replication.LeaseEpoch;
import dev.replcache.replication.MasterLink;
import dev.replcache.replication.PsyncDecision;
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

    /**
     * Node-level settings; the core's own configs are inside.
     *
     * @param dumpFile the node's dump file, where a replica keeps a full sync's snapshot; null for none
     */
    public record Settings(KeyspaceConfig keyspace, RequestLimits limits, Duration expiryCycleInterval,
                           Path dataDir, int backlogBytes, MasterConfig master, ReplicaConfig replica,
                           Duration tickInterval, String announceAddress, WriteGuards guards,
                           Path dumpFile, long maxLoadMemoryBytes) {
    }

    /**
     * What stands between a client and the replicas: {@code min-replicas-to-write} and
     * {@code min-replicas-max-lag} (Redis's), the longest a WAIT may block, how long a FAILOVER
     * waits for its target by default and at most.
     */
    public record WriteGuards(int minReplicasToWrite, Duration minReplicasMaxLag, Duration maxWaitTimeout,
                              Duration failoverTimeout, Duration failoverMaxTimeout) {
        public static final WriteGuards NONE = new WriteGuards(0, Duration.ofSeconds(10), Duration.ofSeconds(60),
                Duration.ofSeconds(10), Duration.ofSeconds(60));
    }

    private final Settings settings;
    private final MillisClock clock;
    private final MillisClock monotonic;
    private final MasterConnector connector;
    private final SecureRandom idRandom = new SecureRandom();
    private final SplittableRandom random = new SplittableRandom(idRandom.nextLong());
    private final String nodeId = Long.toHexString(idRandom.nextLong());
    private final ReplicationLog replicationLog;
    private final ReplicationMaster master;
    private final SnapshotFiles snapshotFiles;
    private volatile Keyspace keyspace;
    /** The keyspace in service and the log's (replId, offset) change together under it (see {@link #cut}). */
    private final Object datasetLock = new Object();
    private volatile boolean writesStopped;
    /** Bumped whenever the link changes (follow, promote, revert): which link may install a snapshot. */
    private long linkGeneration; // guarded by datasetLock
    private volatile LinkDriver link; // non-null while a replica
    private volatile Runnable senderWakeup = () -> { };
    /** host:port announced to our master; null until known (gRPC on port 0 before it listens). */
    private volatile String announceAddress;
    private volatile Election election = Election.NONE;
    /** A link of this run completed a sync before it was replaced or promoted. */
    private volatile boolean syncedBefore;
    /**
     * The lease of the master this node was promoted from: a FAILOVER's target carries it until
     * the lease is handed to it, so its old master, now its replica, follows it.
     */
    private volatile LeaseEpoch promotedFromLease = LeaseEpoch.NONE;
    /** Monotonic ms of the last promotion (REPLICAOF NO ONE or a failover takeover), -1 before any. */
    private volatile long promotedAtMs = -1;
    /** The port our gRPC server listens on, -1 before it does (REPLICAOF to it is refused). */
    private volatile int listenPort = -1;
    /** Port of the RESP server, 0 while none: announced to our master as Redis's listening-port. */
    private volatile int respPort;
    private ScheduledExecutorService scheduler;
    private final FailoverCoordinator failover;
    private final java.util.concurrent.atomic.LongAdder throttledWrites = new java.util.concurrent.atomic.LongAdder();

    /** One clock for everything: tests that move time by hand. */
    public CacheNode(Settings settings, MillisClock clock, MasterConnector connector) {
        this(settings, clock, clock, connector);
    }

    /**
     * @param clock     Unix time: what TTLs are measured in (the keyspace's expiry)
     * @param monotonic elapsed time that never steps back (a system's {@code nanoTime}): every
     *                  replication timeout, ack age (min-replicas-max-lag), backoff, lag and
     *                  FAILOVER deadline, so that a wall-clock step neither keeps a dead replica
     *                  "good" nor stretches a write pause
     */
    public CacheNode(Settings settings, MillisClock clock, MillisClock monotonic, MasterConnector connector) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.announceAddress = settings.announceAddress();
        this.clock = Objects.requireNonNull(clock, "clock");
        this.monotonic = Objects.requireNonNull(monotonic, "monotonic");
        this.connector = Objects.requireNonNull(connector, "connector");
        this.replicationLog = ReplicationLog.fresh(idRandom, settings.backlogBytes(), monotonic);
        this.replicationLog.setAppendListener(() -> senderWakeup.run());
        this.keyspace = newKeyspace(KeyspaceRole.MASTER);
        this.snapshotFiles = new SnapshotFiles(settings.dataDir(), () -> keyspace, this::cut);
        this.master = new ReplicationMaster(replicationLog, snapshotFiles, settings.master(), monotonic,
                settings.replica().authToken());
        this.snapshotFiles.bind(master, sessions -> wakeSenders());
        this.replicationLog.setHistoryListener(this::onHistoryChanged);
        this.master.setUpstreamInSync(this::followingMaster);
        this.master.setFailoverTarget(this::takeOverForFailover);
        this.master.setLeaseEpoch(this::streamLease);
        this.failover = new FailoverCoordinator(this, monotonic);
    }

    /** A master, or a replica streaming from its master: what its own replicas may sync from. */
    private boolean followingMaster() {
        LinkDriver l = link;
        return l == null || l.link().state() == MasterLink.State.STREAMING;
    }

    /** Our history changed: our replicas reconnect to learn it (cascading keeps one history). */
    private void onHistoryChanged() {
        int dropped = master.historyChanged().size();
        if (dropped > 0) {
            log.info("Replication history changed (replId={} offset={}): disconnecting {} replica(s) so they resync against it",
                    replicationLog.replId(), replicationLog.offset(), dropped);
            wakeSenders();
        }
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
        if (writesStopped) {
            throw new NodeStoppingException();
        }
        LinkDriver l = link;
        if (l != null) {
            throw new ReadOnlyReplicaException(l.master().toString());
        }
        String noLease = election.refusal();
        if (noLease != null) {
            throw new NoLeaseException(noLease);
        }
        WriteGuards guards = settings.guards();
        if (guards.minReplicasToWrite() > 0) {
            long maxLagMs = guards.minReplicasMaxLag().toMillis();
            int good = master.goodReplicas(maxLagMs);
            if (good < guards.minReplicasToWrite()) {
                throw new NotEnoughReplicasException(good, guards.minReplicasToWrite(), maxLagMs);
            }
        }
        WriteMarker.mark();
        return keyspace;
    }

    /**
     * Throttle policy for slow replicas: how long the transport should hold a write's response
     * (0 when every replica keeps up or under the disconnect policy).
     */
    public long throttleDelayMs() {
        return master.throttleDelayMs();
    }

    /** {@link #throttleDelayMs()} for a write the transport is about to hold, counted as throttled when > 0. */
    public long throttleDelayForWrite() {
        return throttleDelayForWrites(1);
    }

    /** As {@link #throttleDelayForWrite()} for {@code writes} writes answered together: each is held once. */
    public long throttleDelayForWrites(int writes) {
        long delay = master.throttleDelayMs();
        if (delay > 0 && writes > 0) {
            throttledWrites.add(writes);
        }
        return delay * writes;
    }

    /** Writes whose response the throttle held (a metric). */
    public long throttledWrites() {
        return throttledWrites.sum();
    }

    /** Whether writes may be throttled at all (the transports then watch every write). */
    public boolean throttles() {
        return settings.master().slowReplicas().mode() == dev.replcache.replication.SlowReplicaPolicy.Mode.THROTTLE;
    }

    /**
     * WAIT: completes with the number of replicas that acked {@code offset} (the caller's last
     * write: any offset at or after it) once {@code replicas} did, or with the count so far when
     * the timeout passes. A timeout of 0 waits up to {@code max-wait-timeout}, as long as allowed.
     *
     * @throws ReadOnlyReplicaException on a replica (Redis: WAIT cannot be used with replica instances)
     */
    public java.util.concurrent.CompletableFuture<Integer> waitForReplicas(long offset, int replicas, long timeoutMs) {
        LinkDriver l = link;
        if (l != null) {
            throw new ReadOnlyReplicaException("ERR WAIT cannot be used with replica instances; the master is at "
                    + l.master(), l.master().toString());
        }
        if (replicas < 0 || timeoutMs < 0) {
            throw new InvalidRequestException("wait: replicas and timeout must be >= 0");
        }
        long max = settings.guards().maxWaitTimeout().toMillis();
        long timeout = timeoutMs == 0 ? max : Math.min(timeoutMs, max);
        java.util.concurrent.CompletableFuture<Integer> acked = master.awaitAcks(offset, replicas);
        if (acked.isDone()) {
            return acked;
        }
        if (!master.requestAcks().isEmpty()) {
            wakeSenders();
        }
        ScheduledExecutorService timers = scheduler;
        if (timers == null) {
            master.cancelWait(acked);
            return java.util.concurrent.CompletableFuture.completedFuture(master.ackedCount(offset));
        }
        timers.schedule(() -> {
            master.cancelWait(acked);
            acked.complete(master.ackedCount(offset));
        }, timeout, TimeUnit.MILLISECONDS);
        return acked;
    }

    /** Asks every online replica to ack now. */
    void requestAcks() {
        if (!master.requestAcks().isEmpty()) {
            wakeSenders();
        }
    }

    /** The stream offset after every write applied so far: what a WAIT for "my writes" waits for. */
    public long offset() {
        return replicationLog.offset();
    }

    /** Runs a delayed action on the node's timer thread (the transports' non-blocking throttle). */
    public void schedule(Runnable action, long delayMs) {
        ScheduledExecutorService timers = scheduler;
        if (timers == null || delayMs <= 0) {
            action.run();
            return;
        }
        try {
            timers.schedule(action, delayMs, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            action.run();
        }
    }

    /**
     * FAILOVER [TO host port] [TIMEOUT ms], as Redis's: pause writes, wait until the target (or
     * the most up-to-date replica) acked everything, hand the role over with a PSYNC FAILOVER and
     * follow it. Runs on its own thread; the future fails with {@link FailoverException} when it
     * cannot start or was aborted (writes then resume here).
     */
    public java.util.concurrent.CompletableFuture<FailoverCoordinator.Result> failover(HostPort to, long timeoutMs) {
        long max = settings.guards().failoverMaxTimeout().toMillis();
        if (timeoutMs > max) {
            throw new InvalidRequestException("failover: timeoutMs " + timeoutMs + " is over the limit of " + max
                    + " ms (replcache.replication.failover-max-timeout)");
        }
        return failover.start(to, timeoutMs == 0 ? settings.guards().failoverTimeout().toMillis() : timeoutMs);
    }

    /** The longest a WAIT blocks ({@code replcache.replication.max-wait-timeout}). */
    public long maxWaitTimeoutMs() {
        return settings.guards().maxWaitTimeout().toMillis();
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
            if (l != null && announceAddress != null) {
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
     * REPLICAOF host port, from a client: follow another master. The dataset is kept and served
     * (read-only) until the master's stream replaces it; the link tries a partial resync first.
     *
     * @throws InvalidRequestException when the host does not resolve, or is this node itself
     */
    public void replicaOf(HostPort masterAddress) {
        checkNotSelf(masterAddress); // outside the lock: it may wait for DNS
        synchronized (this) {
            replicaOf(masterAddress, true);
        }
    }

    /** A REPLICAOF target must resolve and must not be this node's own gRPC server. */
    private void checkNotSelf(HostPort target) {
        java.net.InetAddress[] addresses;
        try {
            addresses = java.net.InetAddress.getAllByName(target.host());
        } catch (java.net.UnknownHostException e) {
            throw new InvalidRequestException("ERR cannot resolve the master host '" + target.host() + "'");
        }
        String announced = announceAddress;
        boolean self = announced != null && announced.equals(target.toString())
                || target.port() == listenPort && java.util.Arrays.stream(addresses).anyMatch(CacheNode::isLocal);
        if (self) {
            throw new InvalidRequestException("ERR " + target + " is this node's own address: a node cannot replicate from itself");
        }
    }

    private static boolean isLocal(java.net.InetAddress a) {
        if (a.isAnyLocalAddress() || a.isLoopbackAddress()) {
            return true;
        }
        try {
            return java.net.NetworkInterface.getByInetAddress(a) != null;
        } catch (java.net.SocketException e) {
            return false;
        }
    }

    /**
     * @param hasHistory false for a node that starts as a replica with no data: it asks for a
     *                   full sync with {@code ?} rather than offering a history nobody knows
     */
    public synchronized void replicaOf(HostPort masterAddress, boolean hasHistory) {
        if (failover.blocksRoleChange()) {
            throw new FailoverException("ERR a failover is in progress", false);
        }
        LinkDriver current = link;
        boolean unknownFailover = current != null && current.link().failoverPending();
        if (current != null && current.master().equals(masterAddress) && !unknownFailover) {
            return;
        }
        // A failover whose outcome is unknown: the operator decides, and a plain link replaces the handshake.
        failover.abandon();
        follow(masterAddress, hasHistory, null);
    }

    /** @param failoverKey the target's handover key when this follow is a failover handshake, else null */
    private LinkDriver follow(HostPort masterAddress, boolean hasHistory, String failoverKey) {
        boolean failoverHandshake = failoverKey != null;
        LinkDriver current = link;
        long generation = nextLinkGeneration(); // before the close: the old link's load, if any, is void
        long ownHistoryEpoch = historyEpoch();
        promotedFromLease = LeaseEpoch.NONE;
        if (current != null) {
            retire(current);
        }
        keyspace.setRole(KeyspaceRole.REPLICA);
        MasterLink masterLink = new MasterLink(replicationLog, new ReplicaDataset(settings.dataDir(),
                () -> keyspace, this::newReplicaKeyspace,
                (loaded, replId, offset, beforeSwap) -> installFromLink(generation, loaded, replId, offset, beforeSwap),
                settings.dumpFile(),
                () -> snapshotLoadLimits(keyspace.usedMemory())), settings.replica(), monotonic,
                random.split(), nodeId(), () -> announceAddress, hasHistory, newHandoverKey());
        masterLink.setRespPort(() -> respPort);
        masterLink.setEpochFloor(() -> election.knownEpoch());
        masterLink.setHistoryEpoch(ownHistoryEpoch);
        if (failoverHandshake) {
            masterLink.startFailover(failoverKey);
        }
        LinkDriver driver = new LinkDriver(masterLink, masterAddress, connector);
        link = driver;
        log.info("Now a replica of {}{}", masterAddress, failoverHandshake ? " (failover: handing the master role over)" : "");
        election.roleChanged();
        if (announceAddress != null) {
            driver.tick(); // else the first tick after the gRPC server listens connects
        }
        return driver;
    }

    /** Failover, before the pause: the client side of the handshake to come, set up now. */
    void warmUpConnection(HostPort target, long timeoutMs) {
        connector.warmUp(target, timeoutMs);
    }

    /** Failover, on the old master: follow the target with a PSYNC FAILOVER. */
    synchronized LinkDriver followForFailover(HostPort target, String targetHandoverKey) {
        return follow(target, true, targetHandoverKey);
    }

    /**
     * Failover refused by the target (its link asks no more, so no answer can follow): this node
     * is the master again, same history. A no-op when an operator replaced the link meanwhile.
     */
    synchronized void revertFailover(LinkDriver driver) {
        if (link == driver) {
            nextLinkGeneration();
            link = null;
            driver.close();
            keyspace.setRole(KeyspaceRole.MASTER);
            log.warn("Failover aborted: master again with replId={} offset={}", replicationLog.replId(),
                    replicationLog.offset());
        }
    }

    LinkDriver currentLink() {
        return link;
    }

    private String newHandoverKey() {
        byte[] key = new byte[16];
        idRandom.nextBytes(key);
        return java.util.HexFormat.of().formatHex(key);
    }

    private static boolean sameKey(String expected, String presented) {
        return dev.replcache.config.BearerToken.of(expected).map(key -> key.matches(presented)).orElse(false);
    }

    /**
     * Failover, on the target: our master, paused at {@code (replId, offset)}, hands over. We take
     * it only with exactly that history, so that nothing it acknowledged is lost; and only from
     * the master we follow, which proves it with the handover key our link sent it in Hello (the
     * replication token alone only lets a peer sync).
     */
    private synchronized ReplicationMaster.Refusal takeOverForFailover(ReplicationId replId, long offset,
                                                                       String handoverKey) {
        LinkDriver l = link;
        if (l == null) {
            if (replicationLog.replId2().equals(replId) && replicationLog.secondReplOffset() == offset) {
                // We continue this master's history from exactly this point: we took over from it and its
                // answer was lost (or we were promoted there). Answering it promotes nothing: it is the
                // CONTINUE any PSYNC of that point gets, so it needs no handover key.
                return null;
            }
            // Maybe we did take over from it and then lost the proof (an unclean restart starts a new replId).
            return new ReplicationMaster.Refusal("this node is already a master (replId " + replicationLog.replId()
                    + " offset " + replicationLog.offset() + ")", false);
        }
        if (!sameKey(l.link().handoverKey(), handoverKey)) {
            log.warn("Failover takeover refused: the sender is not the master this node follows ({})", l.master());
            return new ReplicationMaster.Refusal(
                    "the sender is not the master this replica follows (handover key mismatch)", true);
        }
        ReplicationId ours = replicationLog.replId();
        long ourOffset = replicationLog.offset();
        if (!ours.equals(replId) || ourOffset != offset) {
            return new ReplicationMaster.Refusal("this replica is at " + ours + " offset " + ourOffset + ", the master at "
                    + replId + " offset " + offset, true);
        }
        log.info("Failover: master {} hands its role over at offset {}", l.master(), offset);
        promote();
        return null;
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
        if (failover.blocksRoleChange() && current.link().failoverPending()) {
            throw new FailoverException("ERR a failover is in progress", false);
        }
        failover.abandon(); // a failover whose outcome is unknown: the operator decides, under a new replId
        // Order matters: the old history must end exactly where our master's stream stopped. Stop
        // applying it, then shift the id, and only then take writes (link == null) and expire keys
        // (role MASTER): a write or DEL landing before the shift would be logged under the old id,
        // past what its master had, and a replica of that master could continue across it. A snapshot
        // the link is loading now must not install after this (it would bring the old master back).
        nextLinkGeneration();
        promotedFromLease = current.link().masterLease();
        retire(current);
        replicationLog.shiftReplicationId(ReplicationId.random(idRandom));
        promotedAtMs = monotonic.millis();
        keyspace.setRole(KeyspaceRole.MASTER);
        link = null;
        log.info("Promoted to master: replId={} replId2={} valid up to offset {}", replicationLog.replId(),
                replicationLog.replId2(), replicationLog.secondReplOffset());
        election.roleChanged();
    }

    /** Closes a link this node leaves, keeping whether it ever synced (a candidate's "synced in this run"). */
    private void retire(LinkDriver old) {
        syncedBefore |= old.link().everSynced();
        old.close();
    }

    /** Drops the link to the master (it reconnects, resyncing partially when it can). */
    public void disconnectFromMaster(String reason) {
        LinkDriver l = link;
        if (l != null) {
            l.disconnect(reason);
        }
    }

    /**
     * The bounds for loading a snapshot now (a dump file at start, a full sync's file on a
     * replica): keys and values as clients may write them, and a heap budget for the whole load,
     * {@code replcache.snapshot.max-load-memory}, or by default three quarters of the JVM's
     * maximum heap less {@code heldBytes}, the dataset that stays in service meanwhile.
     */
    RdbLimits snapshotLoadLimits(long heldBytes) {
        long budget = settings.maxLoadMemoryBytes() > 0 ? settings.maxLoadMemoryBytes()
                : Math.max(0, Runtime.getRuntime().maxMemory() / 4 * 3 - heldBytes);
        return new RdbLimits(settings.limits().maxKeyBytes(), settings.limits().maxValueBytes(), 1L << 30, budget);
    }

    private Keyspace newReplicaKeyspace() {
        return newKeyspace(KeyspaceRole.REPLICA);
    }

    /** An empty keyspace logging to this node's history, in {@code role}: to load a file into. */
    Keyspace newKeyspace(KeyspaceRole role) {
        Keyspace ks = new Keyspace(settings.keyspace(), clock, random.split(), replicationLog);
        ks.setRole(role);
        ks.setTimeDeletionGuard(() -> election.mayWrite());
        return ks;
    }

    /**
     * The gRPC server listens at {@code address}: announced to our master unless
     * {@code replcache.replication.announce-address} says otherwise. Until then the link waits.
     */
    public void listeningAt(String address) {
        listenPort = HostPort.parse(address, "the gRPC listen address").port();
        if (settings.announceAddress() == null) {
            announceAddress = address;
        }
    }

    /**
     * The RESP server listens on {@code port} (0 = stopped): a replica announces it to its master
     * in Hello (Redis's REPLCONF listening-port). When it changes while the link is up (a RESP
     * server on any free port, known only once it listens), the link reconnects to announce it.
     */
    public void respListeningAt(int port) {
        int before = respPort;
        respPort = port;
        LinkDriver l = link;
        if (l != null && before != port && port != 0 && l.link().state() != MasterLink.State.DOWN) {
            l.disconnect("announce the RESP port " + port);
        }
    }

    /** The port of this node's RESP server, 0 when it has none. */
    public int respPort() {
        return respPort;
    }

    /**
     * Puts a loaded dataset in service as the version {@code (replId, offset)} of the history,
     * with an empty backlog from there: a full sync's snapshot, or the dump file at start.
     */
    void install(Keyspace loaded, ReplicationId replId, long offset) {
        synchronized (datasetLock) {
            keyspace = loaded;
            replicationLog.resetTo(replId, offset);
        }
    }

    /**
     * A full sync's install, for the link of {@code generation}: refused when the link was
     * replaced meanwhile (a promotion or a REPLICAOF while the snapshot loaded), which would
     * otherwise put the old master's data and history back under a node that moved on.
     */
    void installFromLink(long generation, Keyspace loaded, ReplicationId replId, long offset, Runnable beforeSwap) {
        synchronized (datasetLock) {
            if (generation != linkGeneration) {
                throw new IllegalStateException("the link that loaded this snapshot was replaced (a promotion or a"
                        + " REPLICAOF meanwhile): the snapshot is discarded");
            }
            beforeSwap.run();
            keyspace = loaded;
            replicationLog.resetTo(replId, offset);
        }
    }

    /** The current link's generation (tests). */
    long linkGeneration() {
        synchronized (datasetLock) {
            return linkGeneration;
        }
    }

    /** A new link, or none: a load of an older link in flight can no longer install. */
    private long nextLinkGeneration() {
        synchronized (datasetLock) {
            return ++linkGeneration;
        }
    }

    /** A point-in-time cut of the dataset in service, and the exact {@code (replId, offset)} it holds. */
    record Cut(KeyspaceSnapshot snapshot, ReplicationId replId) {
        long offset() {
            return snapshot.offset();
        }
    }

    /**
     * Cuts the dataset in service (O(1); writes go on, see {@link Keyspace#openSnapshot}). The id
     * and offset are read inside the keyspace's write lock, and no full sync can swap the dataset
     * meanwhile, so the file made from the cut is exactly {@code (replId, offset)}.
     */
    Cut cut() {
        synchronized (datasetLock) {
            ReplicationId[] id = new ReplicationId[1];
            KeyspaceSnapshot snapshot = keyspace.openSnapshot(() -> {
                PsyncDecision.History h = replicationLog.history();
                id[0] = h.replId();
                return h.masterOffset();
            });
            return new Cut(snapshot, id[0]);
        }
    }

    /**
     * Shutdown, first step: client writes are refused from now on ({@link NodeStoppingException}),
     * and the keyspace stops deleting by its clock (it hides expired keys, as a replica does), so
     * this node's stream ends where it is now: a snapshot taken later holds exactly what its
     * replicas can have. The master's DELs for expired keys come after the restart.
     */
    void stopWrites() {
        writesStopped = true;
        keyspace.setRole(KeyspaceRole.REPLICA);
    }

    /** The master this node follows, null on a master. */
    public HostPort masterAddress() {
        LinkDriver l = link;
        return l == null ? null : l.master();
    }

    /** The link to our master, for read-only views (state, progress, counters); null on a master. */
    public MasterLink masterLink() {
        LinkDriver l = link;
        return l == null ? null : l.link();
    }

    /**
     * Who elects the master when it is not configured ({@code replcache.failover.mode=lease}): it
     * fences client writes and shows in the replication view.
     */
    public interface Election {
        Election NONE = new Election() {
            @Override
            public String refusal() {
                return null;
            }

            @Override
            public ReplicationView.LeaseView view() {
                return null;
            }
        };

        /** Null while this node may take client writes as a master, else why not. */
        String refusal();

        /** Whether this node may extend its history now (client writes, expiry, eviction) as a master. */
        default boolean mayWrite() {
            return refusal() == null;
        }

        /** The election as this node sees it, or null. */
        ReplicationView.LeaseView view();

        /** The newest lease epoch this node has seen: a master's stream of an older one is refused. */
        default long knownEpoch() {
            return -1;
        }

        /** The lease this node holds as a master, which its stream carries; NONE when it holds none. */
        default LeaseEpoch heldLease() {
            return LeaseEpoch.NONE;
        }

        /**
         * The node became a replica or a master (REPLICAOF, FAILOVER, promotion): the election
         * looks again soon rather than at its next period. Called under the node's lock: it must
         * only schedule.
         */
        default void roleChanged() {
        }
    }

    /**
     * The lease this node's replication stream carries: its own as a master, its master's as a
     * replica (so a cascade passes it on).
     */
    public LeaseEpoch streamLease() {
        LinkDriver l = link;
        if (l != null) {
            return l.link().masterLease();
        }
        LeaseEpoch held = election.heldLease();
        return held.isNone() ? promotedFromLease : held;
    }

    /** The lease epoch of the last entry this node holds ({@link LeaseEpoch#historyEpochAt}), -1 when unknown. */
    public long historyEpoch() {
        return streamLease().historyEpochAt(replicationLog.offset());
    }

    public void setElection(Election election) {
        this.election = Objects.requireNonNull(election, "election");
    }

    /**
     * Whether this node completed a sync with a master in this run (on its current link or an
     * earlier one): its data is a master's history, not only what a dump file held.
     */
    public boolean syncedThisRun() {
        MasterLink l = masterLink();
        return syncedBefore || l != null && l.everSynced();
    }

    /** The node's monotonic clock (elapsed time for timeouts and lag; never the wall clock). */
    public MillisClock monotonicClock() {
        return monotonic;
    }

    /** How long ago this node was last promoted to master (monotonic ms), -1 if it never was in this run. */
    public long msSincePromotion() {
        long at = promotedAtMs;
        return at < 0 ? -1 : monotonic.millis() - at;
    }

    /** {@code host:port} this node announces to its master and its peers, null before it is known. */
    public String announceAddress() {
        return announceAddress;
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
                            p.startedAtMs() < 0 ? 0 : monotonic.millis() - p.startedAtMs()), ml.refusedFullResync());
        }
        return ReplicationView.of(role(), replicationLog, master, masterView, keyspace.writesPaused(),
                failover.state().redisName(), election.view());
    }

    @Override
    public synchronized void close() {
        failover.close();
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
