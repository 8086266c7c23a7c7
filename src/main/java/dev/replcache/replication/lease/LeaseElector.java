package dev.replcache.replication.lease;

import dev.replcache.keyspace.MillisClock;
import java.util.Objects;
import java.util.Optional;

/**
 * Leader election on a lease, the algorithm of Kubernetes' own controllers (client-go's
 * {@code leaderelection}): the holder renews every retry period; the others watch the record
 * and take it over, by compare-and-swap, once it has not changed for a lease duration by their
 * own clock, so clocks need not agree, only run at about the same rate.
 *
 * <p>Fencing is the holder's side of the same bargain: it may take writes only until
 * renew-deadline after it sent its last successful renewal. Another node can take over no
 * sooner than lease-duration after it saw that renewal written, which is later than it was
 * sent; so the old holder has stopped writing at least {@code leaseDuration - renewDeadline}
 * before a new one starts. Every change of hands adds one to {@code transitions}: the epoch.
 *
 * <p>Not thread-safe: one driver thread calls {@link #step}; {@link #mayWrite} is safe from any
 * thread.
 */
public final class LeaseElector {

    /**
     * @param identity this run of the node (a restarted node is a new candidate: it must not
     *                 find itself still holding a lease its previous run held)
     * @param name     the node's stable name (its pod)
     */
    public record Settings(String identity, String name, long leaseDurationMs, long renewDeadlineMs,
                           long retryPeriodMs) {
        public Settings {
            Objects.requireNonNull(identity, "identity");
            Objects.requireNonNull(name, "name");
            if (identity.isEmpty()) {
                throw new IllegalArgumentException("identity must not be empty");
            }
            if (retryPeriodMs <= 0 || renewDeadlineMs <= retryPeriodMs || leaseDurationMs <= renewDeadlineMs) {
                throw new IllegalArgumentException("lease durations must satisfy 0 < retry-period (" + retryPeriodMs
                        + " ms) < renew-deadline (" + renewDeadlineMs + " ms) < lease-duration (" + leaseDurationMs + " ms)");
            }
        }
    }

    /**
     * What this node knows after a step.
     *
     * @param leading    this node holds the lease (and may write until its fence, see {@link #mayWrite})
     * @param epoch      the lease's transitions as last seen, -1 before any
     * @param holder     the holder as last seen (null when there is no lease or it was released)
     * @param holderLive the holder's claim has not run out by our clock
     * @param reachable  the last round trip to the store succeeded
     */
    public record View(boolean leading, long epoch, LeaseRecord holder, boolean holderLive, boolean reachable) {
    }

    /** What a step changed, for the driver to act on and log. */
    public enum Change { NONE, ACQUIRED, LOST, NEW_HOLDER }

    /** A step's outcome: the view after it, what changed and why. */
    public record Outcome(View view, Change change, String reason) {
    }

    /**
     * The holder of a lease handed over to an address: the node there takes it at its next step
     * (writing its own identity), the others see it held meanwhile.
     */
    public static final String HANDOVER_PREFIX = "handover-to:";

    private final LeaseStore store;
    private final Settings settings;
    private final MillisClock clock;

    private LeaseRecord observed;
    private long observedAt;
    private boolean leading;
    private String lastHolder; // identity, to see a change of hands
    /** Monotonic ms until which this node may write: the last renewal's send time plus renew-deadline. */
    private volatile long writableUntil = Long.MIN_VALUE;
    private volatile View view = new View(false, -1, null, false, false);

    public LeaseElector(LeaseStore store, Settings settings, MillisClock monotonic) {
        this.store = Objects.requireNonNull(store, "store");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(monotonic, "monotonic");
    }

    public Settings settings() {
        return settings;
    }

    /** True while this node holds the lease and its fence has not closed. */
    public boolean mayWrite() {
        return clock.millis() < writableUntil;
    }

    public View view() {
        return view;
    }

    /**
     * One round: renew when leading; take the lease when {@code standing} and it is free (absent,
     * released, or unchanged for its duration); else only watch it.
     *
     * @param address  where this node would be followed, should it lead
     * @param standing whether this node may take the lease over now (the candidate rules)
     */
    public Outcome step(String address, boolean standing) {
        return step(address, () -> standing ? null : "this node does not stand");
    }

    /**
     * As {@link #step(String, boolean)}, asking the candidate rules only when the lease is free:
     * they may cost a round of calls to the siblings.
     *
     * @param whyNotStand null when this node stands, else why not (it goes into the outcome's reason)
     */
    public Outcome step(String address, java.util.function.Supplier<String> whyNotStand) {
        return step(address, whyNotStand, () -> false);
    }

    /**
     * As {@link #step(String, java.util.function.Supplier)}, also taking a lease handed over to
     * {@code address} ({@link #handOver}) when {@code acceptHandover} says this node is the one
     * the handover was meant for (a FAILOVER's target waiting for it), not a node that restarted
     * at that address.
     */
    public Outcome step(String address, java.util.function.Supplier<String> whyNotStand,
                        java.util.function.BooleanSupplier acceptHandover) {
        long sentAt = clock.millis();
        Optional<LeaseRecord> current;
        try {
            current = store.get();
        } catch (LeaseStore.LeaseStoreException e) {
            return unreachable(e);
        }
        long seenAt = clock.millis();
        if (current.isEmpty()) {
            observed = null;
            String notStanding = whyNotStand.get();
            if (notStanding != null) {
                return lostIfLeading(null, false, "the lease does not exist; " + notStanding);
            }
            return write(() -> store.create(desired(address, 0)), sentAt, "created the lease");
        }
        LeaseRecord rec = current.get();
        if (observed == null || !Objects.equals(observed.version(), rec.version())) {
            observed = rec;
            observedAt = seenAt;
        }
        boolean handedToUs = rec.holder().equals(HANDOVER_PREFIX + address) && acceptHandover.getAsBoolean();
        if (settings.identity().equals(rec.holder()) || handedToUs) {
            return write(() -> store.replace(desired(address, rec.transitions()), rec.version()), sentAt,
                    handedToUs ? "took the lease handed over to this node" : "renewed the lease");
        }
        boolean live = !rec.released() && seenAt < observedAt + rec.durationMs();
        if (live) {
            return lostIfLeading(rec, true, "the lease is held by " + rec.holderName());
        }
        String notStanding = whyNotStand.get();
        if (notStanding != null) {
            return lostIfLeading(rec, false, "the lease is free; " + notStanding);
        }
        String why = rec.released() ? "took the released lease over from " + rec.holderName()
                : "took the lease over from " + rec.holderName() + ", silent for " + (seenAt - observedAt) + " ms";
        return write(() -> store.replace(desired(address, rec.transitions() + 1), rec.version()), sentAt, why);
    }

    /**
     * Hands the lease to another node (a planned stop after a FAILOVER to it): it holds the lease
     * from its next renewal on, with a new epoch. This node stops writing first.
     *
     * @return false when this node does not hold the lease or the store refused
     */
    public boolean handOver(String toName, String toAddress) {
        return giveAway(rec -> new LeaseRecord(HANDOVER_PREFIX + toAddress, toName, toAddress,
                settings.leaseDurationMs(), rec.transitions() + 1, null));
    }

    /** Gives the lease up (a stop with nobody to hand over to): the others may take it at once. */
    public boolean release() {
        return giveAway(rec -> new LeaseRecord("", rec.holderName(), "", 1000, rec.transitions(), null));
    }

    /**
     * Stops writing, then writes the lease away from this node. When the store refuses, this node
     * still holds the lease, fenced until its next renewal.
     */
    private boolean giveAway(java.util.function.UnaryOperator<LeaseRecord> next) {
        writableUntil = Long.MIN_VALUE;
        LeaseRecord rec = observed;
        if (!leading || rec == null) {
            return false;
        }
        try {
            LeaseRecord stored = store.replace(next.apply(rec), rec.version());
            observe(stored);
            leading = false;
            LeaseRecord holder = stored.released() ? null : stored;
            lastHolder = holder == null ? null : holder.holder();
            view = new View(false, stored.transitions(), holder, holder != null, true);
            return true;
        } catch (LeaseStore.LeaseStoreException e) {
            return false;
        }
    }

    private LeaseRecord desired(String address, long transitions) {
        return new LeaseRecord(settings.identity(), settings.name(), address == null ? "" : address,
                settings.leaseDurationMs(), transitions, null);
    }

    private interface Write {
        LeaseRecord run() throws LeaseStore.LeaseStoreException;
    }

    private Outcome write(Write write, long sentAt, String why) {
        LeaseRecord stored;
        try {
            stored = write.run();
        } catch (LeaseStore.LeaseConflictException e) {
            // Somebody wrote first: the next step reads who.
            return lostIfLeading(observed, true, "lost a race for the lease: " + e.getMessage());
        } catch (LeaseStore.LeaseStoreException e) {
            return unreachable(e);
        }
        observe(stored);
        writableUntil = sentAt + settings.renewDeadlineMs();
        boolean acquired = !leading;
        leading = true;
        lastHolder = stored.holder();
        view = new View(true, stored.transitions(), stored, true, true);
        return new Outcome(view, acquired ? Change.ACQUIRED : Change.NONE, why);
    }

    private void observe(LeaseRecord stored) {
        observed = stored;
        observedAt = clock.millis();
    }

    private Outcome unreachable(Exception e) {
        String why = "the lease store did not answer: " + e.getMessage();
        View before = view;
        if (leading && !mayWrite()) {
            leading = false;
            view = new View(false, before.epoch(), before.holder(), false, false);
            return new Outcome(view, Change.LOST, why + " (no renewal within renew-deadline "
                    + settings.renewDeadlineMs() + " ms)");
        }
        view = new View(leading, before.epoch(), before.holder(), before.holderLive(), false);
        return new Outcome(view, Change.NONE, why);
    }

    private Outcome lostIfLeading(LeaseRecord rec, boolean live, String why) {
        boolean wasLeading = leading;
        leading = false;
        writableUntil = Long.MIN_VALUE;
        LeaseRecord held = rec == null || rec.released() ? null : rec;
        boolean newHolder = held != null && !held.holder().equals(lastHolder);
        lastHolder = held == null ? null : held.holder();
        view = new View(false, rec == null ? view.epoch() : rec.transitions(), held, live, true);
        Change change = wasLeading ? Change.LOST : newHolder ? Change.NEW_HOLDER : Change.NONE;
        return new Outcome(view, change, why);
    }
}
