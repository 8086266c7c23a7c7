package dev.replcache.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.replcache.api.replication.v1.FullResync;
import dev.replcache.api.replication.v1.MasterMessage;
import dev.replcache.api.replication.v1.ReplicaMessage;
import dev.replcache.api.replication.v1.ReplicationServiceGrpc;
import dev.replcache.api.replication.v1.SnapshotChunk;
import dev.replcache.api.replication.v1.SnapshotEnd;
import dev.replcache.keyspace.Bytes;
import dev.replcache.node.DumpFileException;
import dev.replcache.testing.CraftedRdb;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, row 8: an RDB file that expands far beyond its size, as a dump file at start and as
 * a full sync from a fake master. The start fails naming the file and the limit; a replica
 * refuses the sync, keeps its data and keeps running, and retries; never an OutOfMemoryError.
 */
class HostileSnapshotEndToEndTest {

    @TempDir
    Path tmp;

    private TestNode node;
    private Server fakeMaster;

    @AfterEach
    void stop() throws InterruptedException {
        if (node != null) {
            node.close();
        }
        if (fakeMaster != null) {
            fakeMaster.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** 20 values of 10.5 MB each from 120 KB of LZF: 2.4 MB of file, 211 MB to load. */
    private static byte[] expandingFile() {
        CraftedRdb file = CraftedRdb.create();
        for (int i = 0; i < 20; i++) {
            file.lzfBomb("k" + i, 40_000);
        }
        return file.end();
    }

    private static Throwable rootOfType(Throwable t, Class<?> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return c;
            }
        }
        return null;
    }

    @Test
    void aDumpFileOverTheLoadBudgetFailsTheStartNamingTheFileAndTheSetting() throws IOException {
        Path dir = tmp.resolve("node");
        Files.createDirectories(dir);
        Path dump = dir.resolve("dump.rdb");
        Files.write(dump, expandingFile());

        assertThatThrownBy(() -> node = TestNode.start("bomb", dir, "replcache.snapshot.max-load-memory=64MB"))
                .satisfies(e -> {
                    Throwable cause = rootOfType(e, DumpFileException.class);
                    assertThat(cause).as("a DumpFileException in %s", e).isNotNull();
                    assertThat(cause.getMessage())
                            .contains("Cannot load the dump file " + dump.toAbsolutePath())
                            .contains("replcache.snapshot.max-load-memory");
                    assertThat(rootOfType(e, Error.class)).as("no Error on the way").isNull();
                });
        assertThat(dump).as("the file is left for the operator").exists();
    }

    @Test
    void aDumpFileWithAValueOverMaxValueBytesFailsTheStartNamingTheFile() throws IOException {
        Path dir = tmp.resolve("node");
        Files.createDirectories(dir);
        Path dump = dir.resolve("dump.rdb");
        // One 105 MB value from 1.2 MB of LZF; max-value-bytes is 16MB by default.
        Files.write(dump, CraftedRdb.create().lzfBomb("big", 400_000).end());

        assertThatThrownBy(() -> node = TestNode.start("bomb", dir))
                .satisfies(e -> {
                    Throwable cause = rootOfType(e, DumpFileException.class);
                    assertThat(cause).as("a DumpFileException in %s", e).isNotNull();
                    assertThat(cause.getMessage())
                            .contains("Cannot load the dump file " + dump.toAbsolutePath())
                            .contains("replcache.limits.max-value-bytes");
                });
    }

    @Test
    void aReplicaRefusesAnExpandingSnapshotFromAFakeMasterAndKeepsServing() throws IOException {
        byte[] rdb = expandingFile();
        AtomicInteger fullSyncsSent = new AtomicInteger();
        fakeMaster = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                .addService(new FakeMaster(rdb, fullSyncsSent)).build().start();

        node = TestNode.start("replica", tmp.resolve("replica"), "replcache.snapshot.max-load-memory=64MB");
        node.node().keyspace().set(Bytes.utf8("mine"), Bytes.utf8("kept"));
        node.node().replicaOf(new dev.replcache.config.ReplicationProperties.HostPort("127.0.0.1", fakeMaster.getPort()));

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            var link = node.node().replicationView().master();
            assertThat(link).isNotNull();
            assertThat(link.lastError()).isNotNull().contains("max-load-memory");
            // Refused and retried, not stuck: the link came back for another sync.
            assertThat(fullSyncsSent.get()).isGreaterThanOrEqualTo(2);
        });
        assertThat(node.node().keyspace().get(Bytes.utf8("mine"))).isEqualTo(Bytes.utf8("kept"));
        assertThat(node.get("/actuator/health/liveness").statusCode()).isEqualTo(200);
        // Once the master is gone (no attempt in flight any more), no refused snapshot is left on disk.
        fakeMaster.shutdownNow();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            try (var files = Files.list(tmp.resolve("replica"))) {
                assertThat(files.map(p -> p.getFileName().toString()).toList())
                        .as("the refused snapshot is not kept").doesNotContain("replica-sync.rdb", "dump.rdb");
            }
        });
    }

    /** Answers every PSYNC with a full resync of the given file, in checksummed chunks, as a master would. */
    private static final class FakeMaster extends ReplicationServiceGrpc.ReplicationServiceImplBase {
        private static final int CHUNK = 512 * 1024;
        private final byte[] rdb;
        private final AtomicInteger fullSyncsSent;

        FakeMaster(byte[] rdb, AtomicInteger fullSyncsSent) {
            this.rdb = rdb;
            this.fullSyncsSent = fullSyncsSent;
        }

        @Override
        public StreamObserver<ReplicaMessage> sync(StreamObserver<MasterMessage> out) {
            return new StreamObserver<>() {
                @Override
                public void onNext(ReplicaMessage m) {
                    if (!m.hasPsync()) {
                        return;
                    }
                    String id = "crafted-" + fullSyncsSent.incrementAndGet();
                    out.onNext(MasterMessage.newBuilder().setFullResync(FullResync.newBuilder()
                            .setReplId("f".repeat(40)).setOffset(0).setSnapshotId(id).setSizeEstimate(rdb.length)
                            .setKeyCount(20)).build());
                    CRC32C whole = new CRC32C();
                    for (int seq = 0, at = 0; at < rdb.length; seq++, at += CHUNK) {
                        byte[] data = Arrays.copyOfRange(rdb, at, Math.min(rdb.length, at + CHUNK));
                        CRC32C crc = new CRC32C();
                        crc.update(data);
                        whole.update(data);
                        out.onNext(MasterMessage.newBuilder().setSnapshotChunk(SnapshotChunk.newBuilder()
                                .setSnapshotId(id).setSeq(seq).setData(ByteString.copyFrom(data))
                                .setCrc32C((int) crc.getValue())).build());
                    }
                    out.onNext(MasterMessage.newBuilder().setSnapshotEnd(SnapshotEnd.newBuilder()
                            .setSnapshotId(id).setTotalBytes(rdb.length).setChecksum((int) whole.getValue())).build());
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                    out.onCompleted();
                }
            };
        }
    }
}
