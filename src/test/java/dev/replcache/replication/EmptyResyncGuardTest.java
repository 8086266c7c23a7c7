package dev.replcache.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** No silent wipe: which FULLRESYNCs a replica holding data refuses, and which it takes. */
class EmptyResyncGuardTest {

    private long now = 1_000;
    private final SplittableRandom random = new SplittableRandom(7);
    private final ReplicationId ours = ReplicationId.random(random);
    private final ReplicationId other = ReplicationId.random(random);
    private final ReplicationLog log = new ReplicationLog(ours, 500, 1 << 16, () -> now);

    private final RecordingDataset dataset = new RecordingDataset();

    {
        dataset.keys = 100;
    }

    private MasterLink.Reaction offer(boolean allowEmpty, MasterMessage.FullResync f) {
        ReplicaConfig config = new ReplicaConfig(1_000, 60_000, 100, 5_000, 1 << 20, "", allowEmpty);
        MasterLink link = new MasterLink(log, dataset, config, () -> now, random.split(), "r", () -> "127.0.0.1:1", true);
        assertThat(link.shouldConnect()).isTrue();
        link.onConnected();
        MasterLink.Reaction r = link.onMessage(f);
        if (r.dropReason() != null) {
            link.onDisconnected(r.dropReason());
            assertThat(link.refusedFullResync()).isEqualTo(r.dropReason());
            assertThat(link.refusedFullResyncs()).isEqualTo(1);
        }
        return r;
    }

    @Test
    void anEmptyMasterOfAnotherHistoryIsRefusedAndNothingIsTouched() {
        MasterLink.Reaction r = offer(false, new MasterMessage.FullResync(other, 0, "s", 100, 0));
        assertThat(r.dropReason()).startsWith("refused full resync").contains("100 keys").contains("allow-empty-resync");
        assertThat(dataset.snapshotsBegun).isZero();
        assertThat(log.replId()).isEqualTo(ours);
        assertThat(log.offset()).isEqualTo(500);
    }

    @Test
    void theOperatorCanAllowIt() {
        assertThat(offer(true, new MasterMessage.FullResync(other, 0, "s", 100, 0)).dropReason()).isNull();
        assertThat(dataset.snapshotsBegun).isEqualTo(1);
    }

    @Test
    void aMasterWithDataOrOfOurHistoryIsFollowed() {
        assertThat(offer(false, new MasterMessage.FullResync(other, 0, "s", 100, 3)).dropReason()).isNull();
        // Our own history emptied by its clients (the backlog could not cover us): real emptiness.
        assertThat(offer(false, new MasterMessage.FullResync(ours, 900, "s", 100, 0)).dropReason()).isNull();
        // A master promoted from our history: its replId2 is ours.
        assertThat(offer(false, new MasterMessage.FullResync(other, 900, "s", 100, 0, ours, 500)).dropReason()).isNull();
        // Unknown key count (an older master): followed.
        assertThat(offer(false, new MasterMessage.FullResync(other, 0, "s", 100, -1)).dropReason()).isNull();
        assertThat(dataset.snapshotsBegun).isEqualTo(4);
    }

    @Test
    void aReplicaWithoutDataHasNothingToProtect() {
        dataset.keys = 0;
        assertThat(offer(false, new MasterMessage.FullResync(other, 0, "s", 100, 0)).dropReason()).isNull();
    }

    /** Issue 11 row 11: the guard covered only exactly 0 keys; a foreign master with 1 key wiped a replica with 1M. */
    @Test
    void aForeignMasterWithATinyShareOfOurKeysIsRefusedToo() {
        dataset.keys = 1_000_000;
        MasterLink.Reaction one = offer(false, new MasterMessage.FullResync(other, 0, "s", 100, 1));
        assertThat(one.dropReason()).startsWith("refused full resync").contains("holds 1 keys")
                .contains("1000000").contains("min-resync-keys-ratio");
        assertThat(dataset.snapshotsBegun).isZero();
        // 2% of ours is a dataset, not a mistake: followed.
        assertThat(offer(false, new MasterMessage.FullResync(other, 0, "s", 100, 20_000)).dropReason()).isNull();
        // Our own lineage is followed whatever it holds, and the operator can allow the rest.
        assertThat(offer(false, new MasterMessage.FullResync(ours, 900, "s", 100, 1)).dropReason()).isNull();
        assertThat(offer(true, new MasterMessage.FullResync(other, 0, "s", 100, 1)).dropReason()).isNull();
    }
}
