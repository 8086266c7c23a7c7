package dev.replcache.replication;

import static org.assertj.core.api.Assertions.assertThat;

import dev.replcache.replication.PsyncDecision.Outcome;
import dev.replcache.replication.PsyncDecision.Reason;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The PSYNC decision table, as Redis's masterTryPartialResynchronization. */
class PsyncDecisionTest {

    private static final SplittableRandom RANDOM = new SplittableRandom(7);
    private static final ReplicationId CURRENT = ReplicationId.random(RANDOM);
    private static final ReplicationId PREVIOUS = ReplicationId.random(RANDOM);
    private static final ReplicationId OTHER = ReplicationId.random(RANDOM);

    /** A promoted master: previous history valid up to 500, backlog [300, 900]. */
    private static final PsyncDecision.History MASTER =
            new PsyncDecision.History(CURRENT, PREVIOUS, 500, 300, 900);

    @ParameterizedTest(name = "{0} @ {1} -> {2} ({3})")
    @CsvSource({
            "NONE,     -1,  FULL_RESYNC, NO_HISTORY",
            "NONE,     400, FULL_RESYNC, NO_HISTORY",
            "CURRENT,  -1,  FULL_RESYNC, NO_HISTORY",
            "OTHER,    400, FULL_RESYNC, REPLID_MISMATCH",
            "CURRENT,  300, CONTINUE,    CONTINUE_CURRENT_ID",   // first byte held
            "CURRENT,  900, CONTINUE,    CONTINUE_CURRENT_ID",   // caught up exactly
            "CURRENT,  299, FULL_RESYNC, OFFSET_BEFORE_BACKLOG", // one byte too old
            "CURRENT,  901, FULL_RESYNC, OFFSET_AHEAD_OF_MASTER",
            "PREVIOUS, 500, CONTINUE,    CONTINUE_PREVIOUS_ID",  // exactly where the old history ended
            "PREVIOUS, 450, CONTINUE,    CONTINUE_PREVIOUS_ID",
            "PREVIOUS, 501, FULL_RESYNC, PAST_SECOND_OFFSET",
            "PREVIOUS, 299, FULL_RESYNC, OFFSET_BEFORE_BACKLOG",
    })
    void decides(String who, long offset, Outcome outcome, Reason reason) {
        ReplicationId id = switch (who) {
            case "NONE" -> ReplicationId.NONE;
            case "CURRENT" -> CURRENT;
            case "PREVIOUS" -> PREVIOUS;
            default -> OTHER;
        };
        PsyncDecision.Result result = PsyncDecision.decide(id, offset, MASTER);
        assertThat(result.outcome()).isEqualTo(outcome);
        assertThat(result.reason()).isEqualTo(reason);
    }

    @ParameterizedTest
    @CsvSource({"400", "0"})
    void aMasterThatWasNeverAReplicaHasNoSecondHistory(long offset) {
        PsyncDecision.History fresh = new PsyncDecision.History(CURRENT, ReplicationId.NONE, -1, 0, 1000);
        assertThat(PsyncDecision.decide(PREVIOUS, offset, fresh).reason()).isEqualTo(Reason.REPLID_MISMATCH);
        assertThat(PsyncDecision.decide(CURRENT, offset, fresh).isContinue()).isTrue();
    }
}
