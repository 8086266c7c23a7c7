package dev.replcache.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A replica never follows a master whose stream is of an older lease epoch than one it has seen
 * (failover.mode=lease): not at the handshake, and not later, when a ping shows that its master
 * was deposed. A stream without an epoch (manual mode) is not checked.
 */
class LeaseEpochGuardTest {

    private final ReplicationLog log = new ReplicationLog(ReplicationId.random(new SplittableRandom(3)), 500, 1 << 16,
            () -> 0);
    private final RecordingDataset dataset = new RecordingDataset();
    private final AtomicLong floor = new AtomicLong(5);

    private static LeaseEpoch lease(long epoch) {
        return new LeaseEpoch(epoch, 100, epoch - 1);
    }

    @Test
    void theEpochOfANodesLastEntryIsTheLeasesPastItsStartAndThePreviousOneUpToIt() {
        LeaseEpoch e = new LeaseEpoch(7, 1_000, 5);
        assertThat(e.historyEpochAt(999)).isEqualTo(5);
        assertThat(e.historyEpochAt(1_000)).isEqualTo(5);
        assertThat(e.historyEpochAt(1_001)).isEqualTo(7);
        assertThat(LeaseEpoch.NONE.historyEpochAt(5_000)).isEqualTo(-1);
    }

    private MasterLink handshaking() {
        ReplicaConfig config = new ReplicaConfig(1_000, 60_000, 100, 5_000, 1 << 20, "", false);
        MasterLink link = new MasterLink(log, dataset, config, () -> 0, new SplittableRandom(7), "r",
                () -> "127.0.0.1:1", true);
        link.setEpochFloor(floor::get);
        assertThat(link.shouldConnect()).isTrue();
        link.onConnected();
        return link;
    }

    @Test
    void aHandshakeOfAnOlderEpochIsRefused() {
        MasterLink link = handshaking();
        String drop = link.onMessage(new MasterMessage.Continue(log.replId(), log.offset(), lease(4))).dropReason();
        assertThat(drop).contains("stale master").contains("epoch 4").contains("epoch 5");
        assertThat(link.partialSyncs()).isZero();

        MasterLink full = handshaking();
        String fullDrop = full.onMessage(new MasterMessage.FullResync(ReplicationId.random(new SplittableRandom(9)), 0,
                "s", 0, 0, ReplicationId.NONE, -1, lease(4))).dropReason();
        assertThat(fullDrop).contains("stale master");
    }

    @Test
    void theCurrentEpochAndNoEpochAreFollowedAndAPingOfAnOlderOneEndsTheStream() {
        MasterLink link = handshaking();
        assertThat(link.onMessage(new MasterMessage.Continue(log.replId(), log.offset(), lease(5))).dropReason()).isNull();
        assertThat(link.masterLease().epoch()).isEqualTo(5);
        assertThat(link.onMessage(new MasterMessage.Ping(log.offset(), lease(5))).dropReason()).isNull();
        assertThat(link.onMessage(new MasterMessage.Ping(log.offset())).dropReason()).isNull();

        // This node learns of epoch 6 (its elector saw a new holder): its master was deposed.
        floor.set(6);
        String drop = link.onMessage(new MasterMessage.Ping(log.offset(), lease(5))).dropReason();
        assertThat(drop).contains("stale master").contains("epoch 5").contains("epoch 6");
        assertThat(dataset.applied).isEmpty();
    }

    @Test
    void aMasterThatHoldsNoLeaseIsNotFollowedOnceAnEpochIsKnown() {
        // A node restarted from its dump serves syncs but holds no lease: it is nobody's master.
        MasterLink link = handshaking();
        assertThat(link.onMessage(new MasterMessage.Continue(log.replId(), log.offset())).dropReason())
                .contains("holds no lease");
    }

    @Test
    void withoutAnEpochFloorNothingIsChecked() {
        floor.set(-1);
        MasterLink link = handshaking();
        assertThat(link.onMessage(new MasterMessage.Continue(log.replId(), log.offset(), lease(0))).dropReason()).isNull();
        assertThat(link.onMessage(new MasterMessage.Ping(log.offset(), lease(0))).dropReason()).isNull();
        assertThat(link.masterLease().epoch()).isZero();
    }
}
