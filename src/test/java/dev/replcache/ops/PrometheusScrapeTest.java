package dev.replcache.ops;

import dev.replcache.e2e.TestNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.replcache.api.cache.v1.CacheServiceGrpc;
import dev.replcache.api.cache.v1.GetRequest;
import dev.replcache.api.cache.v1.SetRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /actuator/prometheus} on a master with a replica (separate nodes) after traffic over
 * both transports: every {@code replcache_*} family README lists is there, with values that
 * match what happened.
 */
class PrometheusScrapeTest {

    @TempDir
    Path tmp;

    private TestNode master;
    private TestNode replica;

    @AfterEach
    void stop() {
        if (replica != null) {
            replica.close();
        }
        if (master != null) {
            master.close();
        }
    }

    private static PrometheusText scrape(TestNode n) {
        HttpResponse<String> r = n.get("/actuator/prometheus");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
        return PrometheusText.parse(r.body());
    }

    @Test
    void aScrapeShowsOperationsKeyspaceOffsetsBacklogSyncsAndPerReplicaLag() throws Exception {
        master = TestNode.start("master", tmp.resolve("master"));
        for (int i = 0; i < 20; i++) {
            assertThat(master.send("PUT", "/v1/keys/http-" + i, "value-" + i).statusCode()).isEqualTo(204);
        }
        assertThat(master.send("PUT", "/v1/keys/session?ttl=1h", "s").statusCode()).isEqualTo(204);
        assertThat(master.get("/v1/keys/http-0").statusCode()).isEqualTo(200);
        assertThat(master.get("/v1/keys/missing").statusCode()).isEqualTo(404);
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", master.grpcPort()).usePlaintext().build();
        try {
            CacheServiceGrpc.CacheServiceBlockingStub stub = CacheServiceGrpc.newBlockingStub(channel);
            for (int i = 0; i < 10; i++) {
                stub.set(SetRequest.newBuilder().setKey(ByteString.copyFromUtf8("grpc-" + i))
                        .setValue(ByteString.copyFromUtf8("v" + i)).build());
            }
            for (int i = 0; i < 5; i++) {
                assertThat(stub.get(GetRequest.newBuilder().setKey(ByteString.copyFromUtf8("grpc-" + i)).build()).getFound())
                        .isTrue();
            }
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }

        replica = TestNode.start("replica", tmp.resolve("replica"),
                "replcache.replication.master=" + master.grpcAddress());
        String replicaId = replica.node().nodeId();
        String replicaAddress = "127.0.0.1:" + replica.grpcPort();
        await().atMost(Duration.ofSeconds(30)).until(() -> replica.node().replicationView().master().ready());
        assertThat(replica.send("PUT", "/v1/keys/refused", "x").statusCode()).isEqualTo(409);
        // One more write after the sync, then wait until the replica acked it and the gauges show it.
        assertThat(master.send("PUT", "/v1/keys/after-sync", "x").statusCode()).isEqualTo(204);
        long offset = master.node().replicationLog().offset();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            PrometheusText m = scrape(master);
            assertThat(m.value("replcache_replica_ack_offset", "replica", replicaId, "address", replicaAddress))
                    .isEqualTo(offset);
            assertThat(m.value("replcache_replica_lag_bytes", "replica", replicaId)).isEqualTo(0);
            assertThat(replica.node().masterLink().masterOffsetSeen()).isEqualTo(offset);
        });

        PrometheusText m = scrape(master);
        // Operations, per transport, command and outcome, with latency buckets.
        assertThat(m.value("replcache_operations_seconds_count", "transport", "http", "command", "set", "outcome", "ok"))
                .isEqualTo(22);
        assertThat(m.value("replcache_operations_seconds_count", "transport", "http", "command", "get", "outcome", "ok"))
                .isEqualTo(1);
        assertThat(m.value("replcache_operations_seconds_count", "transport", "http", "command", "get", "outcome", "not_found"))
                .isEqualTo(1);
        assertThat(m.value("replcache_operations_seconds_count", "transport", "grpc", "command", "set", "outcome", "ok"))
                .isEqualTo(10);
        assertThat(m.value("replcache_operations_seconds_count", "transport", "grpc", "command", "get", "outcome", "ok"))
                .isEqualTo(5);
        assertThat(m.value("replcache_operations_seconds_sum", "transport", "grpc", "command", "set", "outcome", "ok"))
                .isGreaterThan(0);
        assertThat(m.value("replcache_operations_seconds_bucket", "transport", "grpc", "command", "set", "outcome", "ok",
                "le", "+Inf")).isEqualTo(10);
        assertThat(m.find("replcache_operations_seconds_bucket", "transport", "http", "command", "set", "outcome", "ok"))
                .hasSizeGreaterThan(10);
        // Spring's own per-request observation is off: replcache_operations replaces it.
        assertThat(m.has("http_server_requests_seconds_count")).isFalse();

        // Keyspace.
        assertThat(m.value("replcache_keys")).isEqualTo(32);
        assertThat(m.value("replcache_expires")).isEqualTo(1);
        assertThat(m.value("replcache_memory_used_bytes")).isGreaterThan(0);
        assertThat(m.value("replcache_memory_max_bytes")).isEqualTo(0);
        assertThat(m.value("replcache_expired_keys_total")).isEqualTo(0);
        assertThat(m.value("replcache_evicted_keys_total")).isEqualTo(0);

        // Offsets and backlog.
        assertThat(m.value("replcache_role", "role", "master")).isEqualTo(1);
        assertThat(m.value("replcache_role", "role", "replica")).isEqualTo(0);
        assertThat(m.value("replcache_offset")).isEqualTo(offset);
        assertThat(m.value("replcache_master_offset")).isEqualTo(offset);
        assertThat(m.value("replcache_backlog_size_bytes")).isEqualTo(offset);
        assertThat(m.value("replcache_backlog_capacity_bytes")).isEqualTo(16 * 1024 * 1024);
        assertThat(m.value("replcache_backlog_first_offset")).isEqualTo(0);
        assertThat(m.has("replcache_backlog_coverage_seconds")).isTrue();

        // The master side of the sync.
        assertThat(m.value("replcache_syncs_total", "kind", "full")).isEqualTo(1);
        assertThat(m.value("replcache_syncs_total", "kind", "partial_ok")).isEqualTo(0);
        assertThat(m.value("replcache_syncs_total", "kind", "partial_err")).isEqualTo(0);
        assertThat(m.value("replcache_syncs_abandoned_total")).isEqualTo(0);
        // Slow replicas, WAIT, failover, the empty-master guard: present, and quiet here.
        assertThat(m.value("replcache_slow_replica_disconnects_total")).isEqualTo(0);
        assertThat(m.value("replcache_throttled_writes_total")).isEqualTo(0);
        assertThat(m.value("replcache_throttle_delay_seconds")).isEqualTo(0);
        assertThat(m.value("replcache_wait_in_progress")).isEqualTo(0);
        assertThat(m.value("replcache_writes_paused")).isEqualTo(0);
        assertThat(m.value("replcache_link_refused_full_resyncs_total", "kind", "empty_master")).isEqualTo(0);
        assertThat(m.value("replcache_psync_decisions_total", "reason", "no_history", "outcome", "full_resync")).isEqualTo(1);
        assertThat(m.value("replcache_psync_decisions_total", "reason", "offset_before_backlog")).isEqualTo(0);
        double snapshotBytes = m.value("replcache_sync_snapshot_sent_bytes_total");
        assertThat(snapshotBytes).isGreaterThan(0);
        assertThat(m.value("replcache_stream_sent_bytes_total")).isGreaterThan(0);
        assertThat(m.value("replcache_sync_full_duration_seconds_count")).isEqualTo(1);
        assertThat(m.has("replcache_sync_full_duration_seconds_sum")).isTrue();

        // Per replica.
        assertThat(m.value("replcache_replicas", "state", "online")).isEqualTo(1);
        assertThat(m.value("replcache_replicas", "state", "send_snapshot")).isEqualTo(0);
        assertThat(m.value("replcache_replica_lag_seconds", "replica", replicaId, "address", replicaAddress)).isEqualTo(0);
        assertThat(m.value("replcache_link_state", "state", "streaming")).isEqualTo(0);

        // The replica side.
        PrometheusText r = scrape(replica);
        assertThat(r.value("replcache_role", "role", "replica")).isEqualTo(1);
        assertThat(r.value("replcache_link_state", "state", "streaming")).isEqualTo(1);
        assertThat(r.value("replcache_link_state", "state", "down")).isEqualTo(0);
        assertThat(r.value("replcache_offset")).isEqualTo(offset);
        assertThat(r.value("replcache_master_offset")).isEqualTo(offset);
        assertThat(r.value("replcache_link_lag_bytes")).isEqualTo(0);
        assertThat(r.value("replcache_link_syncs_total", "kind", "full")).isEqualTo(1);
        assertThat(r.value("replcache_link_syncs_total", "kind", "partial")).isEqualTo(0);
        assertThat(r.value("replcache_link_full_sync_received_bytes_total")).isEqualTo(snapshotBytes);
        assertThat(r.value("replcache_link_full_sync_duration_seconds_count")).isEqualTo(1);
        assertThat(r.value("replcache_keys")).isEqualTo(32);
        assertThat(r.value("replcache_operations_seconds_count", "transport", "http", "command", "set",
                "outcome", "client_error")).isEqualTo(1);
        assertThat(r.find("replcache_replica_lag_bytes")).isEmpty();
    }
}
