package dev.replcache.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.replcache.replication.Failover.Action;
import dev.replcache.replication.Failover.Answer;
import dev.replcache.replication.Failover.State;
import org.junit.jupiter.api.Test;

/** The FAILOVER state machine: every way it can go, stepped by hand. */
class FailoverTest {

    /** Paused at offset 100 at t=0, 500 ms for the target to ack, at least 1 s for the handshake. */
    private final Failover f = new Failover("10.0.0.2:9090", 100, 0, 500, 1_000);

    @Test
    void asksForAcksEveryFiftyMillisecondsUntilTheTargetAckedThePausedOffset() {
        assertThat(f.state()).isEqualTo(State.WAIT_FOR_SYNC);
        assertThat(f.step(0, -1, Answer.NONE)).isEqualTo(Action.ASK_FOR_ACKS);
        assertThat(f.step(10, 90, Answer.NONE)).isEqualTo(Action.NONE);
        assertThat(f.step(50, 99, Answer.NONE)).isEqualTo(Action.ASK_FOR_ACKS);
        assertThat(f.step(60, 100, Answer.NONE)).isEqualTo(Action.HAND_OVER);
        assertThat(f.state()).isEqualTo(State.FAILOVER_IN_PROGRESS);
        assertThat(f.handedOver()).isTrue();
    }

    @Test
    void aTargetThatNeverAcksAbortsAtTheDeadlineBeforeAnythingWentOut() {
        f.step(0, -1, Answer.NONE);
        assertThat(f.step(499, 99, Answer.NONE)).isNotEqualTo(Action.RESUME);
        assertThat(f.step(500, 99, Answer.NONE)).isEqualTo(Action.RESUME);
        assertThat(f.state()).isEqualTo(State.NO_FAILOVER);
        assertThat(f.handedOver()).isFalse();
        assertThat(f.outcome()).isEqualTo(Action.RESUME);
        assertThat(f.pausedMs(9_999)).isEqualTo(500);
    }

    @Test
    void theTargetsAnswerEndsIt() {
        f.step(0, 100, Answer.NONE);
        assertThat(f.step(5, 100, Answer.NONE)).isEqualTo(Action.NONE);
        assertThat(f.step(30, 100, Answer.TOOK_OVER)).isEqualTo(Action.DONE);
        assertThat(f.state()).isEqualTo(State.NO_FAILOVER);
        assertThat(f.pausedMs(1_000)).isEqualTo(30);
        assertThat(f.step(40, 100, Answer.REFUSED)).as("nothing after the end").isEqualTo(Action.NONE);
    }

    @Test
    void aRefusalRevertsTheOldMaster() {
        f.step(0, 100, Answer.NONE);
        assertThat(f.step(30, 100, Answer.REFUSED)).isEqualTo(Action.REVERT);
        assertThat(f.outcome()).isEqualTo(Action.REVERT);
    }

    /** Issue 11 row 2: a lost answer is not a refusal; the old master must not take writes again. */
    @Test
    void aLostAnswerMakesTheOutcomeUnknownAndNeverRevertsByTime() {
        f.step(400, 100, Answer.NONE); // acked late: the handshake still gets its second
        assertThat(f.step(1_399, 100, Answer.NONE)).isEqualTo(Action.NONE);
        assertThat(f.step(1_400, 100, Answer.NONE)).isEqualTo(Action.REPORT_UNKNOWN);
        assertThat(f.state()).isEqualTo(State.OUTCOME_UNKNOWN);
        for (long t = 1_401; t < 100_000; t += 997) {
            assertThat(f.step(t, 100, Answer.NONE)).isEqualTo(Action.NONE);
        }
        assertThat(f.state()).isEqualTo(State.OUTCOME_UNKNOWN);
        // The target answers on a later attempt: it took over, so the old master follows it.
        assertThat(f.step(100_000, 100, Answer.TOOK_OVER)).isEqualTo(Action.DONE);
    }

    @Test
    void aRefusalAfterTheDeadlineStillReverts() {
        f.step(0, 100, Answer.NONE);
        assertThat(f.step(1_000, 100, Answer.NONE)).isEqualTo(Action.REPORT_UNKNOWN);
        assertThat(f.step(5_000, 100, Answer.REFUSED)).isEqualTo(Action.REVERT);
    }

    @Test
    void onlyAnUnknownOutcomeCanBeAbandoned() {
        assertThatThrownBy(f::abandon).isInstanceOf(IllegalStateException.class);
        f.step(0, 100, Answer.NONE);
        assertThatThrownBy(f::abandon).as("the answer is on its way").isInstanceOf(IllegalStateException.class);
        f.step(1_000, 100, Answer.NONE);
        f.abandon();
        assertThat(f.state()).isEqualTo(State.NO_FAILOVER);
        assertThat(f.outcome()).isEqualTo(Action.NONE);
        assertThat(f.step(2_000, 100, Answer.TOOK_OVER)).isEqualTo(Action.NONE);
    }

    @Test
    void theStatesCarryRedisNames() {
        assertThat(State.NO_FAILOVER.redisName()).isEqualTo("no-failover");
        assertThat(State.WAIT_FOR_SYNC.redisName()).isEqualTo("waiting-for-sync");
        assertThat(State.FAILOVER_IN_PROGRESS.redisName()).isEqualTo("failover-in-progress");
        assertThat(State.OUTCOME_UNKNOWN.redisName()).isEqualTo("failover-outcome-unknown");
    }

    // ------------------------------------------------------------------ the old master's link

    private MasterLink failoverLink(long[] now) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        ReplicationLog log = new ReplicationLog(ReplicationId.random(random), 100, 1 << 16, () -> now[0]);
        MasterLink link = new MasterLink(log, new RecordingDataset(), ReplicaConfig.DEFAULTS, () -> now[0], random,
                "old-master", () -> "127.0.0.1:1", true);
        link.startFailover("target-key");
        assertThat(link.shouldConnect()).isTrue();
        assertThat(link.onConnected().send()).anySatisfy(m ->
                assertThat(m).isInstanceOfSatisfying(ReplicaMessage.Psync.class, p -> assertThat(p.failover()).isTrue()));
        return link;
    }

    @Test
    void aRefusalIsFinalTheLinkAsksNoMore() {
        long[] now = {1_000};
        MasterLink link = failoverLink(now);
        link.onDisconnected("FAILED_PRECONDITION: " + ReplicationMaster.FAILOVER_REFUSED + "handover key mismatch");
        assertThat(link.failoverAnswer()).isEqualTo(Answer.REFUSED);
        assertThat(link.failoverRefused()).contains("handover key mismatch");
        now[0] += 3_600_000;
        assertThat(link.shouldConnect()).as("no second PSYNC that could be answered after the revert").isFalse();
    }

    @Test
    void aLostStreamOrATargetThatIsAlreadyAMasterIsNoAnswerTheLinkAsksAgain() {
        long[] now = {1_000};
        MasterLink link = failoverLink(now);
        link.onDisconnected("UNAVAILABLE: connection reset");
        assertThat(link.failoverAnswer()).isEqualTo(Answer.NONE);
        now[0] += 10_000;
        assertThat(link.shouldConnect()).isTrue();
        link.onConnected();
        link.onDisconnected("FAILED_PRECONDITION: " + ReplicationMaster.FAILOVER_NOT_TAKEN + "this node is already a master");
        assertThat(link.failoverAnswer()).as("it may have taken over and forgotten").isEqualTo(Answer.NONE);
        now[0] += 10_000;
        assertThat(link.shouldConnect()).isTrue();
    }
}
