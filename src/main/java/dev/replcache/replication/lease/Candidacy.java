package dev.replcache.replication.lease;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Who may stand for the lease when it is free: Sentinel's order, decided by each node on what it
 * can know. A candidate that some reachable sibling beats stays out, so the node with the most of
 * the history wins when the siblings can talk; the lease's compare-and-swap settles any race.
 */
public final class Candidacy {

    /**
     * What a node says of itself to its siblings.
     *
     * @param priority Sentinel's replica-priority: lower wins a tie of offsets, 0 never stands
     * @param historyEpoch the lease epoch of the newest master whose history it holds (the stream it
     *                 follows or followed, or its own lease), -1 with none: as Raft compares the last
     *                 log term before the index, offsets of histories of different masters mean nothing
     * @param synced   it completed a sync with a master in this run, or holds the lease (a node that
     *                 never synced knows no history to be sure of)
     * @param refused  it refused a resync (to protect its data): it stays out until an operator decides
     */
    public record Candidate(String name, int priority, long historyEpoch, long offset, boolean synced,
                            boolean refused) {

        boolean mayEverStand() {
            return priority > 0 && !refused;
        }
    }

    /**
     * A node that synced in this run first (its history is one a master had), then the history of
     * the newest epoch, then more of it, then the lower priority, then the smaller name.
     */
    static final Comparator<Candidate> BEST_FIRST = Comparator.comparing((Candidate c) -> !c.synced())
            .thenComparing(Comparator.comparingLong(Candidate::historyEpoch).reversed())
            .thenComparing(Comparator.comparingLong(Candidate::offset).reversed())
            .thenComparingInt(Candidate::priority)
            .thenComparing(Candidate::name);

    private Candidacy() {
    }

    /**
     * @param siblings one entry per configured sibling: what it said, or empty when it did not answer
     * @return null when {@code me} stands, else why not
     */
    public static String whyNotStand(Candidate me, List<Optional<Candidate>> siblings) {
        if (me.priority() <= 0) {
            return "priority 0: this node never stands";
        }
        if (me.refused()) {
            return "this node refused a resync: it stands again after REPLICAOF";
        }
        if (!me.synced() && siblings.stream().anyMatch(Optional::isEmpty)) {
            // A node with no synced history stands only when it can see that nobody knows more.
            return "this node never synced and not every sibling answered";
        }
        for (Optional<Candidate> s : siblings) {
            if (s.isPresent() && s.get().mayEverStand() && BEST_FIRST.compare(s.get(), me) < 0) {
                Candidate better = s.get();
                return better.name() + " is a better candidate (epoch " + better.historyEpoch() + ", offset "
                        + better.offset() + ", priority " + better.priority() + ")";
            }
        }
        return null;
    }
}
