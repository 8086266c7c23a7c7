package dev.replcache.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * No silent rewind (issue 11 row 4): which FULLRESYNCs a replica at {@code (ours, 500)} refuses
 * because the master holds its history only up to a lower offset, and which it takes.
 */
class RewindingResyncGuardTest {

    private long now = 1_000;
    private final SplittableRandom random = new SplittableRandom(11);
    private final ReplicationId ours = ReplicationId.random(random);
    private final ReplicationId restarted = ReplicationId.random(random);
    private final ReplicationId other = ReplicationId.random(random);
    private final ReplicationLog log = new ReplicationLog(ours, 500, 1 << 16, () -> now);
    private final RecordingDataset dataset = new RecordingDataset();

    {
        dataset.keys = 100;
    }

    private MasterLink link(boolean allowRewinding, boolean hasHistory) {
        ReplicaConfig config = new ReplicaConfig(1_000, 60_000, 100, 5_000, 1 << 20, "", false)
                .allowingResyncs(false, allowRewinding);
        MasterLink link = new MasterLink(log, dataset, config, () -> now, random.split(), "r", () -> "127.0.0.1:1",
                hasHistory);
        assertThat(link.shouldConnect()).isTrue();
        link.onConnected();
        return link;
    }

    private String offer(boolean allowRewinding, MasterMessage.FullResync f) {
        MasterLink link = link(allowRewinding, true);
        String drop = link.onMessage(f).dropReason();
        if (drop != null) {
            link.onDisconnected(drop);
            assertThat(link.refusedFullResync()).isEqualTo(drop);
        }
        return drop;
    }

    @Test
    void aMasterRestartedFromAnOlderDumpIsRefusedAndNothingIsTouched() {
        // It came back from a dump at 300 of our history: new id, ours as replId2 up to 300.
        String refusal = offer(false, new MasterMessage.FullResync(restarted, 300, "s", 100, 80, ours, 300));
        assertThat(refusal).startsWith("refused full resync")
                .contains("only up to offset 300").contains("up to 500").contains("200 bytes")
                .contains("allow-rewinding-resync");
        assertThat(dataset.snapshotsBegun).isZero();
        assertThat(log.replId()).isEqualTo(ours);
        assertThat(log.offset()).isEqualTo(500);
    }

    @Test
    void aNodeBehindUsOnOurOwnIdIsRefused() {
        // Re-pointed at a sibling that lags: same id, a lower offset.
        assertThat(offer(false, new MasterMessage.FullResync(ours, 499, "s", 100, 100))).contains("only up to offset 499");
        assertThat(dataset.snapshotsBegun).isZero();
    }

    @Test
    void aMasterElectedInANewerLeaseEpochThanOurLastEntryMayTakeBackWhatADeposedMasterWrote() {
        // We were the master of epoch 3 and wrote past 300; the replicas elected a new master at
        // epoch 4, promoted at 300 of our history.
        MasterLink deposed = link(false, true);
        deposed.setHistoryEpoch(3);
        assertThat(deposed.onMessage(new MasterMessage.FullResync(restarted, 300, "s", 100, 80, ours, 300,
                new LeaseEpoch(4, 300, 3))).dropReason()).isNull();
        assertThat(dataset.snapshotsBegun).isEqualTo(1);

        // A master of our own epoch (or an older one) still may not.
        MasterLink current = link(false, true);
        current.setHistoryEpoch(4);
        assertThat(current.onMessage(new MasterMessage.FullResync(restarted, 300, "s", 100, 80, ours, 300,
                new LeaseEpoch(4, 250, 3))).dropReason()).startsWith("refused full resync");
    }

    @Test
    void theOperatorCanAllowTheRewind() {
        assertThat(offer(true, new MasterMessage.FullResync(restarted, 300, "s", 100, 80, ours, 300))).isNull();
        assertThat(dataset.snapshotsBegun).isEqualTo(1);
    }

    @Test
    void aMasterThatHoldsAllOfOurHistoryOrAnotherOneIsNotARewind() {
        assertThat(offer(false, new MasterMessage.FullResync(ours, 500, "s", 100, 100))).isNull();
        assertThat(offer(false, new MasterMessage.FullResync(ours, 900, "s", 100, 100))).isNull();
        // Promoted from our history at or past our offset: it holds everything we hold.
        assertThat(offer(false, new MasterMessage.FullResync(restarted, 700, "s", 100, 100, ours, 500))).isNull();
        // Another history with data: the wipe guard's business, and it holds enough keys.
        assertThat(offer(false, new MasterMessage.FullResync(other, 10, "s", 100, 100, restarted, 5))).isNull();
        assertThat(dataset.snapshotsBegun).isEqualTo(4);
    }

    @Test
    void aReplicaWithoutAHistoryToOfferHasNothingToProtect() {
        MasterLink fresh = link(false, false);
        assertThat(fresh.onMessage(new MasterMessage.FullResync(restarted, 300, "s", 100, 80, ours, 300)).dropReason())
                .isNull();
        assertThat(dataset.snapshotsBegun).isEqualTo(1);
    }
}
