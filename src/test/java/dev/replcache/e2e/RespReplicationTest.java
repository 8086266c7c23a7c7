package dev.replcache.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.replcache.api.cache.v1.CacheServiceGrpc;
import dev.replcache.api.cache.v1.GetRequest;
import dev.replcache.api.cache.v1.HGetRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.GetExParams;
import redis.clients.jedis.params.SetParams;

/**
 * Writes over RESP take the same path as HTTP and gRPC: they replicate (every command, including
 * the ones whose entries are rewritten: INCRBYFLOAT, SETRANGE, RENAME, GETEX, MSETNX), and the
 * replica serves them over HTTP, gRPC and RESP. WAIT, READONLY, REPLICAOF and min-replicas too.
 */
class RespReplicationTest {

    @TempDir
    Path tmp;

    @Test
    void keysWrittenOverRespReachTheReplicaAndReadBackOverHttpGrpcAndResp() {
        try (Cluster cluster = new Cluster(tmp)) {
            TestNode master = cluster.start("master", "replcache.resp.port=" + TestNode.freePort());
            TestNode replica = cluster.start("replica", "replcache.resp.port=" + TestNode.freePort(),
                    "replcache.replication.master=" + master.grpcAddress());
            await().atMost(Duration.ofSeconds(30)).until(() -> replica.node().replicationView().master().ready());
            try (Jedis m = new Jedis("127.0.0.1", master.respPort()); Jedis r = new Jedis("127.0.0.1", replica.respPort())) {
                m.set("str", "hello", SetParams.setParams().px(600_000));
                m.set("gone", "x");
                m.del("gone");
                m.hset("hash", Map.of("f1", "a", "f2", "b"));
                m.hdel("hash", "f2");
                m.hincrBy("hash", "n", 5);
                m.incrBy("counter", 41);
                m.incr("counter");
                m.incrByFloat("float", 2.5);
                m.append("str2", "abc");
                m.setrange("str2", 5, "xy");
                m.msetnx("ms1", "1", "ms2", "2");
                m.set("ttl", "v");
                m.getEx("ttl", GetExParams.getExParams().ex(1000));
                m.set("old", "moved");
                m.expire("old", 900);
                m.rename("old", "new");
                m.hset("oldhash", "k", "v");
                m.renamenx("oldhash", "newhash");
                m.set("persist", "v", SetParams.setParams().ex(100));
                m.persist("persist");
                assertThat(m.waitReplicas(1, 5_000)).as("WAIT 1: the replica acked every write above").isEqualTo(1);

                Cluster.awaitInSync(master, replica);

                // RESP on the replica
                assertThat(r.get("str")).isEqualTo("hello");
                assertThat(r.pttl("str")).isBetween(1L, 600_000L);
                assertThat(r.exists("gone")).isFalse();
                assertThat(r.hgetAll("hash")).isEqualTo(Map.of("f1", "a", "n", "5"));
                assertThat(r.get("counter")).isEqualTo("42");
                assertThat(r.get("float")).isEqualTo("2.5");
                assertThat(r.get("str2".getBytes())).containsExactly('a', 'b', 'c', 0, 0, 'x', 'y');
                assertThat(r.mget("ms1", "ms2")).containsExactly("1", "2");
                assertThat(r.ttl("ttl")).isBetween(990L, 1000L);
                assertThat(r.exists("old")).isFalse();
                assertThat(r.get("new")).isEqualTo("moved");
                assertThat(r.ttl("new")).isBetween(890L, 900L);
                assertThat(r.hget("newhash", "k")).isEqualTo("v");
                assertThat(r.ttl("persist")).isEqualTo(-1);
                assertThatThrownBy(() -> r.set("k", "v")).isInstanceOf(JedisDataException.class)
                        .hasMessage("READONLY You can't write against a read only replica.");
                assertThatThrownBy(() -> r.waitReplicas(1, 10)).isInstanceOf(JedisDataException.class)
                        .hasMessageStartingWith("ERR WAIT cannot be used with replica instances.");

                // HTTP on the replica
                HttpResponse<String> http = replica.get("/v1/keys/str");
                assertThat(http.statusCode()).isEqualTo(200);
                assertThat(http.body()).isEqualTo("hello");
                assertThat(replica.get("/v1/keys/counter").body()).isEqualTo("42");
                assertThat(replica.get("/v1/hashes/newhash").body()).contains("\"k\"", "\"v\"");

                // gRPC on the replica
                ManagedChannel channel = ManagedChannelBuilder.forTarget(replica.grpcAddress()).usePlaintext().build();
                try {
                    CacheServiceGrpc.CacheServiceBlockingStub grpc = CacheServiceGrpc.newBlockingStub(channel);
                    assertThat(grpc.get(GetRequest.newBuilder().setKey(ByteString.copyFromUtf8("new")).build()).getValue()
                            .toStringUtf8()).isEqualTo("moved");
                    assertThat(grpc.get(GetRequest.newBuilder().setKey(ByteString.copyFromUtf8("float")).build()).getValue()
                            .toStringUtf8()).isEqualTo("2.5");
                    assertThat(grpc.hGet(HGetRequest.newBuilder().setKey(ByteString.copyFromUtf8("hash"))
                            .setField(ByteString.copyFromUtf8("n")).build()).getValue().toStringUtf8()).isEqualTo("5");
                } finally {
                    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    @Test
    void replicaofAndMinReplicasOverResp() {
        try (Cluster cluster = new Cluster(tmp)) {
            TestNode master = cluster.start("master", "replcache.resp.port=" + TestNode.freePort(),
                    "replcache.replication.min-replicas-to-write=1");
            TestNode other = cluster.start("other", "replcache.resp.port=" + TestNode.freePort());
            try (Jedis m = new Jedis("127.0.0.1", master.respPort()); Jedis o = new Jedis("127.0.0.1", other.respPort())) {
                assertThatThrownBy(() -> m.set("k", "v")).isInstanceOf(JedisDataException.class)
                        .hasMessage("NOREPLICAS Not enough good replicas to write.");
                assertThat(m.get("k")).isNull(); // reads are served
                assertThat(o.replicaof("127.0.0.1", master.grpcPort())).isEqualTo("OK");
                await().atMost(Duration.ofSeconds(30)).until(() -> other.node().masterLink() != null
                        && other.node().replicationView().master().ready());
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(m.set("k", "v")).isEqualTo("OK"));
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(o.get("k")).isEqualTo("v"));
                assertThat(o.role()).first().isEqualTo("slave");
                assertThat(o.replicaofNoOne()).isEqualTo("OK");
                assertThat(o.role()).first().isEqualTo("master");
                assertThat(o.set("mine", "1")).isEqualTo("OK");
            }
        }
    }
}
