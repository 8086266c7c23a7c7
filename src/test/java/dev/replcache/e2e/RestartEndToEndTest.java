package dev.replcache.e2e;

import static dev.replcache.e2e.Cluster.awaitInSync;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.replcache.api.persistence.v1.PersistenceInfo;
import dev.replcache.api.persistence.v1.PersistenceInfoRequest;
import dev.replcache.api.persistence.v1.PersistenceServiceGrpc;
import dev.replcache.api.persistence.v1.SaveInfo;
import dev.replcache.api.persistence.v1.SaveRequest;
import dev.replcache.keyspace.Bytes;
import dev.replcache.keyspace.Entry;
import dev.replcache.keyspace.rdb.RdbInfo;
import dev.replcache.keyspace.rdb.RdbReader;
import dev.replcache.replication.PsyncDecision;
import dev.replcache.replication.ReplicationStats;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Restarts from the dump file, with separate nodes on real sockets and real files: a replica
 * and a master stopped cleanly come back where they were and resync partially; saves on demand
 * and on an interval.
 */
@ExtendWith(OutputCaptureExtension.class)
class RestartEndToEndTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path tmp;

    private final List<TestNode> nodes = new ArrayList<>();

    @AfterEach
    void stopNodes() {
        for (TestNode n : nodes) {
            n.close();
        }
    }

    private TestNode start(String name, String... props) {
        TestNode n = TestNode.start(name, tmp.resolve(name), props);
        nodes.add(n);
        return n;
    }

    private static void write(TestNode master, String prefix, int n) {
        for (int i = 0; i < n; i++) {
            master.node().writableKeyspace().set(Bytes.utf8(prefix + i), Bytes.utf8("value " + prefix + i));
        }
    }

    private static RdbInfo readInfo(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return RdbReader.read(in, (k, e) -> { });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode json(HttpResponse<String> response) {
        return JSON.readTree(response.body());
    }

    @Test
    void aReplicaStoppedCleanlyRestartsFromItsSnapshotAndResyncsPartially() {
        TestNode master = start("master");
        String[] replicaProps = {"replcache.replication.master=" + master.grpcAddress()};
        TestNode replica = start("replica", replicaProps);
        write(master, "a", 1000);
        awaitInSync(master, replica);
        write(master, "b", 200);
        awaitInSync(master, replica);
        ReplicationStats stats = master.node().master().stats();
        assertThat(stats.syncFull()).isEqualTo(1);
        long partialBefore = stats.syncPartialOk();
        long snapshotBytesBefore = stats.snapshotBytesSent();
        long stoppedAt = master.node().replicationLog().offset();

        replica.close();

        RdbInfo saved = readInfo(tmp.resolve("replica/dump.rdb"));
        assertThat(saved.replId()).hasValue(master.node().replicationLog().replId().value());
        assertThat(saved.replOffset()).hasValue(stoppedAt);
        assertThat(saved.keys()).isEqualTo(1200);
        // Writes while the replica is down, well inside the master's backlog (16MB).
        write(master, "gap", 300);
        master.node().writableKeyspace().del(List.of(Bytes.utf8("a7")));
        long gap = master.node().replicationLog().offset() - stoppedAt;
        long entriesBefore = stats.entriesBytesSent();

        TestNode again = start("replica", replicaProps);
        awaitInSync(master, again);

        assertThat(stats.syncPartialOk()).as("the restarted replica continued partially").isEqualTo(partialBefore + 1);
        assertThat(stats.syncFull()).as("no new full sync").isEqualTo(1);
        assertThat(stats.snapshotBytesSent()).as("no snapshot bytes sent").isEqualTo(snapshotBytesBefore);
        assertThat(stats.entriesBytesSent() - entriesBefore).as("only the gap was sent").isBetween(gap, gap + 64 * 1024L);
        assertThat(again.node().replicationView().master().partialSyncs()).isEqualTo(1);
        assertThat(again.node().replicationView().master().fullSyncs()).isZero();
        assertThat(again.node().keyspace().get(Bytes.utf8("gap299"))).isEqualTo(Bytes.utf8("value gap299"));
        assertThat(again.node().keyspace().get(Bytes.utf8("a7"))).isNull();
    }

    @Test
    void aReplicaWhoseGapOutgrewTheBacklogGetsAFullSyncAfterItsRestart() {
        TestNode master = start("master", "replcache.replication.backlog-size=4KB");
        String[] replicaProps = {"replcache.replication.master=" + master.grpcAddress()};
        TestNode replica = start("replica", replicaProps);
        write(master, "a", 100);
        awaitInSync(master, replica);
        replica.close();
        assertThat(readInfo(tmp.resolve("replica/dump.rdb")).replOffset())
                .hasValue(master.node().replicationLog().offset());
        write(master, "gap", 2000); // ~60KB of stream: far more than the 4KB backlog

        TestNode again = start("replica", replicaProps);
        awaitInSync(master, again);

        ReplicationStats stats = master.node().master().stats();
        assertThat(stats.syncFull()).isEqualTo(2);
        assertThat(stats.decisionsByReason()).containsKey(PsyncDecision.Reason.OFFSET_BEFORE_BACKLOG);
        assertThat(stats.decisionsByReason()).doesNotContainKey(PsyncDecision.Reason.REPLID_MISMATCH);
        assertThat(again.node().replicationView().master().fullSyncs()).isEqualTo(1);
    }

    @Test
    void aMasterStoppedCleanlyRestartsWithItsReplIdAndOffsetAndItsReplicaContinuesPartially() {
        TestNode master = start("master");
        TestNode replica = start("replica", "replcache.replication.master=" + master.grpcAddress());
        write(master, "a", 1000);
        master.node().writableKeyspace().incrBy(Bytes.utf8("counter"), 41);
        awaitInSync(master, replica);
        String replId = master.node().replicationLog().replId().value();
        long offset = master.node().replicationLog().offset();
        Map<Bytes, Entry> before = master.node().keyspace().contents();

        master.restart();

        assertThat(master.node().replicationLog().replId().value()).isEqualTo(replId);
        assertThat(master.node().replicationLog().offset()).isEqualTo(offset);
        assertThat(master.node().replicationLog().replId2().isNone()).isTrue();
        assertThat(master.node().keyspace().contents()).isEqualTo(before);
        awaitInSync(master, replica);
        // The master counts its CONTINUE when it sends it; the replica, when its link thread has
        // handled it a moment later (offsets were equal before the restart, so "in sync" does not
        // wait for that).
        await().atMost(Duration.ofSeconds(30))
                .until(() -> master.node().master().stats().syncPartialOk() == 1
                        && replica.node().replicationView().master().partialSyncs() >= 1);
        ReplicationStats stats = master.node().master().stats();
        assertThat(stats.syncFull()).isZero();
        assertThat(stats.snapshotBytesSent()).isZero();
        assertThat(replica.node().replicationView().master().fullSyncs()).isEqualTo(1);
        assertThat(replica.node().replicationView().master().partialSyncs()).isEqualTo(1);

        // Writes flow again, on the same history.
        master.node().writableKeyspace().incrBy(Bytes.utf8("counter"), 1);
        master.node().writableKeyspace().set(Bytes.utf8("after"), Bytes.utf8("restart"));
        awaitInSync(master, replica);
        assertThat(replica.node().keyspace().get(Bytes.utf8("counter"))).isEqualTo(Bytes.utf8("42"));
        assertThat(replica.node().keyspace().get(Bytes.utf8("after"))).isEqualTo(Bytes.utf8("restart"));
        assertThat(stats.syncFull()).isZero();
    }

    /**
     * Issue 11 row 4: a master that crashed comes back from its last dump, older than what its
     * replica holds. It starts a new id with the dump's as replId2 up to the dump's offset; the
     * replica, ahead of that, refuses to be rewound, keeps every write it held and says why.
     */
    @Test
    void aMasterRestartedFromAnOlderDumpDoesNotRewindItsReplica() {
        // No save at shutdown: the restart below comes back from the explicit save, as after a crash.
        TestNode master = start("master", "replcache.snapshot.on-shutdown=false");
        TestNode replica = start("replica", "replcache.replication.master=" + master.grpcAddress());
        write(master, "a", 300);
        awaitInSync(master, replica);
        String replId = master.node().replicationLog().replId().value();
        long dumpOffset = master.bean(dev.replcache.node.Persistence.class).save().offset();
        write(master, "b", 300); // acknowledged to their clients, and on the replica; not in the dump
        awaitInSync(master, replica);
        long replicaOffset = replica.node().replicationLog().offset();
        Map<Bytes, Entry> held = replica.node().keyspace().contents();
        assertThat(held).hasSize(600);

        master.restart();

        assertThat(master.node().replicationLog().replId().value()).isNotEqualTo(replId);
        assertThat(master.node().replicationLog().replId2().value()).isEqualTo(replId);
        assertThat(master.node().replicationLog().secondReplOffset()).isEqualTo(dumpOffset);
        assertThat(master.node().keyspace().dbSize()).isEqualTo(300);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> replica.node().replicationView().master().refusedFullResync() != null);
        assertThat(replica.node().replicationView().master().refusedFullResync())
                .contains("only up to offset " + dumpOffset).contains("up to " + replicaOffset)
                .contains("allow-rewinding-resync");
        assertThat(replica.node().replicationLog().replId().value()).isEqualTo(replId);
        assertThat(replica.node().replicationLog().offset()).isEqualTo(replicaOffset);
        assertThat(replica.node().keyspace().contents()).isEqualTo(held);
        HttpResponse<String> health = replica.get("/actuator/health");
        assertThat(health.body()).contains("refusedFullResync").contains("OUT_OF_SERVICE");
        assertThat(replica.node().replicationView().master().fullSyncs()).isEqualTo(1);
    }

    @Test
    void postSnapshotWritesTheFileWhileWritesGoOnAndASecondPostWhileItRunsGets409() throws Exception {
        // A 2 ms pause per key (Redis's rdb-key-save-delay) makes the save last about two seconds.
        TestNode node = start("node", "replcache.snapshot.key-save-delay=2ms");
        write(node, "k", 1000);
        String replId = node.node().replicationLog().replId().value();
        long offset = node.node().replicationLog().offset();
        Map<Bytes, Entry> atCut = node.node().keyspace().contents();

        HttpClient client = HttpClient.newHttpClient();
        CompletableFuture<HttpResponse<String>> first = client.sendAsync(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + "/v1/snapshot"))
                        .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5))
                .until(() -> json(node.http("GET", "/v1/snapshot", null, null)).get("inProgressOffset").asLong() >= 0);
        assertThat(json(node.http("GET", "/v1/snapshot", null, null)).get("inProgressOffset").asLong())
                .as("the running save cut the data before the writes below").isEqualTo(offset);

        HttpResponse<String> second = node.http("POST", "/v1/snapshot", null, null);
        assertThat(second.statusCode()).isEqualTo(409);
        assertThat(second.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).contains("problem+json"));
        assertThat(json(second).get("detail").asString()).isEqualTo("Background save already in progress");
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", node.grpcPort()).usePlaintext().build();
        PersistenceServiceGrpc.PersistenceServiceBlockingStub grpc = PersistenceServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(60, TimeUnit.SECONDS);
        try {
            StatusRuntimeException refused = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                    () -> grpc.save(SaveRequest.getDefaultInstance()));
            assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
            assertThat(refused.getStatus().getDescription()).isEqualTo("Background save already in progress");
        } catch (RuntimeException | Error e) {
            channel.shutdownNow();
            throw e;
        }
        // Writes go on during the save, over the API.
        HttpResponse<String> put = node.http("PUT", "/v1/keys/during", "save", null);
        assertThat(put.statusCode()).isBetween(200, 204);
        assertThat(first).isNotDone();

        HttpResponse<String> done = first.get(60, TimeUnit.SECONDS);

        assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
        JsonNode saved = json(done);
        Path file = tmp.resolve("node/dump.rdb");
        assertThat(saved.get("file").asString()).isEqualTo(file.toString());
        assertThat(saved.get("replId").asString()).isEqualTo(replId);
        assertThat(saved.get("offset").asLong()).isEqualTo(offset);
        assertThat(saved.get("keys").asLong()).isEqualTo(1000);
        assertThat(saved.get("bytes").asLong()).isEqualTo(Files.size(file));
        assertThat(saved.get("durationMs").asLong()).isGreaterThanOrEqualTo(1000);
        JsonNode status = json(node.http("GET", "/v1/snapshot", null, null));
        assertThat(status.get("inProgress").asBoolean()).isFalse();
        assertThat(status.get("lastSave").get("offset").asLong()).isEqualTo(offset);
        assertThat(status.get("streamBytesSinceLastSave").asLong()).isPositive();
        Path copy = tmp.resolve("copy");
        Files.createDirectories(copy);
        Files.copy(file, copy.resolve("dump.rdb"));

        // The same over gRPC, once the save is done.
        try {
            SaveInfo viaGrpc = grpc.save(SaveRequest.getDefaultInstance());
            assertThat(viaGrpc.getFile()).isEqualTo(file.toString());
            assertThat(viaGrpc.getReplId()).isEqualTo(replId);
            assertThat(viaGrpc.getOffset()).isEqualTo(node.node().replicationLog().offset());
            assertThat(viaGrpc.getKeys()).isEqualTo(1001);
            PersistenceInfo info = grpc.info(PersistenceInfoRequest.getDefaultInstance());
            assertThat(info.getInProgress()).isFalse();
            assertThat(info.getLastSave().getOffset()).isEqualTo(viaGrpc.getOffset());
            assertThat(info.getStreamBytesSinceLastSave()).isZero();
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }

        // The first file loads: a node started on a copy of it serves exactly the data at the cut,
        // under a new replId that keeps the file's as replId2 (it is not from a clean shutdown).
        TestNode loaded = TestNode.start("copy", copy);
        nodes.add(loaded);
        assertThat(loaded.node().keyspace().contents()).isEqualTo(atCut);
        assertThat(loaded.node().replicationLog().replId2().value()).isEqualTo(replId);
        assertThat(loaded.node().replicationLog().offset()).isEqualTo(offset);
    }

    @Test
    void theIntervalSavesWhenTheDataChangedAndOnlyThen() throws Exception {
        TestNode node = start("node", "replcache.snapshot.interval=200ms");
        Path file = tmp.resolve("node/dump.rdb");
        write(node, "a", 10);
        long first = node.node().replicationLog().offset();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                .until(() -> Files.exists(file) && readInfo(file).replOffset().orElse(-1) == first);
        write(node, "b", 10);
        long second = node.node().replicationLog().offset();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                .until(() -> readInfo(file).replOffset().orElse(-1) == second);
        assertThat(readInfo(file).keys()).isEqualTo(20);
        JsonNode status = json(node.http("GET", "/v1/snapshot", null, null));
        assertThat(status.get("lastSave").get("reason").asString()).isEqualTo("interval");
        assertThat(status.get("intervalMs").asLong()).isEqualTo(200);
        assertThat(status.get("streamBytesSinceLastSave").asLong()).isZero();

        // Nothing changes: no new save over several intervals (five of them, 200 ms each).
        long savedAt = status.get("lastSave").get("savedAtMs").asLong();
        await().during(Duration.ofMillis(1_000)).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> json(node.http("GET", "/v1/snapshot", null, null)).get("lastSave").get("savedAtMs")
                        .asLong() == savedAt);
    }

    @Test
    void aCorruptDumpFileStopsTheStartNamingTheFileUnlessIgnoreCorruptMovesItAside(CapturedOutput output)
            throws Exception {
        Path dir = tmp.resolve("node");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("dump.rdb"), "REDIS0010 but then nothing a loader can use");

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestNode.start("node", dir))
                .hasStackTraceContaining("Cannot load the dump file " + dir.resolve("dump.rdb").toAbsolutePath())
                .hasStackTraceContaining("replcache.snapshot.ignore-corrupt=true");
        assertThat(output).contains("APPLICATION FAILED TO START");
        assertThat(dir.resolve("dump.rdb")).exists();

        TestNode node = start("node", "replcache.snapshot.ignore-corrupt=true");
        assertThat(node.node().keyspace().dbSize()).isZero();
        assertThat(dir.resolve("dump.rdb")).doesNotExist();
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("dump.rdb.corrupt-"));
        }
        node.node().writableKeyspace().set(Bytes.utf8("fresh"), Bytes.utf8("start"));
    }
}
