package dev.replcache.failover;

import dev.replcache.config.ReplicationProperties.HostPort;
import dev.replcache.keyspace.MillisClock;
import dev.replcache.node.CacheNode;
import dev.replcache.node.FailoverCoordinator;
import dev.replcache.node.ReplicationView;
import dev.replcache.ops.PeerInfoClient;
import dev.replcache.replication.LeaseEpoch;
import dev.replcache.replication.MasterLink;
import dev.replcache.replication.ReplicationMaster;
import dev.replcache.replication.lease.Candidacy;
import dev.replcache.replication.lease.LeaseElector;
import dev.replcache.replication.lease.LeaseRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives a node's role from the lease ({@code replcache.failover.mode=lease}), on one thread:
 * every retry period it steps the {@link LeaseElector}, then makes the node what the lease says.
 * <ul>
 *   <li>it takes the lease as a replica: it promotes itself (REPLICAOF NO ONE), keeping the old
 *       replId as replId2 so the others resync partially;</li>
 *   <li>another node holds the lease: it follows the holder's announced address (a returning old
 *       master becomes a replica here);</li>
 *   <li>it holds the lease while an operator made it a replica: it releases the lease.</li>
 * </ul>
 * Client writes go through {@link #refusal()}: only the holder writes, and only until its fence
 * (renew-deadline after its last renewal) closes. At a clean stop the holder runs FAILOVER to its
 * best replica and hands the lease to it ({@link #handOverForShutdown}).
 */
public final class LeaseFailover implements CacheNode.Election, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LeaseFailover.class);

    /** The step interval while a freshly promoted master waits for its handover. */
    private static final long FAST_POLL_MS = 100;

    /**
     * The node's name and the retry period are the elector's ({@link LeaseElector#settings()}).
     *
     * @param peers          the siblings' gRPC addresses (this node's own may be among them)
     * @param handoverWaitMs how long a master promoted by a failover waits for the lease before it
     *                       follows whoever holds it
     */
    public record Settings(int priority, List<String> peers, Duration peerTimeout, long handoverWaitMs) {
        public Settings {
            peers = List.copyOf(peers);
        }
    }

    /**
     * Where the node's role is published for the Services to select (its pod's
     * {@code replcache.dev/role} label): {@code master} while it takes writes, else {@code replica}.
     */
    public interface RolePublisher {
        RolePublisher NONE = role -> { };

        /** @throws RuntimeException when it could not: it is tried again next round */
        void publish(String role);
    }

    private final CacheNode node;
    private final LeaseElector elector;
    private final RolePublisher rolePublisher;
    private volatile String publishedRole;
    private volatile String lastPublishFailure;
    private final PeerInfoClient peerInfo;
    private final Settings settings;
    private final MillisClock monotonic;
    private final ScheduledExecutorService timer;
    private final AtomicLong transitions = new AtomicLong();
    private final AtomicLong chain = new AtomicLong();
    private final Object stepLock = new Object();
    private volatile boolean heldThisRun;
    /** The lease this node streams as a master; NONE once it becomes a replica (see {@link #roleChanged}). */
    private volatile LeaseEpoch heldLease = LeaseEpoch.NONE;
    private volatile boolean stopped;
    private volatile String lastTransition;
    private volatile long lastTransitionAtMs = -1;
    private volatile String lastReason = "not started";

    public LeaseFailover(CacheNode node, LeaseElector elector, PeerInfoClient peerInfo, Settings settings,
                         MillisClock monotonic, RolePublisher rolePublisher) {
        this.node = node;
        this.rolePublisher = rolePublisher;
        this.elector = elector;
        this.peerInfo = peerInfo;
        this.settings = settings;
        this.monotonic = monotonic;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lease-elector");
            t.setDaemon(true);
            return t;
        });
    }

    public void start() {
        log.info("Lease failover: node {} (priority {}, elector identity {}), siblings {}", elector.settings().name(),
                settings.priority(), elector.settings().identity(), settings.peers());
        long generation = chain.get();
        timer.execute(() -> tick(generation));
    }

    /**
     * One round, then the next one scheduled. Each chain of rounds has a generation: a role change
     * starts a new chain at once (its rounds may need to come faster), and the old one ends.
     */
    private void tick(long generation) {
        if (stopped || generation != chain.get()) {
            return;
        }
        try {
            synchronized (stepLock) {
                if (!stopped) {
                    round();
                    publishRole();
                }
            }
        } catch (RuntimeException e) {
            log.error("Lease failover: a round failed", e);
        } finally {
            if (!stopped && generation == chain.get()) {
                try {
                    timer.schedule(() -> tick(generation), nextDelayMs(), TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // stopping
                }
            }
        }
    }

    @Override
    public void roleChanged() {
        if (node.masterAddress() != null) {
            // A replica streams its master's lease; should a failover promote it, it holds none of its own.
            heldLease = LeaseEpoch.NONE;
        }
        if (!stopped) {
            long generation = chain.incrementAndGet();
            try {
                timer.execute(() -> tick(generation)); // after the current round, if any: the lock orders them
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // stopping
            }
        }
    }

    private long nextDelayMs() {
        return awaitingHandover() ? FAST_POLL_MS : elector.settings().retryPeriodMs();
    }

    /** A master that a failover promoted, not yet holding the lease: its old master hands it over. */
    private boolean awaitingHandover() {
        long since = node.msSincePromotion();
        return node.masterAddress() == null && !elector.view().leading() && since >= 0
                && since < settings.handoverWaitMs();
    }

    /** One step of the elector, then the role the lease asks for. */
    void round() {
        String address = node.announceAddress();
        if (address == null) {
            return; // the gRPC server does not listen yet: nobody could follow us
        }
        // The epoch of our last entry before this round: a FAILOVER's target still streams its old
        // master's lease (CacheNode.streamLease), so its history keeps that epoch.
        long previousEpoch = node.historyEpoch();
        LeaseElector.Outcome o = elector.step(address, this::whyNotStand, this::awaitingHandover);
        lastReason = o.reason();
        LeaseElector.View v = o.view();
        if (o.change() != LeaseElector.Change.NONE) {
            transition(o.change(), o);
        }
        if (v.leading()) {
            heldThisRun = true;
            boolean newEpoch = heldLease.epoch() != v.epoch();
            if (node.masterAddress() != null) {
                if (o.change() == LeaseElector.Change.ACQUIRED) {
                    log.info("Lease failover: promoting this node to master (epoch {})", v.epoch());
                    node.promote();
                    // Its entries past the end of the old master's history are of the new epoch.
                    heldLease = new LeaseEpoch(v.epoch(), node.replicationLog().secondReplOffset(), previousEpoch);
                } else {
                    // An operator moved this node under another (FAILOVER, REPLICAOF): the lease goes
                    // where it now replicates from; a FAILOVER's target takes it at its next step, and
                    // any other node leaves it until it runs out, when the set elects again.
                    String to = node.masterAddress().toString();
                    boolean handed = elector.handOver(to, to);
                    log.info("Lease failover: this node holds the lease but follows {}; {}", to,
                            handed ? "handed the lease over to it" : "could not hand the lease over");
                    transition(LeaseElector.Change.LOST, new LeaseElector.Outcome(elector.view(),
                            LeaseElector.Change.LOST, "handed over: an operator made this node a replica of " + to));
                }
            } else if (newEpoch) {
                heldLease = new LeaseEpoch(v.epoch(), node.replicationLog().offset(), previousEpoch);
            }
            return;
        }
        follow(v.holder(), v.holderLive(), address);
    }

    private void follow(LeaseRecord holder, boolean live, String self) {
        if (holder == null || !live || holder.address().isEmpty() || holder.address().equals(self)) {
            return; // nobody to follow (or our own previous run's claim, which runs out)
        }
        HostPort current = node.masterAddress();
        if (current == null && awaitingHandover()) {
            return;
        }
        if (current != null && current.toString().equals(holder.address())) {
            return;
        }
        HostPort target;
        try {
            target = HostPort.parse(holder.address(), "the lease holder's address");
        } catch (IllegalArgumentException e) {
            log.warn("Lease failover: the lease holder {} announced an unusable address: {}", holder.holderName(),
                    e.getMessage());
            return;
        }
        try {
            log.info("Lease failover: following the lease holder {} at {} (epoch {}), was {}", holder.holderName(),
                    target, holder.transitions(), current == null ? "a master" : "following " + current);
            node.replicaOf(target);
        } catch (RuntimeException e) {
            log.warn("Lease failover: cannot follow {} yet: {}", target, e.getMessage());
        }
    }

    private void publishRole() {
        String role = elector.mayWrite() && node.masterAddress() == null ? "master" : "replica";
        if (!role.equals(publishedRole)) {
            try {
                rolePublisher.publish(role);
                publishedRole = role;
                lastPublishFailure = null;
                log.info("Lease failover: published role {}", role);
            } catch (RuntimeException e) {
                // Tried again every round; said once until it changes.
                if (!String.valueOf(e.getMessage()).equals(lastPublishFailure)) {
                    log.warn("Lease failover: cannot publish role {} yet (retrying every round): {}", role,
                            e.getMessage());
                }
                lastPublishFailure = String.valueOf(e.getMessage());
            }
        }
    }

    private void transition(LeaseElector.Change change, LeaseElector.Outcome o) {
        transitions.incrementAndGet();
        String what = change.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + ": " + o.reason();
        lastTransition = what;
        lastTransitionAtMs = monotonic.millis();
        LeaseRecord h = o.view().holder();
        log.info("Lease transition at epoch {}: {} (holder {})", o.view().epoch(), what,
                h == null ? "none" : h.holderName() + " at " + h.address());
    }

    /** The candidate rules, asked only when the lease is free; null when this node stands. */
    private String whyNotStand() {
        Candidacy.Candidate me = self();
        List<CompletableFuture<Optional<Candidacy.Candidate>>> calls = new ArrayList<>();
        String address = node.announceAddress();
        for (String peer : settings.peers()) {
            if (!peer.equals(address)) {
                calls.add(askCandidate(peer));
            }
        }
        List<Optional<Candidacy.Candidate>> siblings = new ArrayList<>();
        for (CompletableFuture<Optional<Candidacy.Candidate>> call : calls) {
            Optional<Candidacy.Candidate> c = call.join(); // each is bounded by the peer timeout
            if (c.isEmpty() || !c.get().name().equals(me.name())) {
                siblings.add(c);
            }
        }
        return Candidacy.whyNotStand(me, siblings);
    }

    /** A sibling's candidacy as it answers within the peer timeout; empty when it does not (or cannot). */
    private CompletableFuture<Optional<Candidacy.Candidate>> askCandidate(String address) {
        try {
            return peerInfo.info(address, settings.peerTimeout()).thenApply(LeaseFailover::candidate)
                    .exceptionally(e -> Optional.empty());
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
    }

    private static Optional<Candidacy.Candidate> candidate(PeerInfoClient.PeerInfo info) {
        PeerInfoClient.PeerInfo.Candidacy c = info.candidacy();
        if (c == null) {
            return Optional.empty();
        }
        // A sibling that cannot reach the API server cannot take the lease: it must not hold the others back.
        return Optional.of(new Candidacy.Candidate(c.name(), c.priority(), c.historyEpoch(), info.offset(), c.synced(),
                c.refused() || !c.apiReachable()));
    }

    private Candidacy.Candidate self() {
        return new Candidacy.Candidate(elector.settings().name(), settings.priority(), node.historyEpoch(),
                node.replicationLog().offset(), synced(), refusedResync());
    }

    private boolean synced() {
        return heldThisRun || node.syncedThisRun();
    }

    /** This node's link refused a full resync (to protect its data): it does not stand until REPLICAOF. */
    private boolean refusedResync() {
        MasterLink l = node.masterLink();
        return l != null && l.refusedFullResync() != null;
    }

    @Override
    public long knownEpoch() {
        return elector.view().epoch();
    }

    @Override
    public LeaseEpoch heldLease() {
        return heldLease;
    }

    @Override
    public boolean mayWrite() {
        return elector.mayWrite();
    }

    @Override
    public String refusal() {
        if (elector.mayWrite()) {
            return null;
        }
        LeaseElector.View v = elector.view();
        if (v.leading()) {
            return "it could not renew the lease within renew-deadline";
        }
        LeaseRecord h = v.holder();
        if (h != null && v.holderLive() && !h.address().equals(node.announceAddress())) {
            return "the lease is held by " + h.holderName() + " at " + h.address() + ", epoch " + v.epoch();
        }
        return lastReason;
    }

    @Override
    public ReplicationView.LeaseView view() {
        LeaseElector.View v = elector.view();
        LeaseRecord h = v.holder();
        long at = lastTransitionAtMs;
        return new ReplicationView.LeaseView(elector.settings().name(), settings.priority(), synced(), refusedResync(), v.leading(), elector.mayWrite(), v.epoch(),
                h == null ? null : h.holderName(), h == null ? null : h.address(), v.holderLive(), v.reachable(),
                transitions.get(), lastTransition, at < 0 ? -1 : monotonic.millis() - at, node.historyEpoch());
    }

    /**
     * A clean stop of the lease holder: FAILOVER to its most caught-up replica (writes pause, the
     * replica acks the last offset, takes over), then the lease goes to it under a new epoch. With
     * no replica, or when the failover fails, the lease is released so the others elect at once.
     * The elector's thread is stopped first: nothing renews behind this.
     */
    public void handOverForShutdown(long timeoutMs) {
        stopTimer();
        synchronized (stepLock) {
            if (!elector.view().leading()) {
                return;
            }
            HostPort to = node.masterAddress() == null ? handoverTarget() : null;
            if (to != null) {
                long start = monotonic.millis();
                try {
                    FailoverCoordinator.Result r = node.failover(to, timeoutMs).get(timeoutMs + 1_000,
                            TimeUnit.MILLISECONDS);
                    if (elector.handOver(r.newMaster(), r.newMaster())) {
                        publishRole(); // replica: the write Service stops selecting this pod
                        log.info("Shutdown: handed the master role and the lease (epoch {}) over to {} in {} ms; "
                                + "writes paused {} ms", elector.view().epoch(), r.newMaster(),
                                monotonic.millis() - start, r.pausedMs());
                        return;
                    }
                    log.warn("Shutdown: failover to {} done but the lease could not be handed over; releasing it",
                            r.newMaster());
                } catch (java.util.concurrent.ExecutionException e) {
                    log.warn("Shutdown: failover failed ({}); releasing the lease", e.getCause().getMessage());
                } catch (java.util.concurrent.TimeoutException | RuntimeException e) {
                    log.warn("Shutdown: failover did not finish ({}); releasing the lease", e.toString());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            boolean released = elector.release();
            publishRole();
            log.info("Shutdown: {} the lease", released ? "released" : "could not release");
        }
    }

    /**
     * The online replica to hand over to: the most caught-up one that may be the master (its
     * priority is not 0 and it refused no resync, as it answers), or null when there is none.
     */
    private HostPort handoverTarget() {
        List<ReplicationMaster.OnlineReplica> online = new ArrayList<>(node.master().onlineReplicas());
        online.sort(java.util.Comparator.comparingLong(ReplicationMaster.OnlineReplica::ackOffset).reversed());
        for (ReplicationMaster.OnlineReplica r : online) {
            if (r.address().isEmpty()) {
                continue;
            }
            Optional<Candidacy.Candidate> c = askCandidate(r.address()).join(); // bounded by the peer timeout
            if (c.isPresent() && c.get().priority() > 0 && !c.get().refused()) {
                try {
                    return HostPort.parse(r.address(), "the replica's announced address");
                } catch (IllegalArgumentException e) {
                    log.warn("Shutdown: replica {} announced an unusable address", r.address());
                }
            }
        }
        log.info("Shutdown: no replica may take over (online: {})", online.stream()
                .map(ReplicationMaster.OnlineReplica::address).toList());
        return null;
    }

    private void stopTimer() {
        stopped = true;
        timer.shutdown();
        try {
            timer.awaitTermination(settings.peerTimeout().toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stopTimer();
        synchronized (stepLock) {
            if (elector.view().leading()) {
                elector.release();
            }
        }
    }

    /** For the metrics. */
    public long transitionCount() {
        return transitions.get();
    }

    public LeaseElector elector() {
        return elector;
    }
}
