package dev.replcache.replication;

import static org.assertj.core.api.Assertions.assertThat;

import dev.replcache.keyspace.Bytes;
import dev.replcache.keyspace.CommandEntry;
import dev.replcache.keyspace.Entry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReplicationMasterTest {

    /** Snapshots cut at the log's offset and written only when the test says so. */
    private static final class ManualSnapshots implements SnapshotSource {
        final ReplicationLog log;
        final Map<String, byte[]> written = new HashMap<>();
        final List<String> started = new ArrayList<>();

        ManualSnapshots(ReplicationLog log) {
            this.log = log;
        }

        @Override
        public long startSnapshot(String snapshotId) {
            started.add(snapshotId);
            return log.offset();
        }

        @Override
        public int read(String snapshotId, long position, byte[] dst, int len) {
            byte[] b = written.get(snapshotId);
            int n = (int) Math.min(len, b.length - position);
            System.arraycopy(b, (int) position, dst, 0, n);
            return n;
        }

        @Override
        public long datasetKeys() {
            return 0; // no keyspace behind these snapshots
        }

        @Override
        public void delete(String snapshotId) {
            written.remove(snapshotId);
        }
    }

    private long now = 1_000;
    private final ReplicationLog log = new ReplicationLog(ReplicationId.random(new java.util.SplittableRandom(1)), 0, 64,
            () -> now);
    private final ManualSnapshots snapshots = new ManualSnapshots(log);
    // No sync buffer: a full sync survives only what the 64-byte backlog holds.
    private final ReplicationMaster master = new ReplicationMaster(log, snapshots,
            new MasterConfig(1024, 1024, 60_000, 1_000, 0), () -> now, "");

    private ReplicaSession fullSyncRequest(String replica) {
        ReplicaSession s = master.open("session-" + replica);
        master.onMessage(s, new ReplicaMessage.Hello(replica, "", ""));
        master.onMessage(s, new ReplicaMessage.Psync(ReplicationId.NONE, -1));
        return s;
    }

    private void write(int bytes) {
        log.append(new CommandEntry.Set(Bytes.utf8("k"), Bytes.of(new byte[bytes]), Entry.NO_EXPIRY));
    }

    /**
     * Simulation seed 3705 (4000 x 400 run): a master shared the snapshot it had cut while it was
     * empty (offset 0, no keys) with a replica that asked 105 bytes of writes later. FULLRESYNC
     * then announced 0 keys, the replica (data of another history) refused it as "an empty
     * master", and every retry got the same snapshot while the backlog still held offset 0.
     */
    @Test
    void anEmptySnapshotIsNotSharedOnceWritesFollowedIt() {
        ReplicaSession first = fullSyncRequest("r1");
        snapshots.written.put("snapshot-1", new byte[10]);
        assertThat(master.snapshotWritten("snapshot-1", 10, 0, 0)).containsExactly(first);
        assertThat(master.poll(first).message()).isInstanceOfSatisfying(MasterMessage.FullResync.class,
                f -> assertThat(f.keyCount()).isZero());
        write(20); // the backlog still holds offset 0: the snapshot could be shared with the stream after it

        ReplicaSession second = fullSyncRequest("r2");

        assertThat(snapshots.started).containsExactly("snapshot-1", "snapshot-2");
        assertThat(master.poll(second).isIdle()).isTrue(); // waits for snapshot-2, cut after the write
    }

    /**
     * Simulation seeds 175, 192, 542 (3000 x 400 with tiny backlogs): a replica waits for
     * snapshot-1; writes push its cut out of the backlog before it is written; a second replica's
     * PSYNC then starts snapshot-2 and retires snapshot-1. The first replica must not wait for a
     * snapshot nobody will send it (it only got out at the replication timeout).
     */
    @Test
    void aReplicaWaitingForASnapshotReplacedBeforeItWasWrittenGetsTheNewOne() {
        ReplicaSession first = fullSyncRequest("r1");
        assertThat(snapshots.started).containsExactly("snapshot-1");
        write(100); // past the 64-byte backlog: snapshot-1's offset is lost
        ReplicaSession second = fullSyncRequest("r2");
        assertThat(snapshots.started).containsExactly("snapshot-1", "snapshot-2");

        snapshots.written.put("snapshot-1", new byte[10]);
        master.snapshotWritten("snapshot-1", 10, 0, 1);
        snapshots.written.put("snapshot-2", new byte[10]);
        List<ReplicaSession> wake = master.snapshotWritten("snapshot-2", 10, 0, 1);

        assertThat(wake).containsExactlyInAnyOrder(first, second);
        for (ReplicaSession s : List.of(first, second)) {
            ReplicationMaster.Next next = master.poll(s);
            assertThat(next.message()).isInstanceOfSatisfying(MasterMessage.FullResync.class,
                    f -> assertThat(f.snapshotId()).isEqualTo("snapshot-2"));
        }
    }

    /** Issue 11 row 6: a half-open old stream and the same replica's reconnect counted as two replicas. */
    @Test
    void aReplicaCountsOnceWhenItsNewStreamReplacesAHalfOpenOne() {
        write(10);
        long offset = log.offset();
        ReplicaSession old = master.open("old");
        master.onMessage(old, new ReplicaMessage.Hello("r1", "", ""));
        master.onMessage(old, new ReplicaMessage.Psync(log.replId(), offset));
        master.onMessage(old, new ReplicaMessage.Ack(offset));
        assertThat(master.ackedCount(offset)).isEqualTo(1);

        // The old stream never closed (half-open); the replica reconnects on a new one.
        ReplicaSession reconnect = master.open("new");
        master.onMessage(reconnect, new ReplicaMessage.Hello("r1", "", ""));
        master.onMessage(reconnect, new ReplicaMessage.Psync(log.replId(), offset));
        master.onMessage(reconnect, new ReplicaMessage.Ack(offset));

        assertThat(master.ackedCount(offset)).as("one replica").isEqualTo(1);
        assertThat(old.closeReason()).contains("replaced");
        assertThat(master.tick()).contains(old); // its stream is closed at the next tick
        java.util.concurrent.CompletableFuture<Integer> two = master.awaitAcks(offset, 2);
        assertThat(two).isNotDone();
        master.cancelWait(two);
    }

    /**
     * Issue 12, row 9: Hello fields are bounded (in UTF-8 bytes) before anything else is done
     * with them; one byte over is a protocol error naming the field and the setting, and the
     * bound itself is accepted.
     */
    @Test
    void helloFieldsOverTheBoundAreAProtocolError() {
        ReplicationMaster bounded = new ReplicationMaster(log, snapshots,
                new MasterConfig(1024, 1024, 60_000, 1_000, 0, SlowReplicaPolicy.DEFAULTS,
                        MasterConfig.DEFAULT_HANDSHAKE_TIMEOUT_MS, MasterConfig.DEFAULT_MAX_SESSIONS, 8), () -> now, "");
        ReplicaSession atBound = bounded.open("at-bound");
        bounded.onMessage(atBound, new ReplicaMessage.Hello("12345678", "\u00e9\u00e9\u00e9\u00e9", ""));
        assertThat(atBound.closeReason()).isNull();
        assertThat(atBound.address()).isEqualTo("\u00e9\u00e9\u00e9\u00e9");

        String[][] cases = {{"123456789", "", "", "replica_id is 9 bytes"}, {"r", "\u00e9\u00e9\u00e9\u00e9x", "", "announced_address is 9 bytes"},
                {"r", "", "t".repeat(9), "auth_token is 9 bytes"}};
        for (String[] c : cases) {
            ReplicaSession s = bounded.open("over-" + c[3]);
            bounded.onMessage(s, new ReplicaMessage.Hello(c[0], c[1], c[2]));
            assertThat(s.closeReason()).as(c[3]).startsWith("protocol: Hello field " + c[3] + ", over the limit of 8")
                    .contains("replcache.replication.max-hello-field-size");
            assertThat(s.replicaId()).as("nothing of it was taken").isEmpty();
        }
    }

    /**
     * Found by the simulation once message delays were honoured (seed 734): a replica resuming
     * further back than the hard limit was "too slow" before its first ack could arrive, was
     * dropped, resumed from the same place, and so on forever. The limits now count only lag past
     * what it was given to catch up on when it went online.
     */
    @Test
    void aResumeWithAGapOverTheHardLimitIsNotDroppedForTheGapOnlyForFallingFurtherBehind() {
        ReplicationLog big = new ReplicationLog(ReplicationId.random(new java.util.SplittableRandom(2)), 0, 1 << 16,
                () -> now);
        SlowReplicaPolicy hard100 = new SlowReplicaPolicy(SlowReplicaPolicy.Mode.DISCONNECT, 100, 0, 0, 1, 0);
        ReplicationMaster m = new ReplicationMaster(big, new ManualSnapshots(big),
                new MasterConfig(1024, 1024, 60_000, 1_000, 0, hard100), () -> now, "");
        long resumeAt = big.offset();
        for (int i = 0; i < 20; i++) {
            big.append(new CommandEntry.Set(Bytes.utf8("k" + i), Bytes.of(new byte[50]), Entry.NO_EXPIRY));
        }
        ReplicaSession s = m.open("resumer");
        m.onMessage(s, new ReplicaMessage.Hello("r", "", ""));
        m.onMessage(s, new ReplicaMessage.Psync(big.replId(), resumeAt));
        assertThat(s.closeReason()).isNull();
        assertThat(big.offset() - resumeAt).as("the gap").isGreaterThan(1_000);

        now += 1_000;
        m.tick();
        assertThat(s.closeReason()).as("not dropped for the gap it was given").isNull();

        // Falling further behind than the hard limit past that point still drops it.
        for (int i = 0; i < 3; i++) {
            big.append(new CommandEntry.Set(Bytes.utf8("n" + i), Bytes.of(new byte[50]), Entry.NO_EXPIRY));
        }
        now += 1_000;
        m.tick();
        assertThat(s.closeReason()).startsWith("slow replica").contains("over the hard limit of 100 bytes");
    }
}
