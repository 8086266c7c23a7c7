package dev.replcache.replication.lease;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * A seeded simulation of lease failover: three or four nodes run the production
 * {@link LeaseElector} and {@link Candidacy} against an in-memory API server, on clocks that run
 * at slightly different rates (±2 %), while the schedule crashes and restarts nodes (a new
 * identity per run, the data of its dump), cuts nodes off the API server, cuts them off their
 * siblings (no sibling queries and no replication), and clients write to whichever node takes
 * writes, waiting for one replica's ack (WAIT 1).
 *
 * <p>Replication is modelled as each node's log of write ids: a replica whose log is a prefix of
 * its master's copies more of it (partial resync), any other takes the master's whole log (full
 * resync). A node does what {@code LeaseFailover} does: it takes writes only while
 * {@link LeaseElector#mayWrite()}, promotes itself when it takes the lease, follows the holder.
 *
 * <p>Checked on every step:
 * <ul>
 *   <li>at no instant do two live nodes take writes (the fence closes before anyone can take over);</li>
 *   <li>every epoch's writes come from one node;</li>
 *   <li>a write acknowledged with WAIT 1 is lost at an election only when no node that held it
 *       answered the winner as a candidate that could stand (crashed, cut off, priority 0, or
 *       off the API server): with one such node answering, the winner has the write.</li>
 * </ul>
 */
final class LeaseSimulation {

    static final long LEASE_MS = 15_000;
    static final long RENEW_MS = 10_000;
    static final long RETRY_MS = 2_000;

    /** Counters over runs, for the report. */
    static final class Stats {
        long steps;
        long writes;
        long refusedWrites;
        long acked;
        long elections;
        long crashes;
        long apiCuts;
        long peerCuts;
        long fullSyncs;
        long partialSyncs;
        long ackedKeptAtElection;
        long ackedLostNoWitness;
        long lostNoLiveHolder;
        long lostHolderCutOff;
        long lostHolderCouldNotStand;
        long maxEpoch;

        void add(Stats o) {
            steps += o.steps;
            writes += o.writes;
            refusedWrites += o.refusedWrites;
            acked += o.acked;
            elections += o.elections;
            crashes += o.crashes;
            apiCuts += o.apiCuts;
            peerCuts += o.peerCuts;
            fullSyncs += o.fullSyncs;
            partialSyncs += o.partialSyncs;
            ackedKeptAtElection += o.ackedKeptAtElection;
            ackedLostNoWitness += o.ackedLostNoWitness;
            lostNoLiveHolder += o.lostNoLiveHolder;
            lostHolderCutOff += o.lostHolderCutOff;
            lostHolderCouldNotStand += o.lostHolderCouldNotStand;
            maxEpoch = Math.max(maxEpoch, o.maxEpoch);
        }

        String report() {
            return String.format("lease simulation: %d steps; %d writes taken, %d refused; %d acked with WAIT 1; "
                            + "%d elections (highest epoch %d); faults: %d crashes, %d API cuts, %d sibling cuts; "
                            + "syncs: %d full, %d partial; at elections: %d acked writes kept, %d lost with no node "
                            + "holding them able to stand (%d: no live node held them; %d: the holders were cut off "
                            + "from the winner; %d: a holder answered but could not stand)", steps, writes,
                    refusedWrites, acked, elections, maxEpoch, crashes, apiCuts, peerCuts, fullSyncs, partialSyncs,
                    ackedKeptAtElection, ackedLostNoWitness, lostNoLiveHolder, lostHolderCutOff, lostHolderCouldNotStand);
        }
    }

    private final class Node {
        final String name;
        final int priority;
        final double rate;
        final long skew;
        int run;
        boolean alive = true;
        boolean peersReachable = true;
        InMemoryLeaseStore.Connection api;
        LeaseElector elector;
        /** The node it follows, null while it is a master. */
        Node master;
        List<Long> log = new ArrayList<>();
        /** The lease its stream carries: its own as a master, its master's as a replica (as CacheNode.streamLease). */
        dev.replcache.replication.LeaseEpoch lease = dev.replcache.replication.LeaseEpoch.NONE;
        boolean synced;
        boolean held;
        /** It refused a full resync that would take back its writes (MasterLink's rewinding guard). */
        boolean refused;
        long nextRoundAt;
        /** The candidates that answered it when it last stood, and what they said. */
        List<Candidacy.Candidate> lastAnswers = List.of();

        Node(String name, int priority) {
            this.name = name;
            this.priority = priority;
            this.rate = 0.98 + random.nextDouble() * 0.04;
            this.skew = random.nextLong(1_000_000);
        }

        long localMillis() {
            return (long) (now * rate) + skew;
        }

        void boot() {
            run++;
            api = store.as(name);
            elector = new LeaseElector(api, new LeaseElector.Settings(name + "#" + run, name, LEASE_MS, RENEW_MS,
                    RETRY_MS), this::localMillis);
            master = null;
            synced = false;
            held = false;
            refused = false;
            lease = dev.replcache.replication.LeaseEpoch.NONE;
            nextRoundAt = now + random.nextLong(RETRY_MS);
        }

        boolean takesWrites() {
            return alive && master == null && elector.mayWrite();
        }

        Candidacy.Candidate candidate() {
            return new Candidacy.Candidate(name, priority, historyEpoch(), log.size(), synced || held,
                    refused || !api.reachable);
        }

        long historyEpoch() {
            return lease.historyEpochAt(log.size());
        }
    }

    private record Acked(long id, Node writer) {
    }

    private final long seed;
    private final SplittableRandom random;
    private final InMemoryLeaseStore store = new InMemoryLeaseStore();
    private final List<Node> nodes = new ArrayList<>();
    private final Map<Long, String> writerOfEpoch = new HashMap<>();
    /** Writes taken and not acked yet: (id, writer). */
    private final List<Acked> pending = new ArrayList<>();
    private final List<Long> acked = new ArrayList<>();
    final Stats stats = new Stats();
    private long now;
    private long nextWrite = 1;
    private int step;

    LeaseSimulation(long seed) {
        this.seed = seed;
        this.random = new SplittableRandom(seed);
        int n = 3 + random.nextInt(2);
        for (int i = 0; i < n; i++) {
            // Now and then one node that never becomes the master (Sentinel's replica-priority 0).
            int priority = i == n - 1 && random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(3) * 50;
            nodes.add(new Node(Character.toString('a' + i), priority));
        }
        for (Node node : nodes) {
            node.boot();
        }
    }

    void run(int steps) {
        for (step = 0; step < steps; step++) {
            now += 50 + random.nextLong(450);
            faults();
            for (Node node : nodes) {
                if (node.alive && node.nextRoundAt <= now) {
                    round(node);
                    node.nextRoundAt = now + RETRY_MS;
                }
            }
            replicate();
            writes();
            checkFence();
            stats.steps++;
        }
        stats.maxEpoch = store.current() == null ? -1 : store.current().transitions();
    }

    private AssertionError fail(String what) {
        return new AssertionError("lease simulation seed " + seed + " step " + step + " (t=" + now + " ms): " + what);
    }

    private void faults() {
        int roll = random.nextInt(1_000);
        Node n = nodes.get(random.nextInt(nodes.size()));
        if (roll < 6 && n.alive) {
            n.alive = false; // kill -9: no release, no handover
            stats.crashes++;
        } else if (roll < 40 && !n.alive) {
            n.alive = true;
            // Its dump: some prefix of what it held (a save is periodic).
            n.log = new ArrayList<>(n.log.subList(0, random.nextInt(n.log.size() + 1)));
            n.boot();
        } else if (roll < 50) {
            n.api.reachable = !n.api.reachable;
            stats.apiCuts += n.api.reachable ? 0 : 1;
        } else if (roll < 58) {
            n.peersReachable = !n.peersReachable;
            stats.peerCuts += n.peersReachable ? 0 : 1;
        }
    }

    /** What LeaseFailover.round does. */
    private void round(Node n) {
        LeaseElector.Outcome o = n.elector.step(n.name, () -> whyNotStand(n));
        LeaseElector.View v = o.view();
        if (v.leading()) {
            if (o.change() == LeaseElector.Change.ACQUIRED) {
                elected(n, v.epoch());
                if (n.lease.epoch() != v.epoch()) {
                    // As LeaseFailover: its entries past this offset are of the new epoch.
                    n.lease = new dev.replcache.replication.LeaseEpoch(v.epoch(), n.log.size(), n.historyEpoch());
                }
                n.master = null;
            }
            n.held = true;
            return;
        }
        LeaseRecord h = v.holder();
        if (h != null && v.holderLive() && !h.address().equals(n.name)) {
            Node holder = byName(h.address());
            if (n.master != holder) {
                n.master = holder; // REPLICAOF: a refusal is the operator's to end, and this is one
                n.refused = false;
            }
        }
    }

    private String whyNotStand(Node n) {
        List<Optional<Candidacy.Candidate>> siblings = new ArrayList<>();
        List<Candidacy.Candidate> answers = new ArrayList<>();
        for (Node s : nodes) {
            if (s == n) {
                continue;
            }
            if (s.alive && s.peersReachable && n.peersReachable) {
                Candidacy.Candidate c = s.candidate();
                siblings.add(Optional.of(c));
                answers.add(c);
            } else {
                siblings.add(Optional.empty());
            }
        }
        n.lastAnswers = answers;
        return Candidacy.whyNotStand(n.candidate(), siblings);
    }

    /**
     * {@code n} took the lease at a new epoch: every acked write held by a sibling that answered
     * it as a candidate able to stand must be in its log; others may be lost, and are counted.
     */
    private void elected(Node n, long epoch) {
        stats.elections++;
        List<Long> still = new ArrayList<>();
        java.util.Set<Long> mine = new java.util.HashSet<>(n.log);
        for (long id : acked) {
            if (mine.contains(id)) {
                stats.ackedKeptAtElection++;
                still.add(id);
                continue;
            }
            boolean answered = false;
            for (Candidacy.Candidate c : n.lastAnswers) {
                Node s = byName(c.name());
                if (!s.log.contains(id)) {
                    continue;
                }
                answered = true;
                if (c.priority() > 0 && !c.refused() && c.synced()) {
                    throw fail(n.name + " took epoch " + epoch + " without acked write " + id + " that " + c.name()
                            + " held and could stand with (" + c + " vs " + n.candidate() + ")");
                }
            }
            stats.ackedLostNoWitness++;
            if (answered) {
                stats.lostHolderCouldNotStand++; // it answered, but priority 0, off the API server, refused or unsynced
            } else if (nodes.stream().anyMatch(s -> s != n && s.alive && s.log.contains(id))) {
                stats.lostHolderCutOff++; // alive but cut off from the winner
            } else {
                stats.lostNoLiveHolder++; // every node that held it crashed (or restarted from an older dump)
            }
        }
        acked.clear();
        acked.addAll(still);
        pending.removeIf(p -> p.writer() != n);
    }

    private Node byName(String name) {
        for (Node n : nodes) {
            if (n.name.equals(name)) {
                return n;
            }
        }
        throw fail("no node " + name);
    }

    private void replicate() {
        for (Node r : nodes) {
            Node m = r.master;
            if (!r.alive || m == null || !m.alive || !r.peersReachable || !m.peersReachable || m.master != null) {
                continue; // no cascading in this model: a replica of a replica waits for its re-point
            }
            long floor = r.elector.view().epoch();
            if (m.lease.isNone() ? floor >= 0 : m.lease.epoch() < floor) {
                continue; // MasterLink: a stale master (no lease, or an older epoch) is not followed
            }
            List<Long> ml = m.log;
            boolean prefix = r.log.size() <= ml.size() && ml.subList(0, r.log.size()).equals(r.log);
            if (!prefix && !(m.lease.epoch() > r.historyEpoch())) {
                r.refused = true; // it would drop writes of an epoch the master was not elected after
                continue;
            }
            if (prefix) {
                int more = Math.min(ml.size() - r.log.size(), random.nextInt(6));
                r.log.addAll(ml.subList(r.log.size(), r.log.size() + more));
                stats.partialSyncs += r.synced ? 0 : 1;
            } else {
                r.log = new ArrayList<>(ml);
                stats.fullSyncs++;
            }
            r.synced = true;
            r.lease = m.lease;
        }
    }

    private void writes() {
        for (int i = random.nextInt(4); i > 0; i--) {
            Node n = nodes.get(random.nextInt(nodes.size()));
            if (!n.takesWrites()) {
                stats.refusedWrites++;
                continue;
            }
            long epoch = n.elector.view().epoch();
            String writer = writerOfEpoch.putIfAbsent(epoch, n.name + "#" + n.run);
            if (writer != null && !writer.equals(n.name + "#" + n.run)) {
                throw fail("epoch " + epoch + " has two writers: " + writer + " and " + n.name + "#" + n.run);
            }
            long id = nextWrite++;
            n.log.add(id);
            pending.add(new Acked(id, n));
            stats.writes++;
        }
        // WAIT 1: a write is acknowledged once a replica of its writer holds it (while the writer still writes).
        pending.removeIf(p -> {
            if (!p.writer().takesWrites()) {
                return true; // the client's WAIT times out: not acknowledged
            }
            for (Node r : nodes) {
                if (r.alive && r.master == p.writer() && r.log.contains(p.id())) {
                    acked.add(p.id());
                    stats.acked++;
                    return true;
                }
            }
            return false;
        });
    }

    private void checkFence() {
        Node writer = null;
        for (Node n : nodes) {
            if (n.takesWrites()) {
                if (writer != null) {
                    throw fail(writer.name + " and " + n.name + " both take writes (epochs "
                            + writer.elector.view().epoch() + ", " + n.elector.view().epoch() + ")");
                }
                writer = n;
            }
        }
    }
}
