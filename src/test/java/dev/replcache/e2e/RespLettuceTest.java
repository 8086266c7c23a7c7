package dev.replcache.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.GetExArgs;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ReadFrom;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.masterreplica.MasterReplica;
import io.lettuce.core.masterreplica.StatefulRedisMasterReplicaConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lettuce against a master and its replica: RESP3 (Lettuce's default handshake is HELLO 3),
 * every command family, pipelining with auto-flush off, and MasterReplica discovering the
 * topology from INFO replication and reading from the replica.
 */
class RespLettuceTest {

    @TempDir
    static Path tmp;

    private static TestNode master;
    private static TestNode replica;
    private static RedisClient client;

    @BeforeAll
    static void start() {
        master = TestNode.start("master", tmp.resolve("master"), "replcache.resp.port=" + TestNode.freePort());
        replica = TestNode.start("replica", tmp.resolve("replica"), "replcache.resp.port=" + TestNode.freePort(),
                "replcache.replication.master=" + master.grpcAddress());
        await().atMost(Duration.ofSeconds(30)).until(() -> replica.node().replicationView().master().ready());
        client = RedisClient.create();
        client.setOptions(ClientOptions.builder().protocolVersion(ProtocolVersion.RESP3).build());
    }

    @AfterAll
    static void stop() {
        client.shutdown(0, 2, TimeUnit.SECONDS);
        replica.close();
        master.close();
    }

    private static RedisURI uri(TestNode n) {
        return RedisURI.create("redis://127.0.0.1:" + n.respPort());
    }

    @Test
    void resp3ConnectionServesEveryFamily() {
        try (StatefulRedisConnection<String, String> c = client.connect(StringCodec.UTF8, uri(master))) {
            RedisCommands<String, String> r = c.sync();
            assertThat(r.clientList()).contains("resp=3"); // HELLO 3 was accepted
            r.del("l:s", "l:h", "l:n", "l:f");
            assertThat(r.set("l:s", "v", SetArgs.Builder.nx().px(60_000))).isEqualTo("OK");
            assertThat(r.set("l:s", "w", SetArgs.Builder.nx())).isNull();
            assertThat(r.get("l:s")).isEqualTo("v");
            assertThat(r.get("l:missing")).isNull(); // RESP3 null
            assertThat(r.pttl("l:s")).isBetween(1L, 60_000L);
            assertThat(r.getex("l:s", GetExArgs.Builder.persist())).isEqualTo("v");
            assertThat(r.ttl("l:s")).isEqualTo(-1);
            assertThat(r.getdel("l:s")).isEqualTo("v");
            assertThat(r.incrby("l:n", 7)).isEqualTo(7);
            assertThat(r.incrbyfloat("l:f", 1.25)).isEqualTo(1.25);
            assertThat(r.mset(Map.of("l:a", "1", "l:b", "2"))).isEqualTo("OK");
            assertThat(r.mget("l:a", "l:b").stream().map(kv -> kv.getValue()).toList()).containsExactly("1", "2");
            assertThat(r.hset("l:h", Map.of("f1", "a", "f2", "b"))).isEqualTo(2);
            assertThat(r.hgetall("l:h")).containsExactlyInAnyOrderEntriesOf(Map.of("f1", "a", "f2", "b")); // RESP3 map
            assertThat(r.hlen("l:h")).isEqualTo(2);
            assertThat(r.hincrby("l:h", "n", 3)).isEqualTo(3);
            assertThat(r.type("l:h")).isEqualTo("hash");
            assertThat(r.expire("l:h", 100)).isTrue();
            assertThat(r.rename("l:h", "l:h2")).isEqualTo("OK");
            assertThat(r.ttl("l:h2")).isBetween(99L, 100L);
            assertThat(r.exists("l:h2", "l:a")).isEqualTo(2);
            Set<String> keys = new HashSet<>();
            ScanCursor cursor = ScanCursor.INITIAL;
            do {
                KeyScanCursor<String> page = r.scan(cursor, ScanArgs.Builder.matches("l:*").limit(5));
                keys.addAll(page.getKeys());
                cursor = page;
            } while (!cursor.isFinished());
            assertThat(keys).contains("l:h2", "l:a", "l:b", "l:n", "l:f");
            assertThat(r.info("replication")).contains("role:master"); // a verbatim string in RESP3
            assertThat(r.configGet("maxmemory-policy")).containsEntry("maxmemory-policy", "noeviction"); // a map
            assertThat(r.echo("e")).isEqualTo("e");
            assertThatThrownBy(() -> r.hget("l:a", "f")).isInstanceOf(RedisCommandExecutionException.class)
                    .hasMessage("WRONGTYPE Operation against a key holding the wrong kind of value");
        }
    }

    @Test
    void resp2StillWorksWhenAsked() {
        RedisClient resp2 = RedisClient.create();
        resp2.setOptions(ClientOptions.builder().protocolVersion(ProtocolVersion.RESP2).build());
        try (StatefulRedisConnection<String, String> c = resp2.connect(StringCodec.UTF8, uri(master))) {
            RedisCommands<String, String> r = c.sync();
            assertThat(r.clientList()).contains("resp=2");
            r.hset("l2:h", Map.of("x", "1"));
            assertThat(r.hgetall("l2:h")).containsEntry("x", "1");
            assertThat(r.get("l2:none")).isNull();
        } finally {
            resp2.shutdown(0, 2, TimeUnit.SECONDS);
        }
    }

    @Test
    void pipelinedCommandsWithAutoFlushOff() throws Exception {
        try (StatefulRedisConnection<String, String> c = client.connect(StringCodec.UTF8, uri(master))) {
            RedisAsyncCommands<String, String> a = c.async();
            c.setAutoFlushCommands(false);
            List<RedisFuture<?>> futures = new ArrayList<>();
            for (int i = 0; i < 2_000; i++) {
                futures.add(a.set("lp:" + i, "v" + i));
                futures.add(a.hset("lp:h", "f" + i, Integer.toString(i)));
            }
            RedisFuture<Long> last = a.incr("lp:n");
            c.flushCommands();
            assertThat(last.get(10, TimeUnit.SECONDS)).isEqualTo(1);
            for (RedisFuture<?> f : futures) {
                assertThat(f.get(10, TimeUnit.SECONDS)).isNotNull();
            }
            c.setAutoFlushCommands(true);
            assertThat(a.hlen("lp:h").get(10, TimeUnit.SECONDS)).isEqualTo(2_000);
            assertThat(a.get("lp:1999").get(10, TimeUnit.SECONDS)).isEqualTo("v1999");
        }
    }

    @Test
    void masterReplicaFindsTheReplicaAndReadsFromIt() {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            try (StatefulRedisConnection<String, String> c = client.connect(StringCodec.UTF8, uri(master))) {
                assertThat(c.sync().info("replication"))
                        .contains("slave0:ip=127.0.0.1,port=" + replica.respPort() + ",state=online");
            }
        });
        try (StatefulRedisMasterReplicaConnection<String, String> mr =
                     MasterReplica.connect(client, StringCodec.UTF8, uri(master))) {
            mr.setReadFrom(ReadFrom.REPLICA_PREFERRED);
            RedisCommands<String, String> r = mr.sync();
            assertThat(r.set("mr:k", "from-master")).isEqualTo("OK"); // writes go to the master
            Cluster.awaitInSync(master, replica);
            double replicaGets = gets(replica);
            double masterGets = gets(master);
            for (int i = 0; i < 20; i++) {
                assertThat(r.get("mr:k")).isEqualTo("from-master");
            }
            assertThat(gets(replica) - replicaGets).as("GETs served by the replica").isEqualTo(20);
            assertThat(gets(master) - masterGets).as("GETs served by the master").isZero();
        }
    }

    @Test
    void aWriteOnTheReplicaIsReadOnly() {
        try (StatefulRedisConnection<String, String> c = client.connect(StringCodec.UTF8, uri(replica))) {
            assertThatThrownBy(() -> c.sync().set("k", "v")).isInstanceOf(RedisCommandExecutionException.class)
                    .hasMessage("READONLY You can't write against a read only replica.");
            assertThat(c.sync().info("replication")).contains("role:slave", "master_link_status:up");
        }
    }

    private static double gets(TestNode n) {
        Timer t = n.bean(MeterRegistry.class).find("replcache.operations").tag("transport", "resp")
                .tag("command", "get").tag("outcome", "ok").timer();
        return t == null ? 0 : t.count();
    }
}
