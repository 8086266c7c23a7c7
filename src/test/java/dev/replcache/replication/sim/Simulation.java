package dev.replcache.replication.sim;

import dev.replcache.keyspace.Bytes;
import dev.replcache.keyspace.Entry;
import dev.replcache.keyspace.Keyspace;
import dev.replcache.keyspace.KeyspaceException;
import dev.replcache.keyspace.KeyspaceRole;
import dev.replcache.keyspace.SetCondition;
import dev.replcache.keyspace.Ttl;
import dev.replcache.replication.MasterConfig;
import dev.replcache.replication.MasterLink;
import dev.replcache.replication.MasterMessage;
import dev.replcache.replication.PsyncDecision;
import dev.replcache.replication.ReplicaConfig;
import dev.replcache.replication.ReplicaInfo;
import dev.replcache.replication.ReplicaMessage;
import dev.replcache.replication.ReplicaSession;
import dev.replcache.replication.ReplicationId;
import dev.replcache.replication.ReplicationLog;
import dev.replcache.replication.ReplicationMaster;
import dev.replcache.replication.SlowReplicaPolicy;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

/**
 * A seeded, deterministic simulation of a small ReplCache cluster over an in-memory twin of the
 * gRPC stream (FIFO per direction, delays, a flow-control window, cuts).
 *
 * <p>Three or four nodes form a tree: one primary and replicas whose upstream is the primary or
 * another replica (cascading, up to three levels). On top of random writes of every kind, small
 * backlogs that overflow and snapshots written while writes go on, the schedule re-points
 * replicas (REPLICAOF), restarts nodes empty or cleanly from their own snapshot, kills the
 * primary and promotes a replica, runs coordinated failovers (pause, wait for the target's ack,
 * PSYNC FAILOVER, success or abort) towards good and bad targets, restarts the primary empty
 * while replicas hold data (no silent wipe, then the operator's fix), and records WAIT-acked
 * offsets to check invariant 5 when a replica that acked one is promoted.
 *
 * <p>The invariants of docs/architecture.md are checked during the run (offsets monotonic, no entry
 * applied twice or skipped, partial resync whenever the backlog covers the gap, one stream per
 * history on every node, one master, acknowledged writes kept by the promoted node) and after
 * quiescence (every node equals the final primary: same history, offset and data).
 *
 * <p>Everything runs on one thread from one seed: a failing seed reproduces the run.
 */
final class Simulation {

    /** Why a link may legitimately drop in this simulation; anything else is a bug. */
    private static final List<String> EXPECTED_DROPS = List.of(
            "sim:", "timeout", "replica fell behind the backlog", "full sync abandoned",
            // Cascading: the node's history changed (promotion, a new id, a full sync) under its replicas.
            "history changed",
            // Cascading: a replica serves syncs only while it follows its own master (NOMASTERLINK).
            "no master link",
            // Coordinated failover towards a target that is not exactly at the paused offset.
            "failover refused",
            // A failover handshake retried against a target that is a master (it may have taken over and restarted).
            "failover not taken",
            // No silent wipe: an empty master of another history.
            "refused full resync",
            // Slow replica policy (disconnect).
            "slow replica");

    static final int MAX_DEPTH = 3;
    /** {@code -Dreplcache.sim.trace=true}: prints the schedule's events (use with one seed). */
    private static final boolean TRACE = Boolean.getBoolean("replcache.sim.trace");
    /**
     * Whether messages arrive only once their delay (0-50 ms after the one before) passed on the
     * simulated clock; per seed, half the runs (slow networks: acks late, handshakes overtaken by
     * timeouts), the other half delivering at once (more of everything per run).
     */
    private final boolean honourDelays;
    /** How long the simulated operator lets a failover's outcome stay unknown before deciding. */
    private static final long OPERATOR_ENDS_UNKNOWN_FAILOVER_MS = 10_000;
    private static final int KEYS = 40;

    private final long seed;
    private final SplittableRandom random;
    private final ManualClock clock = new ManualClock(1_700_000_000_000L);
    private final ReplicaConfig replicaConfig;
    final List<SimNode> nodes = new ArrayList<>();
    private final Map<String, SimNode> byName = new HashMap<>();
    /** The node clients write to; null between the primary's death and the promotion. */
    SimNode primary;
    private final List<Conn> conns = new ArrayList<>();
    final Stats stats = new Stats();
    private int sessionCounter;
    private int stepNo;

    // Invariant 3 bookkeeping, by node index.
    private final String[] seenId;
    private final long[] seenOffset;
    private final boolean[] rollbackAllowed;
    private final String[] checkedAt;
    private final Keyspace[] checkedKeyspace;

    // Multi-step processes of the schedule.
    private Failover failover;
    private PendingPromotion pendingPromotion;
    private final List<Return> returns = new ArrayList<>();
    private Wipe wipe;
    private PendingWait pendingWait;
    /** The newest WAIT-acknowledged offset of the current primary's history, and who acked it. */
    private Acked acked;
    /**
     * The primary's dataset at each (replId, offset) it passed through, the newest 256: (replId,
     * offset) names one exact version of the data, so any node found at a recorded point must hold it.
     */
    private final Map<String, Map<Bytes, Entry>> versions = new java.util.LinkedHashMap<>(64, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Map<Bytes, Entry>> eldest) {
            return size() > 256;
        }
    };
    /** Replicas the operator lets take an empty full resync of their own lineage (see lineageRefusals). */
    private final List<SimNode> operatorAllowsEmpty = new ArrayList<>();

    /** Counters over a run, for the report. */
    static final class Stats {
        long writes;
        long pausedWrites;
        long fullSyncs;
        long partialSyncs;
        long cascadingSyncs;
        long cuts;
        long restarts;
        long cleanRestarts;
        long primaryCleanRestarts;
        long cleanRestartContinues;
        long primaryCleanRestartContinues;
        long dropsByMaster;
        long historyChangedDrops;
        long noMasterLinkDrops;
        long slowReplicaDrops;
        long repoints;
        long deaths;
        long returns;
        long promotions;
        long waitsAcked;
        long waitsTimedOut;
        long invariant5Checks;
        long failovers;
        long failoversOk;
        long failoversTimedOut;
        long failoversRefused;
        long failoversUnknown;
        long failoversUnknownEnded;
        long failoversNoTarget;
        long failoversBad;
        long failoversBadOk;
        long splitBrains;
        long refusals;
        long lineageRefusals;
        long staleRefusals;
        long rewindRefusals;
        long dumpRestarts;
        long dumpRestartHolders;
        long wipes;
        long wipesResolved;
        long wipeHoldersChecked;
        long rollbacks;
        long versionChecks;
        long throttledTicks;

        void add(Stats o) {
            writes += o.writes;
            pausedWrites += o.pausedWrites;
            fullSyncs += o.fullSyncs;
            partialSyncs += o.partialSyncs;
            cascadingSyncs += o.cascadingSyncs;
            cuts += o.cuts;
            restarts += o.restarts;
            cleanRestarts += o.cleanRestarts;
            primaryCleanRestarts += o.primaryCleanRestarts;
            cleanRestartContinues += o.cleanRestartContinues;
            primaryCleanRestartContinues += o.primaryCleanRestartContinues;
            dropsByMaster += o.dropsByMaster;
            historyChangedDrops += o.historyChangedDrops;
            noMasterLinkDrops += o.noMasterLinkDrops;
            slowReplicaDrops += o.slowReplicaDrops;
            repoints += o.repoints;
            deaths += o.deaths;
            returns += o.returns;
            promotions += o.promotions;
            waitsAcked += o.waitsAcked;
            waitsTimedOut += o.waitsTimedOut;
            invariant5Checks += o.invariant5Checks;
            failovers += o.failovers;
            failoversOk += o.failoversOk;
            failoversTimedOut += o.failoversTimedOut;
            failoversRefused += o.failoversRefused;
            failoversUnknown += o.failoversUnknown;
            failoversUnknownEnded += o.failoversUnknownEnded;
            failoversNoTarget += o.failoversNoTarget;
            failoversBad += o.failoversBad;
            failoversBadOk += o.failoversBadOk;
            splitBrains += o.splitBrains;
            refusals += o.refusals;
            lineageRefusals += o.lineageRefusals;
            staleRefusals += o.staleRefusals;
            rewindRefusals += o.rewindRefusals;
            dumpRestarts += o.dumpRestarts;
            dumpRestartHolders += o.dumpRestartHolders;
            wipes += o.wipes;
            wipesResolved += o.wipesResolved;
            wipeHoldersChecked += o.wipeHoldersChecked;
            rollbacks += o.rollbacks;
            versionChecks += o.versionChecks;
            throttledTicks += o.throttledTicks;
        }

        String report() {
            return String.format("""
                    syncs: %d full, %d partial, %d cascading (from a replica); %d writes (%d refused while paused)
                    faults: %d cuts, %d empty restarts, %d clean restarts (%d of the primary), %d re-points, %d deaths, %d returns
                    drops: %d by a master, %d history changed, %d no master link, %d slow replica; %d rollbacks after a re-point
                    clean restarts answered CONTINUE: %d (%d after a primary restart)
                    promotions: %d; WAIT: %d acked, %d timed out; invariant 5 checked at %d promotions
                    failovers: %d started (%d to a lagging target), %d ok (%d to a lagging target), %d timed out, %d refused, %d outcome unknown at the deadline (%d ended by the operator), %d without a target, %d split brains
                    no silent wipe: %d empty primary restarts, %d refusals, %d holders checked unchanged, %d resolved by promoting a replica
                    refusals outside an empty restart, overridden by the operator: %d of the master's replId2, %d older
                    no silent rewind: %d full resyncs refused that would have taken back writes the replica held; %d primary crash restarts from an older dump (%d replicas ahead of it kept their data)
                    throttle: %d ticks with writes throttled; %d datasets compared at a recorded (replId, offset)""",
                    fullSyncs, partialSyncs, cascadingSyncs, writes, pausedWrites,
                    cuts, restarts, cleanRestarts, primaryCleanRestarts, repoints, deaths, returns,
                    dropsByMaster, historyChangedDrops, noMasterLinkDrops, slowReplicaDrops, rollbacks,
                    cleanRestartContinues, primaryCleanRestartContinues,
                    promotions, waitsAcked, waitsTimedOut, invariant5Checks,
                    failovers, failoversBad, failoversOk, failoversBadOk, failoversTimedOut, failoversRefused, failoversUnknown, failoversUnknownEnded,
                    failoversNoTarget, splitBrains,
                    wipes, refusals, wipeHoldersChecked, wipesResolved, lineageRefusals, staleRefusals, rewindRefusals, dumpRestarts, dumpRestartHolders,
                    throttledTicks, versionChecks);
        }
    }

    /** One open stream between a replica's link and its upstream's master. */
    private final class Conn {
        final SimNode replica;
        final MasterLink link;
        final SimNode upstream;
        final ReplicationMaster master;
        final ReplicaSession session;
        final ArrayDeque<Timed<MasterMessage>> toReplica = new ArrayDeque<>();
        final ArrayDeque<Timed<ReplicaMessage>> toMaster = new ArrayDeque<>();
        final int window;
        boolean open = true;
        ReplicaMessage.Psync psync;
        /** What the master's PSYNC decision must be, computed when the PSYNC arrives. */
        PsyncDecision.Result expected;
        MasterMessage.FullResync fullResync;

        Conn(SimNode replica, SimNode upstream) {
            this.replica = replica;
            this.link = replica.link;
            this.upstream = upstream;
            this.master = upstream.master;
            this.session = master.open("session-" + (++sessionCounter));
            this.window = 1 + random.nextInt(8);
        }
    }

    private record Timed<T>(long at, T message) {
    }

    /**
     * A coordinated failover in progress on {@code old}, paused at {@code (replId, x)}: the
     * production state machine ({@link dev.replcache.replication.Failover}), stepped by the
     * simulator as FailoverCoordinator steps it.
     */
    private static final class Failover {
        final SimNode old;
        final SimNode target;
        final ReplicationId replId;
        final long x;
        final boolean good;
        /** The handover key is damaged on the way (the target must refuse, and the old master revert). */
        final boolean forgeKey;
        final dev.replcache.replication.Failover machine;
        MasterLink link;
        long unknownSinceMs = -1;

        Failover(SimNode old, SimNode target, ReplicationId replId, long x, long now, long timeout, boolean good,
                 boolean forgeKey) {
            this.old = old;
            this.target = target;
            this.replId = replId;
            this.x = x;
            this.good = good;
            this.forgeKey = forgeKey;
            this.machine = new dev.replcache.replication.Failover(target.name, x, now, timeout, 1_000);
        }
    }

    private record PendingPromotion(SimNode dead, int promoteAt) {
    }

    private record Return(SimNode node, int at) {
    }

    /** The primary came back empty; the holders had data then. */
    private record Wipe(SimNode node, int resolveAt, List<Holder> holders) {
    }

    private record Holder(SimNode node, int emptyBoots, ReplicationId replId, long offset, Map<Bytes, Entry> contents,
                          long refusalsBefore) {
    }

    private static final class PendingWait {
        final SimNode node;
        final ReplicationMaster master;
        final ReplicationId replId;
        final ReplicationId replId2;
        final long secondReplOffset;
        final long offset;
        final int replicas;
        final long deadline;
        CompletableFuture<Integer> future;
        /** Who acked, read from the master's sessions when the WAIT completed. */
        boolean[] ackers;
        String problem;

        PendingWait(SimNode node, long offset, int replicas, long deadline) {
            this.node = node;
            this.master = node.master;
            this.replId = node.log.replId();
            this.replId2 = node.log.replId2();
            this.secondReplOffset = node.log.secondReplOffset();
            this.offset = offset;
            this.replicas = replicas;
            this.deadline = deadline;
        }
    }

    /**
     * A WAIT-acknowledged offset of the primary's history: {@code (replId, offset)}, which is also
     * {@code (replId2, offset)} when the primary's previous history reaches it.
     */
    private record Acked(ReplicationId replId, ReplicationId replId2, long secondReplOffset, long offset, boolean[] ackers) {

        /** Whether the history {@code id} up to {@code end} holds the acknowledged writes. */
        boolean heldBy(ReplicationId id, long end) {
            return end >= offset && (id.equals(replId) || (id.equals(replId2) && offset <= secondReplOffset));
        }
    }

    Simulation(long seed) {
        this.seed = seed;
        this.random = new SplittableRandom(seed);
        this.honourDelays = (seed & 1) == 0;
        // Small backlogs and bounds so that overflows, chunked snapshots and split frames all happen.
        // The sync buffer is sometimes 0 (a full sync survives only what the backlog holds), sometimes ample.
        // A quarter of the runs have tiny backlogs: full syncs race writes that overflow them.
        int backlog = random.nextInt(4) == 0 ? 64 + random.nextInt(256) : 256 + random.nextInt(4096);
        MasterConfig mc = new MasterConfig(64 + random.nextInt(512), 16 + random.nextInt(256), 5_000, 1_000,
                random.nextBoolean() ? 0 : random.nextInt(8192), slowReplicaPolicy(backlog));
        replicaConfig = new ReplicaConfig(1_000, 5_000, 50, 2_000, 1 << 20, "");
        int n = 3 + random.nextInt(2);
        for (int i = 0; i < n; i++) {
            SimNode node = new SimNode(i, "n" + i, clock, random.split(), backlog, mc, replicaConfig);
            nodes.add(node);
            byName.put(node.name, node);
            wire(node);
        }
        primary = nodes.get(0);
        // A random tree: each replica follows an earlier node, so chains reach three levels and never cycle.
        for (int i = 1; i < n; i++) {
            nodes.get(i).follow(nodes.get(random.nextInt(i)), false);
        }
        seenId = new String[n];
        seenOffset = new long[n];
        rollbackAllowed = new boolean[n];
        checkedAt = new String[n];
        checkedKeyspace = new Keyspace[n];
    }

    private SlowReplicaPolicy slowReplicaPolicy(int backlog) {
        return switch (random.nextInt(3)) {
            case 0 -> SlowReplicaPolicy.DEFAULTS;
            // Limits small enough that replicas lagging by a second of writes are cut off and resync.
            case 1 -> new SlowReplicaPolicy(SlowReplicaPolicy.Mode.DISCONNECT,
                    random.nextBoolean() ? 0 : 128 + random.nextInt(backlog),
                    64 + random.nextInt(backlog / 2), 200 + random.nextInt(2_000), 1 << 20, 50);
            default -> new SlowReplicaPolicy(SlowReplicaPolicy.Mode.THROTTLE, 0, 0, 0, 64 + random.nextInt(2_048),
                    10 + random.nextInt(100));
        };
    }

    /** What CacheNode wires: history changes drop our replicas, NOMASTERLINK, and the failover port. */
    private void wire(SimNode n) {
        n.log.setHistoryListener(() -> {
            n.restartId = null; // the history restarted from no longer is ours
            List<ReplicaSession> failed = n.master.historyChanged();
            trace(() -> "history of " + n.name + " changed: " + failed.size() + " of " + n.master.replicas().size()
                    + " sessions fail");
            drain(failed);
        });
        n.master.setUpstreamInSync(() -> n.link == null || n.link.state() == MasterLink.State.STREAMING);
        n.master.setFailoverTarget((replId, offset, key) -> takeOver(n, replId, offset, key));
    }

    /** Runs {@code steps} random events, then quiesces and checks convergence. */
    void run(int steps) {
        for (stepNo = 0; stepNo < steps; stepNo++) {
            step();
            progress();
            checkRunningInvariants();
        }
        quiesce();
        checkConverged();
    }

    private void step() {
        int dice = random.nextInt(1000);
        if (dice < 330) {
            clientWrite();
        } else if (dice < 400) {
            clientRead();
        } else if (dice < 440) {
            activeExpire();
        } else if (dice < 590) {
            clock.advance(random.nextInt(300));
            tickAll();
            if (primary != null && random.nextInt(8) == 0) {
                primary.saveDump(); // an interval save: what a later crash comes back from
            }
        } else if (dice < 810) {
            deliver(random.nextInt(6));
        } else if (dice < 840) {
            cutRandomLink();
        } else if (dice < 850) {
            restartRandomReplicaEmpty();
        } else if (dice < 900) {
            runSnapshotJobs();
        } else if (dice < 945) {
            connectAll();
        } else if (dice < 955) {
            repointRandomReplica();
        } else if (dice < 960) {
            killPrimary();
        } else if (dice < 968) {
            startFailover();
        } else if (dice < 978) {
            restartRandomNodeClean();
        } else if (dice < 979) {
            restartPrimaryEmpty();
        } else if (dice < 982) {
            restartPrimaryFromDump();
        } else if (pendingWait == null) {
            startWait();
        } else {
            deliver(3);
        }
    }

    private void progress() {
        operatorOverrides();
        failoverProgress();
        promotionProgress();
        wipeProgress();
        waitProgress();
        collectAckers();
    }

    // ------------------------------------------------------------------ clients

    private Bytes key() {
        return Bytes.utf8("k" + random.nextInt(KEYS));
    }

    private Bytes value() {
        byte[] v = new byte[random.nextInt(random.nextInt(10) == 0 ? 300 : 20)];
        random.nextBytes(v);
        return Bytes.of(v);
    }

    private void clientWrite() {
        SimNode p = primary;
        if (p == null || wipe != null) {
            return; // no master yet, or the operator fenced clients off a master that came back empty
        }
        Keyspace ks = p.keyspace;
        boolean paused = ks.writesPaused();
        long before = p.log.offset();
        stats.writes++;
        boolean failed = false;
        try {
            switch (random.nextInt(14)) {
                case 0, 1, 2 -> ks.set(key(), value());
                case 3 -> ks.set(key(), value(), SetCondition.values()[random.nextInt(3)],
                        Ttl.inMillis(1 + random.nextInt(3_000)), random.nextBoolean());
                case 4 -> ks.set(key(), value(), SetCondition.ALWAYS, Ttl.KEEP, false);
                case 5 -> ks.incrBy(key(), random.nextInt(200) - 100);
                case 6 -> ks.append(key(), value());
                case 7 -> ks.hset(key(), Map.of(Bytes.utf8("f" + random.nextInt(4)), value()));
                case 8 -> ks.hdel(key(), List.of(Bytes.utf8("f" + random.nextInt(4))));
                case 9 -> ks.hincrBy(key(), Bytes.utf8("n"), random.nextInt(10));
                case 10 -> ks.del(List.of(key(), key()));
                case 11 -> ks.pexpire(key(), random.nextInt(4_000) - 500);
                case 12 -> ks.persist(key());
                default -> {
                    if (random.nextInt(20) == 0) {
                        ks.flushAll();
                    } else {
                        ks.getDel(key());
                    }
                }
            }
            if (TRACE && p.keyspace.dbSize() == 0) {
                trace(() -> "primary is empty after a write");
            }
        } catch (KeyspaceException e) {
            // WRONGTYPE, not an integer: a client error, nothing written. Or PAUSED.
            failed = true;
            if (paused) {
                // READONLY once the paused master follows its target (the handshake): it is a replica now.
                boolean readOnly = e.kind() == KeyspaceException.Kind.READONLY && p.link != null;
                if (!(e.kind() == KeyspaceException.Kind.PAUSED || e.kind() == KeyspaceException.Kind.INVALID_EXPIRE
                        || e.kind() == KeyspaceException.Kind.SYNTAX || readOnly)) {
                    fail("a write during a failover pause failed with " + e.kind());
                }
            }
        }
        if (paused) {
            stats.pausedWrites++;
            if (!failed) {
                fail("a write succeeded while writes were paused for a failover");
            }
            if (p.log.offset() != before) {
                fail("the offset moved while writes were paused");
            }
        }
        drainAll();
    }

    private void clientRead() {
        SimNode p = primary;
        if (p != null) {
            long before = p.log.offset();
            try {
                p.keyspace.get(key()); // may expire lazily on the master (and log a DEL)
            } catch (KeyspaceException wrongType) {
                // a hash
            }
            if (p.keyspace.writesPaused() || p.link != null) {
                if (p.log.offset() != before) {
                    fail("a read removed a key while writes were paused");
                }
            }
        }
        for (SimNode r : nodes) {
            if (!r.alive || r.link == null) {
                continue;
            }
            Bytes k = key();
            Entry e = r.keyspace.contents().get(k);
            try {
                Bytes got = r.keyspace.get(k);
                // A replica hides a logically expired key but never deletes it by its own clock.
                if (e != null && e.isExpiredAt(clock.millis())) {
                    if (got != null) {
                        fail(r.name + " returned an expired key");
                    }
                    if (!r.keyspace.contents().containsKey(k)) {
                        fail(r.name + " deleted an expired key by its own clock");
                    }
                }
            } catch (KeyspaceException wrongType) {
                // a hash
            }
        }
        drainAll();
    }

    private void activeExpire() {
        SimNode p = primary;
        if (p == null) {
            return;
        }
        long before = p.log.offset();
        int removed = p.keyspace.activeExpireCycle();
        if (p.keyspace.writesPaused()) {
            if (!(removed == 0 && p.log.offset() == before)) {
                fail("keys expired while writes were paused");
            }
        }
        drainAll();
    }

    // ------------------------------------------------------------------ network

    private void runSnapshotJobs() {
        for (SimNode n : nodes) {
            if (n.alive) {
                if (TRACE && n.hasPendingSnapshotJobs()) {
                    trace(() -> n.name + " writes a snapshot");
                }
                drain(n.runSnapshotJob());
            }
        }
    }

    private void connectAll() {
        for (SimNode n : nodes) {
            if (n.alive && n.link != null) {
                connect(n);
            }
        }
    }

    private void connect(SimNode n) {
        if (!n.link.shouldConnect()) {
            return;
        }
        if (!n.upstream.alive) {
            n.link.onDisconnected("sim: connection refused");
            return;
        }
        Conn c = new Conn(n, n.upstream);
        conns.add(c);
        handle(c, n.link.onConnected());
    }

    private void tickAll() {
        for (SimNode n : nodes) {
            if (n.alive) {
                drain(n.master.tick());
                if (n.master.throttleDelayMs() > 0) {
                    stats.throttledTicks++;
                }
            }
        }
        for (Conn c : List.copyOf(conns)) {
            if (c.open) {
                handle(c, c.link.tick());
            }
        }
        connectAll();
    }

    private void handle(Conn c, MasterLink.Reaction reaction) {
        if (!c.open) {
            return;
        }
        long at = lastAt(c.toMaster);
        for (ReplicaMessage m : reaction.send()) {
            at = Math.max(at, clock.millis() + random.nextInt(50));
            c.toMaster.add(new Timed<>(at, m));
        }
        if (reaction.dropReason() != null) {
            close(c, reaction.dropReason());
        }
    }

    private static long lastAt(ArrayDeque<? extends Timed<?>> q) {
        return q.isEmpty() ? 0 : q.peekLast().at();
    }

    private void drainAll() {
        for (Conn c : List.copyOf(conns)) {
            drain(c);
        }
    }

    private void drain(List<ReplicaSession> sessions) {
        for (ReplicaSession s : sessions) {
            for (Conn c : List.copyOf(conns)) {
                if (c.session == s) {
                    drain(c);
                }
            }
        }
    }

    /** The master sends while the stream's window has room (the twin of gRPC's isReady). */
    private void drain(Conn c) {
        while (c.open && c.toReplica.size() < c.window) {
            ReplicationMaster.Next next = c.master.poll(c.session);
            if (next.isIdle()) {
                return;
            }
            if (next.closeReason() != null) {
                stats.dropsByMaster++;
                close(c, next.closeReason());
                return;
            }
            long at = Math.max(lastAt(c.toReplica), clock.millis() + random.nextInt(50));
            c.toReplica.add(new Timed<>(at, next.message()));
        }
    }

    /** Whether the head of {@code q} has arrived: its delivery delay has passed on the simulated clock. */
    private boolean arrived(ArrayDeque<? extends Timed<?>> q) {
        return !q.isEmpty() && (!honourDelays || q.peekFirst().at() <= clock.millis());
    }

    private void deliver(int max) {
        for (int i = 0; i < max; i++) {
            List<Conn> ready = new ArrayList<>();
            for (Conn c : conns) {
                if (c.open && (arrived(c.toReplica) || arrived(c.toMaster))) {
                    ready.add(c);
                }
            }
            if (ready.isEmpty()) {
                return;
            }
            Conn c = ready.get(random.nextInt(ready.size()));
            if (arrived(c.toMaster) && (!arrived(c.toReplica) || random.nextBoolean())) {
                ReplicaMessage m = c.toMaster.poll().message();
                ReplicaMessage.Psync psync = m instanceof ReplicaMessage.Psync p ? p : null;
                if (psync != null) {
                    c.psync = psync;
                    // What the answer must be, from the master's history as the PSYNC arrives.
                    c.expected = psync.failover() ? null
                            : PsyncDecision.decide(psync.replId(), psync.offset(), c.upstream.log.history());
                }
                if (psync != null) {
                    trace(() -> c.upstream.name + " <- " + c.replica.name + " " + psync);
                }
                c.master.onMessage(c.session, m);
                if (psync != null && psync.failover() && c.session.closeReason() == null) {
                    // The target took over at exactly the paused offset: the old master continues on the new history.
                    if (c.upstream.link != null) {
                        fail("a failover PSYNC was accepted but " + c.upstream.name + " is not a master");
                    }
                    c.expected = PsyncDecision.decide(psync.replId(), psync.offset(), c.upstream.log.history());
                    if (!c.expected.isContinue()) {
                        fail("after taking over, the target cannot continue the old master: " + c.expected);
                    }
                }
                drain(c);
            } else {
                onReplicaReceives(c, c.toReplica.poll().message());
            }
        }
    }

    private void onReplicaReceives(Conn c, MasterMessage m) {
        SimNode r = c.replica;
        boolean mustRefuse = false;
        boolean rewinds = false;
        ReplicationId idBefore = r.log.replId();
        long offsetBefore = r.log.offset();
        ReplicationId id2Before = r.log.replId2();
        long secondBefore = r.log.secondReplOffset();
        long keysBefore = r.keyspace.dbSize();
        if (m instanceof MasterMessage.Continue) {
            // Invariant 4: a partial resync happens exactly when the backlog covers the replica's gap.
            if (c.expected == null || !c.expected.isContinue()) {
                fail("master answered CONTINUE where the decision was " + c.expected);
            }
            stats.partialSyncs++;
            countCascading(c);
            checkAfterCleanRestart(c, true);
        } else if (m instanceof MasterMessage.FullResync f) {
            if (c.expected == null || c.expected.isContinue()) {
                fail("master answered FULLRESYNC where the decision was " + c.expected);
            }
            stats.fullSyncs++;
            countCascading(c);
            checkAfterCleanRestart(c, false);
            c.fullResync = f;
            // A replica ahead of its master (re-pointed at a lagging node) legitimately goes back in the same history.
            rollbackAllowed[r.index] = c.expected.reason() == PsyncDecision.Reason.OFFSET_AHEAD_OF_MASTER;
            // No silent rewind: refused when we offered a history and the master holds it only up to
            // an offset below ours (its own id at a lower offset, or ours as its replId2, forked below us).
            rewinds = !r.allowUnsafeResync && c.psync != null && c.psync.offset() >= 0
                    && sharedPrefix(idBefore, offsetBefore, id2Before, secondBefore, f) < offsetBefore;
            // No silent wipe: refused unless it is our lineage: the master's id or the id it was promoted from is ours.
            mustRefuse = rewinds || !r.allowUnsafeResync && f.keyCount() == 0 && keysBefore > 0
                    && !f.replId().equals(r.log.replId()) && !f.replId().equals(r.log.replId2())
                    && (f.replId2().equals(ReplicationId.NONE)
                        || !f.replId2().equals(r.log.replId()) && !f.replId2().equals(r.log.replId2()));
        }
        if (m instanceof MasterMessage.Continue || m instanceof MasterMessage.FullResync) {
            trace(() -> c.replica.name + " <- " + c.upstream.name + " psync " + c.psync + " answered " + m
                    + " (" + c.expected + ")");
        }
        handle(c, c.link.onMessage(m));
        if (m instanceof MasterMessage.SnapshotEnd) {
            trace(() -> c.replica.name + " loaded the snapshot from " + c.upstream.name);
        }
        if (m instanceof MasterMessage.FullResync) {
            if (mustRefuse) {
                // No silent wipe: an empty master of another history does not empty a replica with data.
                if (c.open || c.link.refusedFullResync() == null) {
                    fail(r.name + (rewinds ? " accepted a full resync that rewinds its history"
                            : " accepted an empty full resync of another history"));
                }
                if (!(r.log.replId().equals(idBefore) && r.log.offset() == offsetBefore && r.keyspace.dbSize() == keysBefore)) {
                    fail(r.name + " changed although it refused the full resync");
                }
                stats.refusals++;
                if (rewinds) {
                    // Re-pointed at a node behind it (or one promoted while it lagged): the operator either
                    // waits for that node to catch up (the retry then continues) or accepts the rewind.
                    stats.rewindRefusals++;
                    if (!c.link.refusedFullResync().contains("allow-rewinding-resync")) {
                        fail(r.name + " refused a rewind without naming the setting that allows it");
                    }
                    if (wipe == null && random.nextBoolean()) { // during a crash restart the operator promotes instead
                        operatorAllowsEmpty.add(r);
                    }
                } else if (wipe == null) {
                    // Outside an empty restart of the primary the master's empty dataset is legitimate (clients
                    // deleted everything), and the refusal a false positive of the rule that only the operator
                    // lifts: either the master's replId2 is our history (we were ahead of it, or its backlog no
                    // longer covers us) - FULLRESYNC does not say so - or we missed more than one promotion.
                    if (c.expected.reason() == PsyncDecision.Reason.REPLID_MISMATCH) {
                        stats.staleRefusals++;
                    } else {
                        stats.lineageRefusals++;
                    }
                    operatorAllowsEmpty.add(r);
                }
            } else {
                if (!(c.open && c.link.state() == MasterLink.State.RECEIVING_SNAPSHOT)) {
                    fail(r.name + " dropped a full resync it had no reason to refuse: " + c.link.lastDropReason());
                }
            }
        } else if (m instanceof MasterMessage.SnapshotEnd && c.open && c.link.state() == MasterLink.State.STREAMING) {
            MasterMessage.FullResync f = c.fullResync;
            if (!(r.log.replId().equals(f.replId()) && r.log.offset() == f.offset())) {
                fail(r.name + " loaded a snapshot but its log is not "
                        + f.replId() + "@" + f.offset());
            }
            // FULLRESYNC announces at least the snapshot's keys (the snapshot's here; main also counts the keys
            // the master holds now, which the stream after a shared snapshot brings).
            if (r.keyspace.dbSize() > f.keyCount()) {
                fail(r.name + " loaded " + r.keyspace.dbSize() + " keys, FULLRESYNC announced "
                        + f.keyCount());
            }
        } else if (m instanceof MasterMessage.Continue cont && c.open) {
            if (!(c.link.state() == MasterLink.State.STREAMING && r.log.offset() == cont.offset()
                    && r.log.replId().equals(cont.replId()))) {
                fail(r.name + " did not continue at " + cont);
            }
        }
        drain(c);
    }

    /**
     * The oracle of "no silent rewind". A replication id names a whole history, from offset 0
     * to where its holder stands: ours are our id up to our offset and our replId2 up to our
     * secondReplOffset; the master's likewise from FULLRESYNC. Two equal ids share everything up
     * to the shorter end, so the shared prefix is the largest such end over the equal pairs;
     * Long.MAX_VALUE when no id is shared (another history: the wipe guard's business).
     */
    private static long sharedPrefix(ReplicationId id, long offset, ReplicationId id2, long second,
                                     MasterMessage.FullResync f) {
        long[] ourEnds = {offset, second};
        ReplicationId[] ourIds = {id, id2};
        long[] theirEnds = {f.offset(), f.secondReplOffset()};
        ReplicationId[] theirIds = {f.replId(), f.replId2()};
        long shared = -1;
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                if (!ourIds[i].equals(ReplicationId.NONE) && ourIds[i].equals(theirIds[j]) && ourEnds[i] >= 0
                        && theirEnds[j] >= 0) {
                    shared = Math.max(shared, Math.min(ourEnds[i], theirEnds[j]));
                }
            }
        }
        return shared < 0 ? Long.MAX_VALUE : shared;
    }

    private void countCascading(Conn c) {
        if (c.upstream.link != null) {
            stats.cascadingSyncs++;
        }
    }

    /**
     * A replica at exactly the (replId, offset) its master restarted from (a clean restart keeps
     * them) continues partially, unless writes since then overflowed the backlog.
     */
    private void checkAfterCleanRestart(Conn c, boolean continued) {
        SimNode u = c.upstream;
        if (u.restartId == null || c.psync == null || !u.restartId.equals(c.psync.replId())
                || u.restartOffset != c.psync.offset()) {
            return;
        }
        if (continued) {
            stats.cleanRestartContinues++;
            if (u.link == null) {
                stats.primaryCleanRestartContinues++;
            }
        } else {
            if (c.expected.reason() != PsyncDecision.Reason.OFFSET_BEFORE_BACKLOG) {
                fail(c.replica.name + " was at the offset " + u.name + " restarted from, but got a full resync: " + c.expected);
            }
        }
    }

    private void close(Conn c, String reason) {
        if (!c.open) {
            return;
        }
        c.open = false;
        conns.remove(c);
        boolean expected = EXPECTED_DROPS.stream().anyMatch(reason::startsWith);
        if (!expected) {
            fail("unexpected link drop of " + c.replica.name + " from " + c.upstream.name + ": " + reason);
        }
        if (reason.startsWith("history changed")) {
            stats.historyChangedDrops++;
        } else if (reason.startsWith("no master link")) {
            stats.noMasterLinkDrops++;
        } else if (reason.startsWith("slow replica")) {
            stats.slowReplicaDrops++;
        }
        c.master.close(c.session);
        c.link.onDisconnected(reason);
        trace(() -> "drop " + c.replica.name + " <- " + c.upstream.name + ": " + reason);
    }

    private void cutRandomLink() {
        if (!conns.isEmpty()) {
            stats.cuts++;
            close(conns.get(random.nextInt(conns.size())), "sim: link cut");
        }
    }

    /** Ends every stream of a node, as its process stops. */
    private void closeConnsOf(SimNode n, String reason) {
        for (Conn c : List.copyOf(conns)) {
            if (c.replica == n || c.upstream == n) {
                close(c, reason);
            }
        }
    }

    /** Ends the node's own link to its master (its replicas stay connected). */
    private void closeLinkConns(SimNode n, String reason) {
        for (Conn c : List.copyOf(conns)) {
            if (c.replica == n) {
                close(c, reason);
            }
        }
    }

    // ------------------------------------------------------------------ topology

    private List<SimNode> alive() {
        List<SimNode> out = new ArrayList<>();
        for (SimNode n : nodes) {
            if (n.alive) {
                out.add(n);
            }
        }
        return out;
    }

    private <T> T pick(List<T> from) {
        return from.get(random.nextInt(from.size()));
    }

    /** Levels between a node and the root of its tree (0 for a master). */
    private int depth(SimNode n) {
        int d = 0;
        for (SimNode x = n; x.link != null && d <= nodes.size(); x = x.upstream) {
            d++;
        }
        return d;
    }

    /** Whether {@code x} replicates, directly or through others, from {@code root} (or is it). */
    private boolean inSubtree(SimNode root, SimNode x) {
        int hops = 0;
        for (SimNode y = x; y != null && hops <= nodes.size(); y = y.link == null ? null : y.upstream, hops++) {
            if (y == root) {
                return true;
            }
        }
        return false;
    }

    /** Levels below a node: 0 without replicas. */
    private int height(SimNode n) {
        int h = 0;
        for (SimNode x : nodes) {
            if (x.alive && x != n && inSubtree(n, x)) {
                int hops = 0;
                for (SimNode y = x; y != n; y = y.upstream) {
                    hops++;
                }
                h = Math.max(h, hops);
            }
        }
        return h;
    }

    /** REPLICAOF by the simulation (an operator or the node's own start): the history is offered for a partial resync. */
    private void follow(SimNode n, SimNode up, boolean hasHistory, String reason) {
        trace(() -> n.name + " follows " + up.name + " (" + reason + ", hasHistory=" + hasHistory + ")");
        closeLinkConns(n, reason);
        n.follow(up, hasHistory);
        if (acked != null) {
            acked.ackers()[n.index] = false; // it may sync from a node that lacks the acked write
        }
    }

    /** REPLICAOF NO ONE. */
    private void promote(SimNode n, String reason) {
        trace(() -> "promote " + n.name + " (" + reason + ")");
        closeLinkConns(n, reason);
        n.promote(ReplicationId.random(n.random));
        stats.promotions++;
    }

    /** A replica follows another node: any that is not in its own subtree, keeping chains at most three levels deep. */
    private void repointRandomReplica() {
        if (failover != null || wipe != null) {
            return;
        }
        List<SimNode> replicas = new ArrayList<>();
        for (SimNode n : alive()) {
            if (n.link != null) {
                replicas.add(n);
            }
        }
        if (replicas.isEmpty()) {
            return;
        }
        SimNode r = pick(replicas);
        List<SimNode> targets = new ArrayList<>();
        for (SimNode u : alive()) {
            if (u != r && u != r.upstream && !inSubtree(r, u) && depth(u) + 1 + height(r) <= MAX_DEPTH) {
                targets.add(u);
            }
        }
        if (targets.isEmpty()) {
            return;
        }
        stats.repoints++;
        follow(r, pick(targets), true, "sim: replicaof another node");
    }

    // ------------------------------------------------------------------ restarts

    /** A replica restarts without its data: it asks with '?' and full-syncs. */
    private void restartRandomReplicaEmpty() {
        List<SimNode> candidates = new ArrayList<>();
        for (SimNode n : alive()) {
            if (n.link != null && (failover == null || n != failover.old)) {
                candidates.add(n);
            }
        }
        if (candidates.isEmpty()) {
            return;
        }
        SimNode r = pick(candidates);
        SimNode up = r.upstream;
        trace(() -> "empty restart of " + r.name);
        closeConnsOf(r, "sim: replica restart");
        stats.restarts++;
        bootEmpty(r);
        follow(r, up, false, "sim: replica restart");
    }

    private void bootEmpty(SimNode n) {
        n.bootEmpty();
        wire(n);
        seenId[n.index] = null;
        rollbackAllowed[n.index] = false;
        if (acked != null) {
            acked.ackers()[n.index] = false;
        }
    }

    /** A node (primary or replica) restarts from its own snapshot: same data, same replId and offset. */
    private void restartRandomNodeClean() {
        List<SimNode> candidates = new ArrayList<>();
        for (SimNode n : alive()) {
            if (failover == null || n != failover.old) {
                candidates.add(n);
            }
        }
        if (candidates.isEmpty()) {
            return;
        }
        SimNode n = pick(candidates);
        if (n == primary && wipe == null && random.nextBoolean()) {
            // A planned restart: as Redis 7's SHUTDOWN, let the replicas catch up first (no writes meanwhile).
            letReplicasCatchUp(n);
        }
        Map<Bytes, Entry> before = n.keyspace.contents();
        ReplicationId id = n.log.replId();
        long offset = n.log.offset();
        boolean wasMaster = n.link == null;
        closeConnsOf(n, "sim: clean restart");
        if (pendingWait != null && pendingWait.node == n) {
            cancelWait();
        }
        trace(() -> "clean restart of " + n.name);
        n.restartClean();
        wire(n);
        if (!(n.log.replId().equals(id) && n.log.offset() == offset)) {
            fail(n.name + " restarted at " + n.log.replId() + "@"
                    + n.log.offset() + " instead of " + id + "@" + offset);
        }
        if (!n.keyspace.contents().equals(before)) {
            fail(n.name + " lost data in a clean restart");
        }
        if (!((n.link == null) == wasMaster && n.keyspace.role() == (wasMaster ? KeyspaceRole.MASTER : KeyspaceRole.REPLICA))) {
            fail(n.name + " changed role in a restart");
        }
        stats.cleanRestarts++;
        if (n == primary) {
            stats.primaryCleanRestarts++;
        }
    }

    private void letReplicasCatchUp(SimNode m) {
        for (int i = 0; i < 2_000 && !replicasCaughtUp(m); i++) {
            runSnapshotJobs();
            deliver(20);
            if (i % 10 == 9) {
                clock.advance(20);
                tickAll();
            } else {
                connectAll();
            }
        }
    }

    private boolean replicasCaughtUp(SimNode m) {
        for (SimNode n : alive()) {
            if (n.upstream == m && (n.link.state() != MasterLink.State.STREAMING || n.log.offset() != m.log.offset())) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ master death and promotion

    private void killPrimary() {
        if (failover != null || wipe != null || pendingPromotion != null || primary == null || alive().size() < 2) {
            return;
        }
        SimNode d = primary;
        trace(() -> "primary " + d.name + " dies");
        closeConnsOf(d, "sim: node died");
        d.alive = false;
        d.clearJobs();
        primary = null;
        cancelWait();
        stats.deaths++;
        int promoteAt = stepNo + 1 + random.nextInt(20);
        pendingPromotion = new PendingPromotion(d, promoteAt);
        // It comes back later, or (at most one node at a time) never.
        boolean anotherGone = false;
        for (SimNode n : nodes) {
            anotherGone |= n != d && !n.alive && returns.stream().noneMatch(r -> r.node() == n);
        }
        if (anotherGone || random.nextInt(4) != 0) {
            returns.add(new Return(d, promoteAt + 1 + random.nextInt(60)));
        }
    }

    private void promotionProgress() {
        if (pendingPromotion != null && stepNo >= pendingPromotion.promoteAt()) {
            promoteAfterDeath();
        }
        for (Return r : List.copyOf(returns)) {
            if (stepNo >= r.at() && pendingPromotion == null && bringBack(r.node())) {
                returns.remove(r);
            }
        }
    }

    /**
     * The operator (or a sentinel) promotes a replica, preferring one that acked the last WAIT,
     * and points every node that followed the dead primary at it.
     */
    private void promoteAfterDeath() {
        SimNode dead = pendingPromotion.dead();
        // As a sentinel would: a replica that followed the dead primary's history, not one that never synced.
        List<SimNode> candidates = new ArrayList<>();
        for (SimNode n : alive()) {
            if (n.log.replId().equals(dead.log.replId())) {
                candidates.add(n);
            }
        }
        if (candidates.isEmpty()) {
            for (SimNode n : alive()) {
                if (candidates.isEmpty() || n.log.offset() > candidates.get(0).log.offset()) {
                    candidates = new ArrayList<>(List.of(n));
                }
            }
        }
        List<SimNode> ackers = new ArrayList<>();
        for (SimNode n : candidates) {
            if (acked != null && acked.ackers()[n.index]) {
                ackers.add(n);
            }
        }
        SimNode p = !ackers.isEmpty() && random.nextInt(4) != 0 ? pick(ackers) : pick(candidates);
        boolean acker = acked != null && acked.ackers()[p.index];
        if (acker) {
            // An acker may still be on the primary's previous id, when its PSYNC continued it there.
            if (!acked.heldBy(p.log.replId(), p.log.offset())) {
                fail("invariant 5: " + p.name + " acked offset " + acked.offset() + " of " + acked.replId() + " but holds "
                        + p.log.replId() + "@" + p.log.offset());
            }
        }
        promote(p, "sim: promoted");
        if (acker) {
            // Invariant 5: the promoted node's history contains every WAIT-acknowledged write.
            if (!acked.heldBy(p.log.replId2(), p.log.secondReplOffset())) {
                fail("invariant 5: promoted " + p + " lost the acknowledged offset "
                        + acked.offset() + " of " + acked.replId());
            }
            stats.invariant5Checks++;
        }
        for (SimNode n : alive()) {
            if (n != p && n.upstream == dead) {
                follow(n, p, true, "sim: replicaof the promoted node");
            }
        }
        primary = p;
        acked = null;
        pendingPromotion = null;
    }

    /** The dead node comes back empty, as a replica of some node ('?' psync); false to try later. */
    private boolean bringBack(SimNode d) {
        List<SimNode> ups = new ArrayList<>();
        for (SimNode u : alive()) {
            if (depth(u) + 1 <= MAX_DEPTH) {
                ups.add(u);
            }
        }
        if (ups.isEmpty()) {
            return false; // mid-failover: the old master and its target follow each other for a moment
        }
        d.alive = true;
        bootEmpty(d);
        follow(d, pick(ups), false, "sim: returns");
        stats.returns++;
        return true;
    }

    // ------------------------------------------------------------------ coordinated failover

    private void startFailover() {
        if (failover != null || pendingPromotion != null || wipe != null || primary == null || primary.link != null) {
            return;
        }
        SimNode p = primary;
        boolean good = random.nextInt(3) != 0;
        SimNode target = null;
        if (good) {
            // As FAILOVER without TO: the online replica that acked the most.
            long best = Long.MIN_VALUE;
            for (ReplicationMaster.OnlineReplica o : p.master.onlineReplicas()) {
                SimNode n = byName.get(o.replicaId());
                if (n != null && n.alive && n.upstream == p && n.link != null && o.ackOffset() > best) {
                    best = o.ackOffset();
                    target = n;
                }
            }
            if (target == null) {
                stats.failoversNoTarget++; // FAILOVER requires connected replicas
                return;
            }
        } else {
            // Badly: a node that lags (behind, not streaming, or not even a direct replica), else any other.
            List<SimNode> others = alive();
            others.remove(p);
            if (others.isEmpty()) {
                return;
            }
            List<SimNode> lagging = new ArrayList<>();
            for (SimNode n : others) {
                if (n.upstream != p || n.link.state() != MasterLink.State.STREAMING || n.log.offset() < p.log.offset()) {
                    lagging.add(n);
                }
            }
            target = pick(lagging.isEmpty() ? others : lagging);
        }
        boolean forgeKey = !good && random.nextBoolean();
        long timeout = 200 + random.nextInt(2_800);
        p.keyspace.pauseWrites();
        failover = new Failover(p, target, p.log.replId(), p.log.offset(), clock.millis(), timeout, good, forgeKey);
        Failover f = failover;
        trace(() -> "failover " + p.name + " -> " + f.target.name + (f.good ? " (good)" : " (bad)")
                + (f.forgeKey ? " forged key" : "") + " paused at " + f.x);
        stats.failovers++;
        if (!good) {
            stats.failoversBad++;
        }
    }

    private void failoverProgress() {
        Failover f = failover;
        if (f == null) {
            return;
        }
        SimNode old = f.old;
        if (!f.machine.handedOver() && !(old.log.offset() == f.x && old.log.replId().equals(f.replId))) {
            fail("the paused master's history moved");
        }
        long targetAck = -1;
        for (ReplicationMaster.OnlineReplica o : old.master.onlineReplicas()) {
            if (o.replicaId().equals(f.target.name) && o.acked()) {
                targetAck = Math.max(targetAck, o.ackOffset());
            }
        }
        if (f.machine.state() == dev.replcache.replication.Failover.State.OUTCOME_UNKNOWN
                && clock.millis() - f.unknownSinceMs > OPERATOR_ENDS_UNKNOWN_FAILOVER_MS) {
            operatorEndsUnknownFailover(f);
            return;
        }
        dev.replcache.replication.Failover.Answer answer = f.link == null
                ? dev.replcache.replication.Failover.Answer.NONE : f.link.failoverAnswer();
        switch (f.machine.step(clock.millis(), targetAck, answer)) {
            case NONE -> { }
            case ASK_FOR_ACKS -> drain(old.master.requestAcks());
            case HAND_OVER -> beginHandshake(f);
            case RESUME -> abortFailover(f, "timeout");
            case REVERT -> abortFailover(f, f.link.failoverRefused());
            case DONE -> succeedFailover(f);
            case REPORT_UNKNOWN -> outcomeUnknown(f);
        }
    }

    /**
     * The target never gives a final answer (it took over, then a restart made it forget: it answers
     * "already a master"): the operator looks at it. A master: the old master follows it with a plain
     * REPLICAOF. A replica: it did not take over, and the old master is promoted (a new replId).
     */
    private void operatorEndsUnknownFailover(Failover f) {
        trace(() -> "failover to " + f.target.name + ": the operator ends the unknown outcome");
        f.machine.abandon();
        failover = null;
        stats.failoversUnknownEnded++;
        SimNode old = f.old;
        SimNode t = f.target;
        if (t.alive && t.link == null) {
            follow(old, t, true, "sim: operator follows the failover target");
            primary = t;
        } else {
            promote(old, "sim: operator promotes the old master");
            primary = old;
        }
        drainAll();
    }

    /** The old master follows the target with PSYNC FAILOVER (its first connect). */
    private void beginHandshake(Failover f) {
        // The key the target gave the old master in its Hello, as the coordinator takes it; a bad
        // target that is no online replica of the old master gave none, and must refuse.
        String key = "";
        for (ReplicationMaster.OnlineReplica o : f.old.master.onlineReplicas()) {
            if (o.replicaId().equals(f.target.name)) {
                key = o.handoverKey();
            }
        }
        follow(f.old, f.target, true, "sim: failover");
        f.old.link.startFailover(f.forgeKey ? key + "-forged" : key);
        f.link = f.old.link;
        connect(f.old);
    }

    /**
     * No answer in time: the target may have taken over. The old master stays its replica: writes
     * resume in the keyspace, whose role refuses them, and the link keeps asking.
     */
    private void outcomeUnknown(Failover f) {
        trace(() -> "failover to " + f.target.name + ": outcome unknown");
        SimNode old = f.old;
        old.keyspace.resumeWrites();
        f.unknownSinceMs = clock.millis();
        stats.failoversUnknown++;
        if (!(old.link == f.link && old.keyspace.role() == KeyspaceRole.REPLICA)) {
            fail("the old master is not the target's replica while the failover's outcome is unknown");
        }
        try {
            old.keyspace.set(key(), value());
            fail("the old master took a write while the failover's outcome was unknown");
        } catch (KeyspaceException e) {
            if (e.kind() != KeyspaceException.Kind.READONLY) {
                fail("a write on the old master during an unknown outcome failed with " + e.kind());
            }
        }
    }

    private void succeedFailover(Failover f) {
        trace(() -> "failover to " + f.target.name + " done");
        SimNode t = f.target;
        SimNode old = f.old;
        if (t.link != null) {
            fail("failover answered but " + t + " is not a master");
        }
        // Nothing the old master applied before the pause is lost: the target continues its history from exactly X.
        if (!(t.log.replId2().equals(f.replId) && t.log.secondReplOffset() == f.x)) {
            fail("failover target " + t
                    + " does not continue " + f.replId + " at the paused offset " + f.x);
        }
        if (!(old.log.replId().equals(t.log.replId()) && old.log.replId2().equals(f.replId))) {
            fail("the old master " + old + " did not adopt the target's history " + t);
        }
        if (acked != null) {
            if (!acked.heldBy(t.log.replId2(), t.log.secondReplOffset())) {
                fail("a WAIT-acked offset is past the failover's X");
            }
        }
        old.keyspace.resumeWrites();
        // Its clients now get READONLY: the node is a replica (its keyspace too).
        if (!(old.link != null && old.keyspace.role() == KeyspaceRole.REPLICA && !old.keyspace.writesPaused())) {
            fail("the old master is not a replica after the failover");
        }
        primary = t;
        acked = null;
        failover = null;
        stats.failoversOk++;
        if (!f.good) {
            stats.failoversBadOk++;
        }
    }

    private void abortFailover(Failover f, String why) {
        trace(() -> "failover to " + f.target.name + " aborted: " + why);
        SimNode old = f.old;
        SimNode t = f.target;
        if (f.machine.handedOver()) {
            // Only a refusal reverts: the target must not hold our history as a master.
            if (t.alive && t.link == null && t.log.replId2().equals(f.replId) && t.log.secondReplOffset() == f.x) {
                stats.splitBrains++;
                fail("split brain: " + old.name + " reverts a failover that " + t.name + " took over (" + why + ")");
            }
            closeLinkConns(old, "sim: failover aborted");
            old.link = null;
            old.upstream = null;
            old.keyspace.setRole(KeyspaceRole.MASTER);
        }
        old.keyspace.resumeWrites();
        if (!(old.link == null && old.log.replId().equals(f.replId) && old.log.offset() == f.x && !old.keyspace.writesPaused())) {
            fail("an aborted failover left " + old + " changed, expected master " + f.replId + "@" + f.x);
        }
        // Writes resume on the old master.
        old.keyspace.set(key(), value());
        if (old.log.offset() <= f.x) {
            fail("writes did not resume after an aborted failover");
        }
        if (why != null && why.contains("failover refused")) {
            stats.failoversRefused++;
        } else if (!f.machine.handedOver()) {
            stats.failoversTimedOut++;
        } else {
            fail("a failover reverted without the target's refusal: " + why);
        }
        failover = null;
        drainAll();
    }

    /** The failover port of a node, as CacheNode's: promote only at exactly the paused master's history. */
    private ReplicationMaster.Refusal takeOver(SimNode n, ReplicationId replId, long offset, String key) {
        if (n.link == null) {
            if (n.log.replId2().equals(replId) && n.log.secondReplOffset() == offset) {
                return null; // a retried handshake of the failover that promoted it
            }
            return new ReplicationMaster.Refusal("this node is already a master", false);
        }
        if (!n.link.handoverKey().equals(key)) {
            return new ReplicationMaster.Refusal("the sender is not the master this replica follows (handover key mismatch)",
                    true);
        }
        if (!n.log.replId().equals(replId) || n.log.offset() != offset) {
            return new ReplicationMaster.Refusal("this replica is at " + n.log.replId() + " offset " + n.log.offset()
                    + ", the master at " + replId + " offset " + offset, true);
        }
        promote(n, "sim: promoted by a failover");
        return null;
    }

    // ------------------------------------------------------------------ no silent wipe

    /** The primary restarts without its data (a fresh history); replicas with data must not be emptied. */
    private void restartPrimaryEmpty() {
        if (failover != null || pendingPromotion != null || wipe != null || primary == null) {
            return;
        }
        SimNode p = primary;
        trace(() -> "primary " + p.name + " restarts empty");
        closeConnsOf(p, "sim: primary restarts empty");
        cancelWait();
        acked = null;
        bootEmpty(p);
        List<Holder> holders = new ArrayList<>();
        for (SimNode n : alive()) {
            // A replica the operator let take unsafe resyncs has nothing to protect: it follows the empty master.
            if (n.upstream == p && n.keyspace.dbSize() > 0 && !n.allowUnsafeResync) {
                holders.add(new Holder(n, n.emptyBoots, n.log.replId(), n.log.offset(), n.keyspace.contents(),
                        n.link.refusedFullResyncs()));
            }
        }
        wipe = new Wipe(p, stepNo + 10 + random.nextInt(50), holders);
        stats.wipes++;
    }

    /**
     * The primary crashes and comes back from its last dump, older than what its replicas hold
     * (issue 11 row 4): a new id with the dump's as replId2 up to the dump's offset. Every replica
     * past that point must refuse to be rewound and keep its data until the operator promotes one
     * (the same resolution as an empty restart's).
     */
    private void restartPrimaryFromDump() {
        if (failover != null || pendingPromotion != null || wipe != null || primary == null || primary.dump == null) {
            return;
        }
        SimNode p = primary;
        trace(() -> "primary " + p.name + " crashes and restarts from its dump");
        closeConnsOf(p, "sim: primary crash restart");
        cancelWait();
        acked = null;
        p.restartFromDump();
        wire(p);
        seenId[p.index] = null;
        ReplicationId dumpId = p.log.replId2();
        long dumpOffset = p.log.secondReplOffset();
        if (dumpId.equals(ReplicationId.NONE) || dumpOffset != p.log.offset()) {
            fail(p.name + " restarted from its dump without keeping the dump's id as replId2 at its offset: " + p);
        }
        List<Holder> holders = new ArrayList<>();
        for (SimNode n : alive()) {
            // Past the dump on its history: following the restarted master would take writes back.
            if (n.upstream == p && !n.allowUnsafeResync && n.log.offset() > dumpOffset
                    && sharedPrefix(n.log.replId(), n.log.offset(), n.log.replId2(), n.log.secondReplOffset(),
                    new MasterMessage.FullResync(p.log.replId(), p.log.offset(), "", 0, -1, dumpId, dumpOffset))
                    < n.log.offset()) {
                holders.add(new Holder(n, n.emptyBoots, n.log.replId(), n.log.offset(), n.keyspace.contents(),
                        n.link.refusedFullResyncs()));
            }
        }
        wipe = new Wipe(p, stepNo + 10 + random.nextInt(50), holders);
        stats.dumpRestarts++;
        stats.dumpRestartHolders += holders.size();
    }

    private void wipeProgress() {
        if (wipe != null && stepNo >= wipe.resolveAt()) {
            resolveWipe();
        }
    }

    /** The operator promotes the replica with the most data and makes the empty node its replica. */
    private void resolveWipe() {
        Wipe w = wipe;
        wipe = null;
        for (Holder h : w.holders()) {
            SimNode n = h.node();
            if (!n.alive || n.emptyBoots != h.emptyBoots() || n.upstream != w.node() || n.allowUnsafeResync) {
                continue; // gone, restarted, re-pointed, or let through by the operator (an earlier override)
            }
            if (!(n.log.replId().equals(h.replId()) && n.log.offset() == h.offset())) {
                fail(n.name
                        + " changed its history although its master came back empty: " + n);
            }
            if (!n.keyspace.contents().equals(h.contents())) {
                fail(n.name + "'s data changed although its master came back empty");
            }
            if (n.link.refusedFullResyncs() > h.refusalsBefore()) {
                if (!(n.link.refusedFullResync() != null && n.link.refusedFullResync().startsWith("refused full resync"))) {
                    fail(n.name + " refused but does not say why");
                }
                stats.wipeHoldersChecked++;
            }
        }
        SimNode best = null;
        for (SimNode n : alive()) {
            if (n != w.node() && n.keyspace.dbSize() > 0 && (best == null || n.log.offset() > best.log.offset())) {
                best = n;
            }
        }
        if (best == null) {
            return; // nobody had data to protect: the empty master is the primary
        }
        promote(best, "sim: promoted by the operator");
        follow(w.node(), best, true, "sim: replicaof the promoted node");
        for (SimNode n : alive()) {
            if (n != best && n.upstream == w.node() && n != w.node()) {
                follow(n, best, true, "sim: replicaof the promoted node");
            }
        }
        primary = best;
        stats.wipesResolved++;
    }

    /** The operator sets allow-empty-resync on a replica stuck refusing an empty master of its own lineage. */
    private void operatorOverrides() {
        for (SimNode n : List.copyOf(operatorAllowsEmpty)) {
            operatorAllowsEmpty.remove(n);
            if (n.alive && n.link != null && n.link.refusedFullResync() != null) {
                closeLinkConns(n, "sim: operator allows an empty resync");
                n.follow(n.upstream, true, true);
            }
        }
    }

    // ------------------------------------------------------------------ WAIT and invariant 5

    private void startWait() {
        SimNode p = primary;
        if (pendingWait != null || p == null || p.link != null || p.keyspace.writesPaused() || wipe != null) {
            return;
        }
        PendingWait w = new PendingWait(p, p.log.offset(), random.nextInt(4) == 0 ? 2 : 1,
                clock.millis() + 200 + random.nextInt(2_000));
        w.future = p.master.awaitAcks(w.offset, w.replicas);
        // Who acked, per the master's own sessions, at the moment the WAIT completes.
        w.future.thenAccept(count -> {
            w.ackers = new boolean[nodes.size()];
            int n = 0;
            for (ReplicaInfo ri : w.master.replicas()) {
                if (ri.state() == ReplicaSession.State.ONLINE && ri.acked() && ri.ackOffset() >= w.offset) {
                    w.ackers[byName.get(ri.id()).index] = true;
                    n++;
                }
            }
            // Checked in waitProgress: an assertion thrown here would only fail the dependent future.
            if (n != count || count < w.replicas) {
                w.problem = "WAIT completed with " + count + " for " + w.replicas + " replicas, but " + n
                        + " sessions acked " + w.offset;
            }
        });
        pendingWait = w;
        if (!w.future.isDone()) {
            drain(p.master.requestAcks());
        }
    }

    private void waitProgress() {
        PendingWait w = pendingWait;
        if (w == null) {
            return;
        }
        if (primary != w.node || w.node.master != w.master || !w.node.alive || w.node.link != null) {
            cancelWait();
            return;
        }
        if (w.future.isDone()) {
            if (w.problem != null) {
                fail(w.problem);
            }
            pendingWait = null;
            stats.waitsAcked++;
            if (w.node.log.replId().equals(w.replId)) {
                acked = new Acked(w.replId, w.replId2, w.secondReplOffset, w.offset, w.ackers);
                trace(() -> "WAIT acked offset " + w.offset + " by " + Arrays.toString(w.ackers));
            }
            return;
        }
        if (w.master.ackedCount(w.offset) >= w.replicas) {
            fail("WAIT still waiting although enough replicas acked " + w.offset);
        }
        if (clock.millis() >= w.deadline) {
            w.master.cancelWait(w.future);
            if (w.master.waitingCount() != 0) {
                fail("a cancelled WAIT is still waiting");
            }
            pendingWait = null;
            stats.waitsTimedOut++;
        }
    }

    private void cancelWait() {
        if (pendingWait != null) {
            pendingWait.master.cancelWait(pendingWait.future);
            pendingWait = null;
        }
    }

    /** Replicas that ack the recorded offset later are holders of it too. */
    private void collectAckers() {
        SimNode p = primary;
        if (acked == null || p == null || p.link != null || !p.log.replId().equals(acked.replId())) {
            return;
        }
        for (ReplicaInfo ri : p.master.replicas()) {
            if (ri.state() == ReplicaSession.State.ONLINE && ri.ackOffset() >= acked.offset()) {
                acked.ackers()[byName.get(ri.id()).index] = true;
            }
        }
    }

    // ------------------------------------------------------------------ invariants

    private void checkRunningInvariants() {
        for (SimNode n : nodes) {
            if (!n.alive) {
                continue;
            }
            // Memory for replication stays bounded: backlog plus sync buffer, whatever the replicas do.
            if (n.log.backlogCapacityBytes() > n.backlogBytes + n.masterConfig.syncBufferBytes()) {
                fail(n.name + " backlog grew to " + n.log.backlogCapacityBytes() + " bytes, over backlog + sync buffer");
            }
            // Invariant 3: within one replication id, a node's offset never goes back (except a replica
            // re-pointed at a node behind it, which must full-sync to that node's offset).
            String id = n.log.replId().value();
            long offset = n.log.offset();
            if (id.equals(seenId[n.index]) && offset < seenOffset[n.index]) {
                if (!rollbackAllowed[n.index]) {
                    fail(n.name + " offset went back from " + seenOffset[n.index] + " to " + offset);
                }
                rollbackAllowed[n.index] = false;
                stats.rollbacks++;
            }
            seenId[n.index] = id;
            seenOffset[n.index] = offset;
        }
        for (SimNode n : alive()) {
            // Liveness: only a snapshot being written wakes a replica waiting for one; with none pending, none may wait.
            // (A session the master already failed only waits for its stream to take the close.)
            if (!n.hasPendingSnapshotJobs()) {
                for (ReplicaInfo ri : n.master.replicas()) {
                    if (ri.state() == ReplicaSession.State.WAIT_SNAPSHOT && conns.stream().noneMatch(
                            c -> c.upstream == n && c.replica.name.equals(ri.id()) && c.session.closeReason() != null)) {
                        fail(ri.id() + " waits on " + n.name + " for a snapshot that no job will write");
                    }
                }
            }
        }
        for (Conn c : conns) {
            if (!(c.open && c.replica.alive && c.upstream.alive && c.link == c.replica.link && c.master == c.upstream.master
                    && c.replica.upstream == c.upstream)) {
                fail("a stream outlived its link or master: " + c.replica + " <- " + c.upstream);
            }
        }
        // One master: the primary (none while a dead primary awaits promotion; the target once it took over).
        List<SimNode> masters = new ArrayList<>();
        for (SimNode n : alive()) {
            if (n.link == null) {
                masters.add(n);
            }
        }
        boolean handshake = failover != null && failover.machine.handedOver();
        if (handshake) {
            if (!masters.isEmpty() && !masters.equals(List.of(failover.target))) {
                fail("masters during a failover: " + masters);
            }
        } else if (primary == null) {
            if (!masters.isEmpty()) {
                fail("masters while the primary is dead: " + masters);
            }
        } else {
            if (!masters.equals(List.of(primary))) {
                fail("masters " + masters + ", expected only " + primary);
            }
            for (SimNode n : alive()) {
                if (!inSubtree(primary, n)) {
                    fail(n + " does not replicate from the primary " + primary);
                }
            }
        }
        if (stepNo % 8 == 0) {
            checkOneStreamPerHistory();
        }
        checkVersions();
    }

    /**
     * Invariants 2 and 5 on the data: the primary records its dataset at its (replId, offset); any
     * node at a recorded point, under the same id or under it as replId2 up to secondReplOffset,
     * holds the same keys, values, types and absolute expiries.
     */
    private void checkVersions() {
        SimNode p = primary;
        if (p != null && p.link == null) {
            versions.computeIfAbsent(p.log.replId().value() + "@" + p.log.offset(), k -> p.keyspace.contents());
        }
        for (SimNode n : alive()) {
            ReplicationLog l = n.log;
            // A node's data changes only with its offset or its keyspace (a load, a restart): compare once per change.
            String at = l.replId().value() + "@" + l.offset();
            if (at.equals(checkedAt[n.index]) && n.keyspace == checkedKeyspace[n.index]) {
                continue;
            }
            checkedAt[n.index] = at;
            checkedKeyspace[n.index] = n.keyspace;
            compareVersion(n, l.replId(), l.offset());
            if (!l.replId2().isNone() && l.offset() <= l.secondReplOffset()) {
                compareVersion(n, l.replId2(), l.offset());
            }
        }
    }

    private void compareVersion(SimNode n, ReplicationId id, long offset) {
        Map<Bytes, Entry> expected = versions.get(id.value() + "@" + offset);
        if (expected == null) {
            return;
        }
        stats.versionChecks++;
        Map<Bytes, Entry> got = n.keyspace.contents();
        if (!got.equals(expected)) {
            fail(n + " at " + id + "@" + offset + " holds another dataset than the primary had there:\n primary=" + expected
                    + "\n " + n.name + "=" + got);
        }
    }

    /**
     * Cascading keeps one history: wherever two nodes hold stream bytes of the same replId (as
     * their replId, or as replId2 below secondReplOffset), the bytes are identical.
     */
    private void checkOneStreamPerHistory() {
        List<SimNode> all = alive();
        for (int i = 0; i < all.size(); i++) {
            for (int j = i + 1; j < all.size(); j++) {
                compareStreams(all.get(i), all.get(j));
            }
        }
    }

    private void compareStreams(SimNode a, SimNode b) {
        ReplicationLog la = a.log;
        ReplicationLog lb = b.log;
        ReplicationId[] idsA = {la.replId(), la.replId2()};
        long[] endsA = {la.offset(), la.secondReplOffset()};
        ReplicationId[] idsB = {lb.replId(), lb.replId2()};
        long[] endsB = {lb.offset(), lb.secondReplOffset()};
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                if (idsA[i].isNone() || !idsA[i].equals(idsB[j])) {
                    continue;
                }
                long lo = Math.max(la.backlogFirstOffset(), lb.backlogFirstOffset());
                long hi = Math.min(endsA[i], endsB[j]);
                if (lo >= hi) {
                    continue;
                }
                byte[] ba = la.read(lo, (int) (hi - lo));
                byte[] bb = lb.read(lo, (int) (hi - lo));
                if (!Arrays.equals(ba, bb)) {
                    fail(a.name + " and " + b.name + " hold different bytes of history " + idsA[i]
                            + " in [" + lo + ", " + hi + ")");
                }
            }
        }
    }

    /** Ends the processes in flight, stops the faults and writes, and runs the protocol until every node caught up. */
    private void quiesce() {
        for (int i = 0; failover != null && i < 100_000; i++) {
            runSnapshotJobs();
            deliver(20);
            if (i % 5 == 0) {
                clock.advance(50);
                tickAll();
            } else {
                connectAll();
            }
            failoverProgress();
        }
        if (failover != null) {
            fail("a failover never ended");
        }
        cancelWait();
        if (pendingPromotion != null) {
            promoteAfterDeath();
        }
        for (Return r : List.copyOf(returns)) {
            returns.remove(r);
            if (!bringBack(r.node())) {
                fail("no node for " + r.node().name + " to come back to");
            }
        }
        if (wipe != null) {
            resolveWipe();
        }
        for (int i = 0; i < 50_000; i++) {
            if (converged()) {
                return;
            }
            operatorOverrides();
            runSnapshotJobs();
            deliver(20);
            if (random.nextInt(10) == 0) {
                clock.advance(100);
                tickAll();
            } else {
                connectAll();
            }
        }
        List<String> states = new ArrayList<>();
        for (SimNode n : alive()) {
            states.add(n + (n.link == null ? "" : " last drop: " + n.link.lastDropReason()));
        }
        throw new AssertionError("seed " + seed + ": nodes did not converge on the primary " + primary + ": " + states);
    }

    private boolean converged() {
        SimNode p = primary;
        if (p == null || p.link != null) {
            return false;
        }
        for (SimNode n : alive()) {
            if (n != p && (n.link == null || n.link.state() != MasterLink.State.STREAMING || n.log.offset() != p.log.offset()
                    || !n.log.replId().equals(p.log.replId()))) {
                return false;
            }
        }
        for (Conn c : conns) {
            if (!c.toMaster.isEmpty() || !c.toReplica.isEmpty()) {
                return false;
            }
        }
        return true;
    }

    /** Invariants 1 and 2: same data, same absolute expiries, same offset, same history. */
    private void checkConverged() {
        Map<Bytes, Entry> expected = primary.keyspace.contents();
        for (SimNode n : alive()) {
            if (n == primary) {
                continue;
            }
            if (n.log.offset() != primary.log.offset()) {
                fail(n.name + " offset " + n.log.offset() + " != primary "
                        + primary.log.offset());
            }
            if (!n.log.replId().equals(primary.log.replId())) {
                fail(n.name + " follows another history");
            }
            Map<Bytes, Entry> got = n.keyspace.contents();
            if (!got.equals(expected)) {
                throw new AssertionError("seed " + seed + ": " + n.name + " differs from the primary " + primary.name
                        + ":\n primary=" + expected + "\n " + n.name + "=" + got);
            }
        }
        checkOneStreamPerHistory();
    }

    private void trace(java.util.function.Supplier<String> what) {
        if (TRACE) {
            System.out.println("step " + stepNo + " t=" + clock.millis() + ": " + what.get() + "   " + alive());
        }
    }

    private void fail(String what) {
        throw new AssertionError("seed " + seed + " step " + stepNo + ": " + what);
    }
}
