package dev.replcache.replication.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.replcache.keyspace.MillisClock;
import org.junit.jupiter.api.Test;

/** The lease election and its fence, on a manual clock: Kubernetes' defaults 15 s / 10 s / 2 s. */
class LeaseElectorTest {

    private static final long DURATION = 15_000;
    private static final long DEADLINE = 10_000;
    private static final long RETRY = 2_000;

    private final InMemoryLeaseStore store = new InMemoryLeaseStore();
    private long now = 1_000_000;
    private final MillisClock clock = () -> now;

    private final java.util.Map<LeaseElector, InMemoryLeaseStore.Connection> connections = new java.util.IdentityHashMap<>();

    private LeaseElector elector(String identity, String name) {
        InMemoryLeaseStore.Connection c = store.as(name);
        LeaseElector e = new LeaseElector(c, new LeaseElector.Settings(identity, name, DURATION, DEADLINE, RETRY), clock);
        connections.put(e, c);
        return e;
    }

    @Test
    void theFirstCandidateCreatesTheLeaseAtEpochZeroAndMayWriteUntilItsRenewDeadline() {
        LeaseElector a = elector("run-a", "a");
        LeaseElector.Outcome o = a.step("a:9090", true);
        assertThat(o.change()).isEqualTo(LeaseElector.Change.ACQUIRED);
        assertThat(o.view().leading()).isTrue();
        assertThat(o.view().epoch()).isZero();
        assertThat(store.current().holder()).isEqualTo("run-a");
        assertThat(store.current().address()).isEqualTo("a:9090");
        now += DEADLINE - 1;
        assertThat(a.mayWrite()).isTrue();
        now += 1;
        assertThat(a.mayWrite()).as("no renewal for renew-deadline: fenced").isFalse();
    }

    @Test
    void aRenewingHolderKeepsTheLeaseAndTheOthersFollowIt() {
        LeaseElector a = elector("run-a", "a");
        LeaseElector b = elector("run-b", "b");
        a.step("a:1", true);
        LeaseElector.Outcome seen = b.step("b:1", true);
        assertThat(seen.change()).isEqualTo(LeaseElector.Change.NEW_HOLDER);
        assertThat(seen.view().holder().address()).isEqualTo("a:1");
        for (int i = 0; i < 20; i++) {
            now += RETRY;
            assertThat(a.step("a:1", true).view().leading()).isTrue();
            LeaseElector.Outcome o = b.step("b:1", true);
            assertThat(o.view().leading()).isFalse();
            assertThat(o.view().holderLive()).isTrue();
            assertThat(o.change()).isEqualTo(LeaseElector.Change.NONE);
        }
        assertThat(store.current().transitions()).isZero();
    }

    @Test
    void aSilentHolderLosesTheLeaseOnlyAfterItsFenceClosed() {
        LeaseElector a = elector("run-a", "a");
        LeaseElector b = elector("run-b", "b");
        a.step("a:1", true);
        long lastRenewSent = now;
        b.step("b:1", true);
        InMemoryLeaseStore.Connection aConn = connections.get(a);
        aConn.reachable = false;
        long bTookOver = -1;
        long aFenced = -1;
        long aLost = -1;
        for (int i = 0; i < 200 && bTookOver < 0; i++) {
            now += 100;
            if (aFenced < 0 && !a.mayWrite()) {
                aFenced = now;
            }
            if (i % 20 == 0 && a.step("a:1", true).change() == LeaseElector.Change.LOST) {
                aLost = now;
            }
            if (i % 20 == 10 && b.step("b:1", true).change() == LeaseElector.Change.ACQUIRED) {
                bTookOver = now;
            }
        }
        assertThat(aFenced).isEqualTo(lastRenewSent + DEADLINE);
        assertThat(aLost).isGreaterThanOrEqualTo(aFenced);
        assertThat(bTookOver).as("b takes over a lease duration after it last saw it change")
                .isGreaterThanOrEqualTo(lastRenewSent + DURATION);
        assertThat(bTookOver - aFenced).isGreaterThanOrEqualTo(DURATION - DEADLINE);
        assertThat(store.current().holder()).isEqualTo("run-b");
        assertThat(store.current().transitions()).as("a new epoch").isEqualTo(1);
        // a comes back: it sees b hold the lease and does not write.
        aConn.reachable = true;
        LeaseElector.Outcome back = a.step("a:1", true);
        assertThat(back.view().leading()).isFalse();
        assertThat(back.view().holder().holder()).isEqualTo("run-b");
        assertThat(a.mayWrite()).isFalse();
    }

    @Test
    void aRestartedNodeIsANewCandidateAndWaitsOutItsOldClaim() {
        elector("run-a1", "a").step("a:1", true);
        LeaseElector restarted = elector("run-a2", "a");
        LeaseElector.Outcome o = restarted.step("a:1", true);
        assertThat(o.view().leading()).as("the old run's claim is not ours").isFalse();
        now += DURATION;
        assertThat(restarted.step("a:1", true).change()).isEqualTo(LeaseElector.Change.ACQUIRED);
        assertThat(store.current().transitions()).isEqualTo(1);
    }

    @Test
    void aNodeThatDoesNotStandNeverTakesAFreeLease() {
        LeaseElector b = elector("run-b", "b");
        assertThat(b.step("b:1", false).view().leading()).isFalse();
        assertThat(store.current()).isNull();
        elector("run-a", "a").step("a:1", true);
        assertThat(b.step("b:1", false).view().holderLive()).isTrue();
        now += DURATION * 3;
        LeaseElector.Outcome o = b.step("b:1", false);
        assertThat(o.view().leading()).isFalse();
        assertThat(o.view().holderLive()).as("unchanged for a lease duration by b's clock: ran out").isFalse();
        assertThat(store.current().holder()).isEqualTo("run-a");
    }

    /** a holds the lease, b has seen it. */
    private record HolderAndFollower(LeaseElector a, LeaseElector b) {
    }

    private HolderAndFollower aHoldsBFollows() {
        LeaseElector a = elector("run-a", "a");
        LeaseElector b = elector("run-b", "b");
        a.step("a:1", true);
        b.step("b:1", true);
        return new HolderAndFollower(a, b);
    }

    @Test
    void aReleasedLeaseIsTakenAtOnceUnderANewEpoch() {
        HolderAndFollower set = aHoldsBFollows();
        LeaseElector a = set.a();
        LeaseElector b = set.b();
        assertThat(a.release()).isTrue();
        assertThat(a.mayWrite()).isFalse();
        LeaseElector.Outcome o = b.step("b:1", true);
        assertThat(o.change()).isEqualTo(LeaseElector.Change.ACQUIRED);
        assertThat(o.view().epoch()).isEqualTo(1);
    }

    @Test
    void aHandoverMakesTheTargetTheHolderAtItsNextStep() {
        HolderAndFollower set = aHoldsBFollows();
        LeaseElector a = set.a();
        LeaseElector b = set.b();
        assertThat(a.handOver("b", "b:1")).isTrue();
        assertThat(a.mayWrite()).isFalse();
        assertThat(store.current().address()).isEqualTo("b:1");
        // A node at that address that is not waiting for a handover (it restarted there) leaves it.
        LeaseElector restartedB = elector("run-b2", "b");
        LeaseElector.Outcome refused = restartedB.step("b:1", () -> null, () -> false);
        assertThat(refused.view().leading()).isFalse();
        assertThat(refused.view().holderLive()).isTrue();
        LeaseElector.Outcome o = b.step("b:1", () -> null, () -> true);
        assertThat(o.change()).isEqualTo(LeaseElector.Change.ACQUIRED);
        assertThat(o.view().epoch()).isEqualTo(1);
        assertThat(store.current().holder()).isEqualTo("run-b");
        assertThat(a.step("a:1", true).view().leading()).isFalse();
        assertThat(a.handOver("c", "c:1")).as("only the holder hands over").isFalse();
    }

    @Test
    void twoCandidatesRacingForAFreeLeaseGiveOneHolder() {
        InMemoryLeaseStore.Connection racer = store.as("c");
        LeaseElector a = elector("run-a", "a");
        a.step("a:1", true);
        a.release();
        // b reads the released lease, then c writes it before b does: b's compare-and-swap fails.
        LeaseStore interleaved = new LeaseStore() {
            @Override
            public java.util.Optional<LeaseRecord> get() throws LeaseStoreException {
                java.util.Optional<LeaseRecord> r = racer.get();
                racer.replace(new LeaseRecord("run-c", "c", "c:1", DURATION, r.get().transitions() + 1, null),
                        r.get().version());
                return r;
            }

            @Override
            public LeaseRecord create(LeaseRecord desired) throws LeaseStoreException {
                return racer.create(desired);
            }

            @Override
            public LeaseRecord replace(LeaseRecord desired, String expectedVersion) throws LeaseStoreException {
                return racer.replace(desired, expectedVersion);
            }
        };
        LeaseElector b = new LeaseElector(interleaved, new LeaseElector.Settings("run-b", "b", DURATION, DEADLINE, RETRY),
                clock);
        LeaseElector.Outcome o = b.step("b:1", true);
        assertThat(o.view().leading()).isFalse();
        assertThat(b.mayWrite()).isFalse();
        assertThat(store.current().holder()).isEqualTo("run-c");
    }

    @Test
    void durationsMustNest() {
        assertThatThrownBy(() -> new LeaseElector.Settings("x", "x", 10_000, 10_000, 2_000))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("renew-deadline");
        assertThatThrownBy(() -> new LeaseElector.Settings("x", "x", 15_000, 1_000, 2_000))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("retry-period");
    }
}
