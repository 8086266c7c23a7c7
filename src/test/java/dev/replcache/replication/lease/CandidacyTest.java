package dev.replcache.replication.lease;

import static org.assertj.core.api.Assertions.assertThat;

import dev.replcache.replication.lease.Candidacy.Candidate;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Sentinel's order for who stands: synced first, then offset, priority, name. */
class CandidacyTest {

    private static Candidate c(String name, int priority, long offset) {
        return new Candidate(name, priority, 3, offset, true, false);
    }

    @Test
    void theMostCaughtUpReplicaStandsAndTheOthersDoNot() {
        Candidate b = c("b", 100, 500);
        Candidate d = c("d", 100, 400);
        assertThat(Candidacy.whyNotStand(b, List.of(Optional.of(d), Optional.empty()))).isNull();
        assertThat(Candidacy.whyNotStand(d, List.of(Optional.of(b), Optional.empty())))
                .contains("b is a better candidate");
    }

    @Test
    void aTieGoesByPriorityThenByName() {
        assertThat(Candidacy.whyNotStand(c("b", 10, 500), List.of(Optional.of(c("a", 100, 500))))).isNull();
        assertThat(Candidacy.whyNotStand(c("a", 100, 500), List.of(Optional.of(c("b", 10, 500))))).isNotNull();
        assertThat(Candidacy.whyNotStand(c("a", 100, 500), List.of(Optional.of(c("b", 100, 500))))).isNull();
        assertThat(Candidacy.whyNotStand(c("b", 100, 500), List.of(Optional.of(c("a", 100, 500))))).isNotNull();
    }

    @Test
    void priorityZeroAndARefusedResyncNeverStandAndAreNotWaitedFor() {
        Candidate never = c("a", 0, 900);
        Candidate refused = new Candidate("b", 100, 3, 900, true, true);
        assertThat(Candidacy.whyNotStand(never, List.of())).contains("priority 0");
        assertThat(Candidacy.whyNotStand(refused, List.of())).contains("refused");
        assertThat(Candidacy.whyNotStand(c("c", 100, 10), List.of(Optional.of(never), Optional.of(refused)))).isNull();
    }

    @Test
    void aNodeThatNeverSyncedStandsOnlyWhenEverySiblingAnsweredAndNoneKnowsMore() {
        Candidate fresh = new Candidate("a", 100, 3, 0, false, false);
        assertThat(Candidacy.whyNotStand(fresh, List.of(Optional.empty()))).contains("never synced");
        Candidate otherFresh = new Candidate("b", 100, 3, 0, false, false);
        assertThat(Candidacy.whyNotStand(fresh, List.of(Optional.of(otherFresh)))).as("bootstrap: by name").isNull();
        assertThat(Candidacy.whyNotStand(otherFresh, List.of(Optional.of(fresh)))).isNotNull();
        // A restarted old master with a bigger offset from its dump defers to a replica that synced.
        Candidate restartedFromDump = new Candidate("a", 100, 3, 9_000, false, false);
        assertThat(Candidacy.whyNotStand(restartedFromDump, List.of(Optional.of(c("b", 100, 5_000))))).isNotNull();
        assertThat(Candidacy.whyNotStand(c("b", 100, 5_000), List.of(Optional.of(restartedFromDump)))).isNull();
    }

    @Test
    void theHistoryOfANewerEpochBeatsMoreHistoryOfAnOlderOne() {
        // A deposed master kept writes of epoch 3 nobody else has; the replicas follow epoch 4's master.
        Candidate deposed = new Candidate("a", 100, 3, 9_000, true, false);
        Candidate current = new Candidate("b", 100, 4, 5_000, true, false);
        assertThat(Candidacy.whyNotStand(deposed, List.of(Optional.of(current)))).contains("b is a better candidate");
        assertThat(Candidacy.whyNotStand(current, List.of(Optional.of(deposed)))).isNull();
    }
}
