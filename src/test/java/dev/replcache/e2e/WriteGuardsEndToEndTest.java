package dev.replcache.e2e;

import static dev.replcache.e2e.Cluster.awaitInSync;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import dev.replcache.api.cache.v1.CacheServiceGrpc;
import dev.replcache.api.cache.v1.SetRequest;
import dev.replcache.keyspace.Bytes;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** min-replicas-to-write, and the guard against a silent wipe by an empty master. */
class WriteGuardsEndToEndTest {

    @TempDir
    Path tmp;

    private Cluster cluster;

    @BeforeEach
    void cluster() {
        cluster = new Cluster(tmp);
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void withTooFewGoodReplicasWritesAreRefusedAndReadsServed() throws Exception {
        TestNode master = cluster.start("master", "replcache.replication.min-replicas-to-write=1",
                "replcache.replication.min-replicas-max-lag=2s", "replcache.replication.ack-interval=100ms");
        master.node().keyspace().set(Bytes.utf8("old"), Bytes.utf8("v")); // loaded before the guard: a read target

        HttpResponse<String> refused = master.http("PUT", "/v1/keys/k", "v", null);
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.body()).contains("not-enough-replicas").contains("NOREPLICAS").contains("\"goodReplicas\":0");
        assertThat(master.http("GET", "/v1/keys/old", null, null).statusCode()).isEqualTo(200);
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", master.grpcPort()).usePlaintext().build();
        try {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> CacheServiceGrpc.newBlockingStub(channel)
                    .set(SetRequest.newBuilder().setKey(ByteString.copyFromUtf8("k")).setValue(ByteString.copyFromUtf8("v")).build()));
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(e.getStatus().getDescription()).contains("NOREPLICAS");
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }

        TestNode replica = cluster.start("replica", "replcache.replication.master=" + master.grpcAddress(),
                "replcache.replication.ack-interval=100ms");
        await().atMost(Duration.ofSeconds(60)).until(() -> master.http("PUT", "/v1/keys/k", "v", null).statusCode() == 204);
        awaitInSync(master, replica);

        replica.close(); // the only replica goes: after max-lag without its acks, writes stop again
        await().atMost(Duration.ofSeconds(30)).until(() -> master.http("PUT", "/v1/keys/k2", "v", null).statusCode() == 503);
        assertThat(master.http("GET", "/v1/keys/k", null, null).body()).isEqualTo("v");
    }

    @Test
    void aReplicaWithDataRefusesToBeEmptiedByAMasterThatCameBackEmpty() {
        TestNode master = cluster.start("master", "replcache.snapshot.on-shutdown=false");
        for (int i = 0; i < 100; i++) {
            master.node().writableKeyspace().set(Bytes.utf8("k" + i), Bytes.utf8("v" + i));
        }
        TestNode replica = cluster.start("replica", "replcache.replication.master=" + master.grpcAddress());
        awaitInSync(master, replica);

        master.restart(); // no dump file: a new history with no data, on the same port
        await().atMost(Duration.ofSeconds(30)).until(() -> replica.node().replicationView().master().refusedFullResync() != null);
        assertThat(replica.node().replicationView().master().refusedFullResync())
                .contains("empty dataset").contains("100 keys").contains("allow-empty-resync");
        assertThat(replica.node().keyspace().dbSize()).isEqualTo(100);
        HttpResponse<String> view = replica.http("GET", "/v1/replication", null, null);
        assertThat(view.body()).contains("refused full resync");
        HttpResponse<String> health = replica.http("GET", "/actuator/health", null, null);
        assertThat(health.statusCode()).isEqualTo(503);
        assertThat(health.body()).contains("refusedFullResync").contains("OUT_OF_SERVICE");
        // The master got refused FULLRESYNCs: it served them, the replica threw them away.
        assertThat(master.node().master().stats().syncFull()).isGreaterThanOrEqualTo(1);

        // Once the master has data again (an operator restored it), the replica follows it.
        master.node().writableKeyspace().set(Bytes.utf8("restored"), Bytes.utf8("x"));
        awaitInSync(master, replica);
        assertThat(replica.node().replicationView().master().refusedFullResync()).isNull();
    }

    @Test
    void replicaofAnEmptyNodeIsRefusedUnlessAllowed() {
        TestNode empty = cluster.start("empty");
        TestNode guarded = cluster.start("guarded");
        TestNode allowing = cluster.start("allowing", "replcache.replication.allow-empty-resync=true");
        for (int i = 0; i < 50; i++) {
            guarded.node().writableKeyspace().set(Bytes.utf8("g" + i), Bytes.utf8("v"));
            allowing.node().writableKeyspace().set(Bytes.utf8("a" + i), Bytes.utf8("v"));
        }
        String body = "{\"host\":\"127.0.0.1\",\"port\":" + empty.grpcPort() + "}";
        guarded.json("PUT", "/v1/replication/master", body);
        allowing.json("PUT", "/v1/replication/master", body);

        awaitInSync(empty, allowing);
        assertThat(allowing.node().keyspace().dbSize()).isZero();
        await().atMost(Duration.ofSeconds(30)).until(() -> guarded.node().replicationView().master().refusedFullResync() != null);
        assertThat(guarded.node().keyspace().dbSize()).isEqualTo(50);
    }
}
