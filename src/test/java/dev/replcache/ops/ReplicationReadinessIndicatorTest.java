package dev.replcache.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.replcache.keyspace.CommandEntry;
import dev.replcache.replication.MasterLink;
import dev.replcache.replication.MasterMessage;
import dev.replcache.replication.ReplicaConfig;
import dev.replcache.replication.ReplicationId;
import dev.replcache.replication.ReplicationLog;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * The readiness gate against a real {@link MasterLink} driven by messages: not ready before the
 * first sync, ready after it, not ready while a later full resync loads its snapshot (the load is
 * held on a latch to look at it), ready again once it is loaded, and still ready with the link down.
 */
class ReplicationReadinessIndicatorTest {

    private final AtomicLong now = new AtomicLong(1_000_000);
    private final ExecutorService linkThread = Executors.newSingleThreadExecutor();
    private volatile CountDownLatch loadGate = new CountDownLatch(0);

    private final MasterLink.Dataset dataset = new MasterLink.Dataset() {
        @Override
        public void apply(CommandEntry entry) {
        }

        @Override
        public long keyCount() {
            return 0;
        }

        @Override
        public void beginSnapshot(String snapshotId) {
        }

        @Override
        public void writeSnapshotChunk(byte[] data) {
        }

        @Override
        public void abortSnapshot() {
        }

        @Override
        public void loadSnapshot(ReplicationId replId, long offset) {
            try {
                loadGate.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            log.resetTo(replId, offset); // in service as (replId, offset), as the port requires
        }
    };

    private final ReplicationLog log = new ReplicationLog(ReplicationId.random(new SplittableRandom(1)), 0, 1 << 16, now::get);
    private final MasterLink link = new MasterLink(log, dataset, ReplicaConfig.DEFAULTS, now::get, new SplittableRandom(2),
            "replica-1", () -> "127.0.0.1:9091", false);
    private final AtomicReference<MasterLink> current = new AtomicReference<>(link);
    private final ReplicationReadinessIndicator readiness = new ReplicationReadinessIndicator(current::get);

    @AfterEach
    void stop() {
        loadGate.countDown();
        linkThread.shutdownNow();
    }

    private Health health() {
        return readiness.health();
    }

    /** Connect and go through a full resync of a 3-byte snapshot; the load runs on the link thread. */
    private Future<MasterLink.Reaction> fullResync(ReplicationId masterId, String snapshotId) {
        now.addAndGet(10_000); // past any reconnect backoff
        assertThat(link.shouldConnect()).isTrue();
        link.onConnected();
        byte[] data = {1, 2, 3};
        CRC32C crc = new CRC32C();
        crc.update(data);
        link.onMessage(new MasterMessage.FullResync(masterId, 42, snapshotId, data.length, 1));
        link.onMessage(new MasterMessage.SnapshotChunk(snapshotId, 0, data, (int) crc.getValue()));
        return linkThread.submit(() -> link.onMessage(new MasterMessage.SnapshotEnd(snapshotId, data.length, (int) crc.getValue())));
    }

    @Test
    void aMasterIsReady() {
        current.set(null);
        assertThat(health().getStatus()).isEqualTo(Status.UP);
        assertThat(health().getDetails()).containsEntry("role", "master");
    }

    @Test
    void aReplicaIsReadyAfterItsFirstSyncButNotWhileItLoadsASnapshot() throws Exception {
        ReplicationId masterId = ReplicationId.random(new SplittableRandom(3));
        assertThat(health().getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
        assertThat(health().getDetails().get("reason").toString()).contains("first sync");

        // First full sync, its load held: still not ready (and now also because it is loading).
        loadGate = new CountDownLatch(1);
        Future<MasterLink.Reaction> first = fullResync(masterId, "s1");
        await().atMost(Duration.ofSeconds(10)).until(() -> link.state() == MasterLink.State.LOADING_SNAPSHOT);
        assertThat(health().getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
        assertThat(health().getDetails()).containsEntry("linkState", "loading_snapshot");
        loadGate.countDown();
        assertThat(first.get(10, TimeUnit.SECONDS).dropReason()).isNull();
        assertThat(link.state()).isEqualTo(MasterLink.State.STREAMING);
        assertThat(health().getStatus()).isEqualTo(Status.UP);

        // The link drops: the replica serves stale reads, so it stays ready.
        link.onDisconnected("test: master went away");
        assertThat(health().getStatus()).isEqualTo(Status.UP);
        assertThat(health().getDetails()).containsEntry("linkState", "down");

        // A later full resync: not ready while the new snapshot loads, ready again after.
        loadGate = new CountDownLatch(1);
        Future<MasterLink.Reaction> second = fullResync(masterId, "s2");
        await().atMost(Duration.ofSeconds(10)).until(() -> link.state() == MasterLink.State.LOADING_SNAPSHOT);
        Health whileLoading = health();
        assertThat(whileLoading.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
        assertThat(whileLoading.getDetails().get("reason").toString()).contains("loading a snapshot");
        now.addAndGet(1_500); // the load takes 1.5 s
        loadGate.countDown();
        assertThat(second.get(10, TimeUnit.SECONDS).dropReason()).isNull();
        assertThat(health().getStatus()).isEqualTo(Status.UP);
        assertThat(link.fullSyncs()).isEqualTo(2);
        assertThat(link.fullSyncBytes()).isEqualTo(6);
        assertThat(link.lastFullSyncMillis()).isEqualTo(1_500);
        assertThat(link.fullSyncMillis()).isEqualTo(1_500);
    }
}
