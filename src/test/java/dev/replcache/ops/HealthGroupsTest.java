package dev.replcache.ops;

import dev.replcache.e2e.TestNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.replcache.keyspace.Bytes;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The health groups as Kubernetes probes use them, on separate nodes: liveness is UP
 * throughout; readiness waits for a replica's first sync (503 before, 200 after) and survives a
 * lost link; the {@code replication} component reports the link.
 */
class HealthGroupsTest {

    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path tmp;

    private final List<TestNode> nodes = new ArrayList<>();

    @AfterEach
    void stop() {
        nodes.forEach(TestNode::close);
    }

    private TestNode start(String name, int grpcPort, String... props) {
        TestNode n = TestNode.start(name, tmp.resolve(name), grpcPort, props);
        nodes.add(n);
        return n;
    }

    static JsonNode json(HttpResponse<String> r) {
        return JSON.readTree(r.body());
    }

    @Test
    void aMasterIsLiveAndReadyAndItsReplicationComponentIsUp() {
        TestNode master = start("master", TestNode.freePort());

        HttpResponse<String> liveness = master.get("/actuator/health/liveness");
        assertThat(liveness.statusCode()).isEqualTo(200);
        assertThat(json(liveness).path("status").asString()).isEqualTo("UP");
        HttpResponse<String> readiness = master.get("/actuator/health/readiness");
        assertThat(readiness.statusCode()).isEqualTo(200);
        JsonNode ready = json(readiness);
        assertThat(ready.path("status").asString()).isEqualTo("UP");
        assertThat(ready.path("components").path("replicationReadiness").path("status").asString()).isEqualTo("UP");
        assertThat(ready.path("components").path("readinessState").path("status").asString()).isEqualTo("UP");

        HttpResponse<String> health = master.get("/actuator/health");
        assertThat(health.statusCode()).isEqualTo(200);
        JsonNode replication = json(health).path("components").path("replication");
        assertThat(replication.path("status").asString()).isEqualTo("UP");
        assertThat(replication.path("details").path("role").asString()).isEqualTo("master");
        assertThat(replication.path("details").path("offset").asLong()).isEqualTo(master.node().replicationLog().offset());
    }

    @Test
    void aReplicaIsReadyOnlyAfterItsFirstSyncStaysReadyWhenItsLinkDropsAndIsLiveThroughout() {
        int masterPort = TestNode.freePort();
        TestNode replica = start("replica", TestNode.freePort(),
                "replcache.replication.master=127.0.0.1:" + masterPort);

        // No master yet: the link cannot come up, and the replica has never synced.
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            JsonNode replication = json(replica.get("/actuator/health")).path("components").path("replication");
            assertThat(replication.path("details").path("lastDropReason").asString()).isNotEmpty();
        });
        HttpResponse<String> notReady = replica.get("/actuator/health/readiness");
        assertThat(notReady.statusCode()).isEqualTo(503);
        JsonNode gate = json(notReady).path("components").path("replicationReadiness");
        assertThat(gate.path("status").asString()).isEqualTo("OUT_OF_SERVICE");
        assertThat(gate.path("details").path("reason").asString()).contains("first sync");
        assertThat(replica.get("/actuator/health/liveness").statusCode()).isEqualTo(200);
        HttpResponse<String> health = replica.get("/actuator/health");
        assertThat(health.statusCode()).isEqualTo(503);
        JsonNode replication = json(health).path("components").path("replication");
        assertThat(replication.path("status").asString()).isEqualTo("OUT_OF_SERVICE");
        assertThat(replication.path("details").path("role").asString()).isEqualTo("replica");
        assertThat(replication.path("details").path("master").asString()).isEqualTo("127.0.0.1:" + masterPort);
        assertThat(replication.path("details").path("everSynced").asBoolean()).isFalse();

        // The master comes up with data: the replica syncs and becomes ready.
        TestNode master = start("master", masterPort);
        for (int i = 0; i < 100; i++) {
            master.node().writableKeyspace().set(Bytes.utf8("k" + i), Bytes.utf8("v" + i));
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(replica.get("/actuator/health/readiness").statusCode()).isEqualTo(200));
        assertThat(replica.get("/actuator/health/liveness").statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode up = json(replica.get("/actuator/health")).path("components").path("replication");
            assertThat(up.path("status").asString()).isEqualTo("UP");
            assertThat(up.path("details").path("linkState").asString()).isEqualTo("streaming");
            assertThat(up.path("details").path("everSynced").asBoolean()).isTrue();
            assertThat(up.path("details").path("offset").asLong()).isEqualTo(master.node().replicationLog().offset());
            assertThat(up.path("details").path("lastFullSyncMs").asLong(-1)).isGreaterThanOrEqualTo(0);
        });
        assertThat(replica.node().keyspace().dbSize()).isEqualTo(100);

        // The master goes away: the replica keeps serving (stale) reads, so it stays ready and live,
        // while its replication component says the link is down and why.
        master.close();
        nodes.remove(master);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            JsonNode down = json(replica.get("/actuator/health")).path("components").path("replication");
            assertThat(down.path("status").asString()).isEqualTo("OUT_OF_SERVICE");
            assertThat(down.path("details").path("linkState").asString()).isIn("down", "connecting", "handshake");
            assertThat(down.path("details").path("lastDropReason").asString()).isNotEmpty();
        });
        assertThat(replica.get("/actuator/health/readiness").statusCode()).isEqualTo(200);
        assertThat(replica.get("/actuator/health/liveness").statusCode()).isEqualTo(200);
    }
}
