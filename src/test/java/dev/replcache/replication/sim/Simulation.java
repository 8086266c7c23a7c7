package dev.replcache.replication.sim;

import dev.replcache.keyspace.Bytes;
import dev.replcache.keyspace.Entry;
import dev.replcache.keyspace.Keyspace;
import dev.replcache.keyspace.KeyspaceException;
import dev.replcache.keyspace.SetCondition;
import dev.replcache.keyspace.Ttl;
import dev.replcache.replication.MasterConfig;
import dev.replcache.replication.MasterLink;
import dev.replcache.replication.MasterMessage;
import dev.replcache.replication.PsyncDecision;
import dev.replcache.replication.ReplicaConfig;
import dev.replcache.replication.ReplicaMessage;
import dev.replcache.replication.ReplicaSession;
import dev.replcache.replication.ReplicationId;
import dev.replcache.replication.ReplicationMaster;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A seeded, deterministic simulation of a master and its replicas over an in-memory twin of
 * the gRPC stream (FIFO per direction, delays, a flow-control window, cuts), with random
 * writes of every kind, replica restarts, small backlogs that overflow, and snapshots written
 * while writes go on. Invariants of DESIGN.md section 5 are checked during the run (offsets
 * monotonic, no entry applied twice or skipped, partial resync whenever the backlog covers
 * the gap) and after quiescence (every replica equals the master, same offset).
 *
 * <p>Everything runs on one thread from one seed: a failing seed reproduces the run.
 */
final class Simulation {

    /** Why a link may legitimately drop in this simulation; anything else is a bug. */
    private static final List<String> EXPECTED_DROPS = List.of(
            "sim:", "timeout", "replica fell behind the backlog", "full sync abandoned");

    private final long seed;
    private final SplittableRandom random;
    private final ManualClock clock = new ManualClock(1_700_000_000_000L);
    final SimNode master;
    final List<SimNode> replicas = new ArrayList<>();
    private final List<Conn> conns = new ArrayList<>();
    private final Map<SimNode, long[]> lastSeen = new java.util.HashMap<>();
    private final Map<SimNode, String> lastSeenId = new java.util.HashMap<>();
    final Stats stats = new Stats();
    private int sessionCounter;

    /** Counters over a run, for the report. */
    static final class Stats {
        long writes;
        long fullSyncs;
        long partialSyncs;
        long cuts;
        long restarts;
        long dropsByMaster;
    }

    /** One open stream between a replica and its master. */
    private final class Conn {
        final SimNode replica;
        final SimNode upstream;
        final ReplicaSession session;
        final ArrayDeque<Timed<MasterMessage>> toReplica = new ArrayDeque<>();
        final ArrayDeque<Timed<ReplicaMessage>> toMaster = new ArrayDeque<>();
        final int window;
        boolean open = true;
        /** What the master's PSYNC decision must be, computed when the PSYNC arrives. */
        PsyncDecision.Result expected;

        Conn(SimNode replica, SimNode upstream) {
            this.replica = replica;
            this.upstream = upstream;
            this.session = upstream.master.open("session-" + (++sessionCounter));
            this.window = 1 + random.nextInt(8);
        }
    }

    private record Timed<T>(long at, T message) {
    }

    Simulation(long seed) {
        this.seed = seed;
        this.random = new SplittableRandom(seed);
        // Small backlogs and bounds so that overflows, chunked snapshots and split frames all happen.
        // The sync buffer is sometimes 0 (a full sync survives only what the backlog holds), sometimes ample.
        MasterConfig mc = new MasterConfig(64 + random.nextInt(512), 16 + random.nextInt(256), 5_000, 1_000,
                random.nextBoolean() ? 0 : random.nextInt(8192));
        ReplicaConfig rc = new ReplicaConfig(1_000, 5_000, 50, 2_000, 1 << 20, "");
        int backlog = 256 + random.nextInt(4096);
        master = new SimNode("master", clock, random.split(), backlog, mc, rc);
        for (int i = 1; i <= 2; i++) {
            SimNode r = new SimNode("replica-" + i, clock, random.split(), backlog, mc, rc);
            r.becomeReplicaOf(master);
            replicas.add(r);
        }
    }

    /** Runs {@code steps} random events, then quiesces and checks convergence. */
    void run(int steps) {
        for (int i = 0; i < steps; i++) {
            step();
            checkRunningInvariants();
        }
        quiesce();
        checkConverged();
    }

    private void step() {
        int dice = random.nextInt(100);
        if (dice < 35) {
            clientWrite();
        } else if (dice < 42) {
            clientRead();
        } else if (dice < 47) {
            master.keyspace.activeExpireCycle();
            drainAll();
        } else if (dice < 62) {
            clock.advance(random.nextInt(300));
            tickAll();
        } else if (dice < 85) {
            deliver(random.nextInt(6));
        } else if (dice < 88) {
            cutRandomLink();
        } else if (dice < 89) {
            restartRandomReplica();
        } else if (dice < 94) {
            for (SimNode n : allNodes()) {
                drain(n.runSnapshotJob());
            }
        } else {
            connectAll();
        }
    }

    // ------------------------------------------------------------------ clients

    private static final int KEYS = 40;

    private Bytes key() {
        return Bytes.utf8("k" + random.nextInt(KEYS));
    }

    private Bytes value() {
        byte[] v = new byte[random.nextInt(random.nextInt(10) == 0 ? 300 : 20)];
        random.nextBytes(v);
        return Bytes.of(v);
    }

    private void clientWrite() {
        Keyspace ks = master.keyspace;
        stats.writes++;
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
        } catch (KeyspaceException expected) {
            // WRONGTYPE, not an integer: a client error, nothing written.
        }
        drainAll();
    }

    private void clientRead() {
        try {
            master.keyspace.get(key()); // may expire lazily on the master (and log a DEL)
        } catch (KeyspaceException wrongType) {
            // a hash
        }
        for (SimNode r : replicas) {
            Bytes k = key();
            Entry e = r.keyspace.contents().get(k);
            try {
                Bytes got = r.keyspace.get(k);
                // A replica hides a logically expired key but never deletes it by its own clock.
                if (e != null && e.isExpiredAt(clock.millis())) {
                    check(got == null, "replica returned an expired key");
                    check(r.keyspace.contents().containsKey(k), "replica deleted an expired key by its own clock");
                }
            } catch (KeyspaceException wrongType) {
                // a hash
            }
        }
        drainAll();
    }

    // ------------------------------------------------------------------ network

    private List<SimNode> allNodes() {
        List<SimNode> all = new ArrayList<>();
        all.add(master);
        all.addAll(replicas);
        return all;
    }

    private void connectAll() {
        for (SimNode r : replicas) {
            if (r.link.shouldConnect()) {
                Conn c = new Conn(r, r.upstream);
                conns.add(c);
                handle(c, r.link.onConnected());
            }
        }
    }

    private void tickAll() {
        for (SimNode n : allNodes()) {
            drain(n.master.tick());
        }
        for (Conn c : List.copyOf(conns)) {
            if (c.open) {
                handle(c, c.replica.link.tick());
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
            ReplicationMaster.Next next = c.upstream.master.poll(c.session);
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

    private void deliver(int max) {
        for (int i = 0; i < max; i++) {
            List<Conn> ready = new ArrayList<>();
            for (Conn c : conns) {
                if (c.open && (!c.toReplica.isEmpty() || !c.toMaster.isEmpty())) {
                    ready.add(c);
                }
            }
            if (ready.isEmpty()) {
                return;
            }
            Conn c = ready.get(random.nextInt(ready.size()));
            if (!c.toMaster.isEmpty() && (c.toReplica.isEmpty() || random.nextBoolean())) {
                ReplicaMessage m = c.toMaster.poll().message();
                if (m instanceof ReplicaMessage.Psync psync) {
                    // What the answer must be, from the master's history as the PSYNC arrives.
                    c.expected = PsyncDecision.decide(psync.replId(), psync.offset(), c.upstream.log.history());
                }
                c.upstream.master.onMessage(c.session, m);
                drain(c);
            } else {
                MasterMessage m = c.toReplica.poll().message();
                checkPsyncOutcome(c, m);
                handle(c, c.replica.link.onMessage(m));
                drain(c);
            }
        }
    }

    /** Invariant 4: a partial resync happens exactly when the backlog covers the replica's gap. */
    private void checkPsyncOutcome(Conn c, MasterMessage m) {
        if (m instanceof MasterMessage.Continue) {
            check(c.expected.isContinue(), "master answered CONTINUE where the decision was " + c.expected);
            stats.partialSyncs++;
        } else if (m instanceof MasterMessage.FullResync) {
            check(!c.expected.isContinue(), "master answered FULLRESYNC where the backlog covered the gap");
            stats.fullSyncs++;
        }
    }

    private void close(Conn c, String reason) {
        if (!c.open) {
            return;
        }
        c.open = false;
        conns.remove(c);
        boolean expected = EXPECTED_DROPS.stream().anyMatch(reason::startsWith);
        check(expected, "unexpected link drop: " + reason);
        c.upstream.master.close(c.session);
        c.replica.link.onDisconnected(reason);
    }

    private void cutRandomLink() {
        if (!conns.isEmpty()) {
            stats.cuts++;
            close(conns.get(random.nextInt(conns.size())), "sim: link cut");
        }
    }

    private void restartRandomReplica() {
        SimNode r = replicas.get(random.nextInt(replicas.size()));
        for (Conn c : List.copyOf(conns)) {
            if (c.replica == r) {
                close(c, "sim: replica restart");
            }
        }
        stats.restarts++;
        r.boot();
        lastSeen.remove(r);
        lastSeenId.remove(r);
    }

    // ------------------------------------------------------------------ invariants

    /**
     * Invariant 3: within one replication id, a replica's offset never goes back. And the
     * master's memory for replication stays bounded: backlog plus sync buffer, whatever the
     * replicas do.
     */
    private void checkRunningInvariants() {
        for (SimNode n : allNodes()) {
            check(n.log.backlogCapacityBytes() <= n.backlogBytes + n.masterConfig.syncBufferBytes(),
                    n.name + " backlog grew to " + n.log.backlogCapacityBytes() + " bytes, over backlog + sync buffer");
        }
        for (SimNode r : replicas) {
            String id = r.log.replId().value();
            long offset = r.log.offset();
            if (id.equals(lastSeenId.get(r))) {
                check(offset >= lastSeen.get(r)[0], r.name + " offset went back from " + lastSeen.get(r)[0] + " to " + offset);
            }
            lastSeenId.put(r, id);
            lastSeen.put(r, new long[] {offset});
        }
    }

    /** Stops the faults and writes, and runs the protocol until every replica has caught up. */
    private void quiesce() {
        for (int i = 0; i < 50_000; i++) {
            if (converged()) {
                return;
            }
            for (SimNode n : allNodes()) {
                drain(n.runSnapshotJob());
            }
            deliver(20);
            if (random.nextInt(10) == 0) {
                clock.advance(100);
                tickAll();
            } else {
                connectAll();
            }
        }
        throw new AssertionError("seed " + seed + ": replicas did not converge; states "
                + replicas.stream().map(r -> r.name + "=" + r.link.state() + "@" + r.log.offset()).toList()
                + " master@" + master.log.offset());
    }

    private boolean converged() {
        for (SimNode r : replicas) {
            if (r.link.state() != MasterLink.State.STREAMING || r.log.offset() != master.log.offset()
                    || !r.log.replId().equals(master.log.replId())) {
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
        Map<Bytes, Entry> expected = master.keyspace.contents();
        for (SimNode r : replicas) {
            check(r.log.offset() == master.log.offset(), r.name + " offset " + r.log.offset() + " != master " + master.log.offset());
            check(r.log.replId().equals(master.log.replId()), r.name + " follows another history");
            Map<Bytes, Entry> got = r.keyspace.contents();
            if (!got.equals(expected)) {
                throw new AssertionError("seed " + seed + ": " + r.name + " differs from the master:\n master="
                        + expected + "\n " + r.name + "=" + got);
            }
        }
    }

    private void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError("seed " + seed + ": " + what);
        }
    }

    ReplicationId masterId() {
        return master.log.replId();
    }
}
