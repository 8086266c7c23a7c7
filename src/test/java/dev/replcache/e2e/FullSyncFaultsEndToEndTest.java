package dev.replcache.e2e;

import static dev.replcache.e2e.Cluster.awaitInSync;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.replcache.keyspace.Bytes;
import dev.replcache.keyspace.Keyspace;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.system.CapturedOutput;
import org.junit.jupiter.api.io.TempDir;

/** Full resyncs that go wrong or take long, between separate nodes over real sockets. */
@org.junit.jupiter.api.extension.ExtendWith(org.springframework.boot.test.system.OutputCaptureExtension.class)
class FullSyncFaultsEndToEndTest {

    @TempDir
    Path tmp;

    private final List<TestNode> nodes = new ArrayList<>();

    @AfterEach
    void stopNodes() {
        nodes.forEach(TestNode::close);
    }

    private TestNode start(String name, Object[] beans, String... props) {
        TestNode n = TestNode.start(name, tmp.resolve(name), beans, props);
        nodes.add(n);
        return n;
    }

    @Test
    void aCorruptedChunkIsRefusedTheFileDiscardedAndTheSyncRetried() throws IOException {
        SnapshotChunkFaults faults = SnapshotChunkFaults.corruptFirstChunk();
        TestNode master = start("master", new Object[] {faults}, "replcache.replication.snapshot-chunk-size=4KB");
        for (int i = 0; i < 2000; i++) {
            master.node().writableKeyspace().set(Bytes.utf8("k" + i), Bytes.utf8("value " + i));
        }
        TestNode replica = start("replica", new Object[0], "replcache.replication.master=" + master.grpcAddress());
        awaitInSync(master, replica);

        assertThat(faults.corrupted.get()).isEqualTo(1);
        assertThat(replica.node().replicationView().master().lastError()).contains("CRC32C mismatch");
        assertThat(master.node().master().stats().syncFull()).as("the first sync failed, the second made it").isEqualTo(2);
        assertThat(replica.node().replicationView().master().fullSyncs()).isEqualTo(1);
        try (Stream<Path> files = Files.list(replica.dataDir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(f -> f.endsWith(".tmp"));
        }
    }

    @Test
    void aFullDiskFailsTheSyncCleanlyNamingTheCauseAndTheReplicaRetriesLater(CapturedOutput output) throws IOException {
        TestNode master = start("master", new Object[0]);
        for (int i = 0; i < 500; i++) {
            master.node().writableKeyspace().set(Bytes.utf8("k" + i), Bytes.utf8("value " + i));
        }
        // The replica's first snapshot file is /dev/full, which answers every write with ENOSPC as a
        // full file system does (the master's first snapshot is snapshot-1).
        Path dir = tmp.resolve("replica");
        Files.createDirectories(dir);
        Files.createSymbolicLink(dir.resolve("incoming-snapshot-1.rdb.tmp"), Path.of("/dev/full"));
        TestNode replica = start("replica", new Object[0], "replcache.replication.master=" + master.grpcAddress(),
                "replcache.replication.reconnect-max-delay=2s");

        // The failed file is thrown away, and the retry, after the longest backoff, lands.
        awaitInSync(master, replica);
        assertThat(replica.node().replicationView().master().lastError())
                .contains("cannot store the snapshot").contains("No space left on device");
        assertThat(master.node().master().stats().syncFull()).isEqualTo(2);
        assertThat(output.getOut()).contains("No space left on device")
                .doesNotContain("UncheckedIOException: cannot write the snapshot file");
        // The disk-space health check watches the data directory.
        String health = replica.get("/actuator/health").body();
        assertThat(health).contains("\"diskSpace\"").contains(dir.toAbsolutePath().toString().replace("\\", "\\\\"));
    }

    @Test
    void aReplicaServesItsOldDataDuringAFullSyncThenSwapsAndPromotionKeepsTheHistory() {
        TestNode master = start("master", new Object[] {SnapshotChunkFaults.slowChunks(25)},
                "replcache.replication.snapshot-chunk-size=16KB");
        Keyspace ks = master.node().keyspace();
        for (int i = 0; i < 50_000; i++) {
            ks.set(Bytes.utf8("new:" + i), Bytes.utf8("value " + i));
        }
        // The future replica is a master with data of its own.
        TestNode replica = start("replica", new Object[0]);
        assertThat(replica.http("PUT", "/v1/keys/old:key", "old", null).statusCode()).isEqualTo(204);

        HttpResponse<String> replicaOf = replica.http("PUT", "/v1/replication/master",
                "{\"host\":\"127.0.0.1\",\"port\":" + master.grpcPort() + "}", "application/json");
        assertThat(replicaOf.statusCode()).isEqualTo(200);
        assertThat(replicaOf.body()).contains("\"role\":\"replica\"");

        // While the snapshot is coming in, reads are served from the old dataset.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5))
                .until(() -> replica.node().replicationView().master().linkStatus().equals("sync"));
        int servedDuringSync = 0;
        while (replica.node().replicationView().master().linkStatus().equals("sync")) {
            HttpResponse<String> old = replica.http("GET", "/v1/keys/old:key", null, null);
            if (!replica.node().replicationView().master().linkStatus().equals("sync")) {
                break; // the swap may have happened between the read and this check
            }
            assertThat(old.statusCode()).isEqualTo(200);
            assertThat(old.body()).isEqualTo("old");
            servedDuringSync++;
            String view = replica.http("GET", "/v1/replication", null, null).body();
            if (view.contains("\"linkStatus\":\"sync\"")) { // the sync may end between the two reads
                assertThat(view).contains("\"inProgress\":true");
            }
        }
        assertThat(servedDuringSync).as("reads answered from the old data while the sync ran").isGreaterThan(0);
        awaitInSync(master, replica);
        assertThat(replica.http("GET", "/v1/keys/old:key", null, null).statusCode()).isEqualTo(404);
        assertThat(replica.http("GET", "/v1/keys/new:49999", null, null).body()).isEqualTo("value 49999");

        // REPLICAOF NO ONE over HTTP: the node takes writes and keeps the master's history as replId2.
        String masterId = master.node().replicationLog().replId().value();
        long offsetAtPromotion = replica.node().replicationLog().offset();
        HttpResponse<String> promoted = replica.http("DELETE", "/v1/replication/master", null, null);
        assertThat(promoted.statusCode()).isEqualTo(200);
        assertThat(promoted.body()).contains("\"role\":\"master\"").contains("\"replId2\":\"" + masterId + "\"")
                .contains("\"secondReplOffset\":" + offsetAtPromotion);
        assertThat(replica.http("PUT", "/v1/keys/after", "promotion", null).statusCode()).isEqualTo(204);
    }
    /**
     * Issue 11 row 1 with real processes: REPLICAOF NO ONE while a slowed snapshot is still
     * arriving, once early and once near its end (when the load may be running). The sync must
     * never install afterwards: the promoted node keeps its new replId, every write it
     * acknowledged, the data it served before, and keeps taking writes as a master.
     */
    @Test
    void aPromotionDuringASlowedFullSyncKeepsItsWritesAndItsNewHistory() throws InterruptedException {
        TestNode master = start("master", new Object[] {SnapshotChunkFaults.slowChunks(20)},
                "replcache.replication.snapshot-chunk-size=16KB");
        Keyspace ks = master.node().keyspace();
        for (int i = 0; i < 50_000; i++) {
            ks.set(Bytes.utf8("new:" + i), Bytes.utf8("value " + i));
        }
        for (double promoteAt : new double[] {0.0, 0.9}) {
            TestNode node = start("node-" + promoteAt, new Object[0]);
            assertThat(node.http("PUT", "/v1/keys/old:key", "old", null).statusCode()).isEqualTo(204);
            assertThat(node.http("PUT", "/v1/replication/master",
                    "{\"host\":\"127.0.0.1\",\"port\":" + master.grpcPort() + "}", "application/json").statusCode())
                    .isEqualTo(200);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(2)).until(() -> {
                var sync = node.node().replicationView().master().sync();
                return sync.inProgress() && sync.bytesTotal() > 0 && sync.bytesReceived() >= promoteAt * sync.bytesTotal();
            });

            HttpResponse<String> promoted = node.http("DELETE", "/v1/replication/master", null, null);
            assertThat(promoted.statusCode()).as(promoted.body()).isEqualTo(200);
            String newId = node.node().replicationLog().replId().value();
            for (int i = 0; i < 20; i++) {
                assertThat(node.http("PUT", "/v1/keys/acked:" + i, "v" + i, null).statusCode()).isEqualTo(204);
            }
            // Longer than the rest of the transfer and its load would have taken.
            Thread.sleep(2_500);

            assertThat(node.node().role()).isEqualTo("master");
            assertThat(node.node().replicationLog().replId().value()).as("the new history stays").isEqualTo(newId);
            assertThat(node.node().replicationView().master()).isNull();
            for (int i = 0; i < 20; i++) {
                assertThat(node.http("GET", "/v1/keys/acked:" + i, null, null).body()).isEqualTo("v" + i);
            }
            assertThat(node.http("GET", "/v1/keys/old:key", null, null).body()).isEqualTo("old");
            assertThat(node.http("GET", "/v1/keys/new:0", null, null).statusCode())
                    .as("the old master's snapshot never installed").isEqualTo(404);
            assertThat(node.http("PUT", "/v1/keys/still", "a master", null).statusCode()).isEqualTo(204);
        }
    }
}
