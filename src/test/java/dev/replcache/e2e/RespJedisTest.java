package dev.replcache.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.replcache.keyspace.Bytes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.GetExParams;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.resps.ScanResult;

/** Jedis against one node's RESP port: every command family, Redis's replies and errors, pipelining. */
class RespJedisTest {

    @TempDir
    static Path tmp;

    private static TestNode node;
    private Jedis jedis;

    @BeforeAll
    static void startNode() {
        node = TestNode.start("jedis", tmp.resolve("jedis"), "replcache.resp.port=" + TestNode.freePort(),
                "replcache.limits.max-value-bytes=1MB");
    }

    @AfterAll
    static void stopNode() {
        node.close();
    }

    @BeforeEach
    void connect() {
        jedis = new Jedis("127.0.0.1", node.respPort());
        jedis.flushAll();
    }

    @AfterEach
    void disconnect() {
        jedis.close();
    }

    @Test
    void stringsWithEveryOptionOfSet() {
        assertThat(jedis.set("k", "v")).isEqualTo("OK");
        assertThat(jedis.get("k")).isEqualTo("v");
        assertThat(jedis.get("missing")).isNull();
        assertThat(jedis.set("k", "w", SetParams.setParams().nx())).isNull();
        assertThat(jedis.set("new", "w", SetParams.setParams().xx())).isNull();
        assertThat(jedis.set("k", "w", SetParams.setParams().xx().px(60_000))).isEqualTo("OK");
        assertThat(jedis.pttl("k")).isBetween(1L, 60_000L);
        assertThat(jedis.set("k", "x", SetParams.setParams().keepTtl())).isEqualTo("OK");
        assertThat(jedis.ttl("k")).isBetween(1L, 60L);
        assertThat(jedis.setGet("k", "y")).isEqualTo("x");
        assertThat(jedis.get("k")).isEqualTo("y");
        assertThat(jedis.ttl("k")).isEqualTo(-1);
        long inAnHour = System.currentTimeMillis() / 1000 + 3600;
        jedis.set("at", "v", SetParams.setParams().exAt(inAnHour));
        assertThat(jedis.expireTime("at")).isEqualTo(inAnHour);
        jedis.set("pat", "v", SetParams.setParams().pxAt(inAnHour * 1000));
        assertThat(jedis.pexpireTime("pat")).isEqualTo(inAnHour * 1000);
        jedis.set("ex", "v", SetParams.setParams().ex(100));
        assertThat(jedis.ttl("ex")).isBetween(99L, 100L);

        assertThat(jedis.setnx("nx", "1")).isEqualTo(1);
        assertThat(jedis.setnx("nx", "2")).isZero();
        assertThat(jedis.setex("sx", 10, "v")).isEqualTo("OK");
        assertThat(jedis.ttl("sx")).isBetween(9L, 10L);
        assertThat(jedis.psetex("psx", 10_000, "v")).isEqualTo("OK");
        assertThat(jedis.pttl("psx")).isBetween(1L, 10_000L);
        assertThat(jedis.getSet("nx", "3")).isEqualTo("1");
        assertThat(jedis.getDel("nx")).isEqualTo("3");
        assertThat(jedis.exists("nx")).isFalse();

        jedis.set("gx", "v");
        assertThat(jedis.getEx("gx", GetExParams.getExParams().ex(50))).isEqualTo("v");
        assertThat(jedis.ttl("gx")).isBetween(49L, 50L);
        assertThat(jedis.getEx("gx", GetExParams.getExParams().persist())).isEqualTo("v");
        assertThat(jedis.ttl("gx")).isEqualTo(-1);
        assertThat(jedis.getEx("gone", GetExParams.getExParams().px(10))).isNull();

        assertThat(jedis.mset("a", "1", "b", "2")).isEqualTo("OK");
        assertThat(jedis.mget("a", "b", "missing")).containsExactly("1", "2", null);
        assertThat(jedis.msetnx("a", "9", "c", "3")).isZero();
        assertThat(jedis.exists("c")).isFalse();
        assertThat(jedis.msetnx("c", "3", "d", "4")).isEqualTo(1);
        assertThat(jedis.mget("c", "d")).containsExactly("3", "4");

        assertThat(jedis.incr("n")).isEqualTo(1);
        assertThat(jedis.incrBy("n", 10)).isEqualTo(11);
        assertThat(jedis.decr("n")).isEqualTo(10);
        assertThat(jedis.decrBy("n", 20)).isEqualTo(-10);
        assertThat(jedis.incrByFloat("f", 10.5)).isEqualTo(10.5);
        assertThat(jedis.incrByFloat("f", 0.1)).isEqualTo(10.6);
        assertThat(jedis.get("f")).isEqualTo("10.6");
        jedis.set("big", "5.0e3");
        assertThat(jedis.incrByFloat("big", 2.0e2)).isEqualTo(5200);
        assertThat(jedis.get("big")).isEqualTo("5200");

        assertThat(jedis.append("s", "Hello")).isEqualTo(5);
        assertThat(jedis.append("s", " World")).isEqualTo(11);
        assertThat(jedis.strlen("s")).isEqualTo(11);
        assertThat(jedis.strlen("missing")).isZero();
        assertThat(jedis.getrange("s", 0, 4)).isEqualTo("Hello");
        assertThat(jedis.getrange("s", -5, -1)).isEqualTo("World");
        assertThat(jedis.getrange("s", 5, 2)).isEmpty();
        assertThat(jedis.getrange("s", 0, 100)).isEqualTo("Hello World");
        assertThat(jedis.setrange("s", 6, "Redis")).isEqualTo(11);
        assertThat(jedis.get("s")).isEqualTo("Hello Redis");
        assertThat(jedis.setrange("pad", 3, "x")).isEqualTo(4);
        assertThat(jedis.get("pad".getBytes(StandardCharsets.UTF_8))).containsExactly(0, 0, 0, 'x');
        assertThat(jedis.setrange("nothing", 5, "")).isZero();
        assertThat(jedis.exists("nothing")).isFalse();
    }

    @Test
    void stringErrorsAreRedis() {
        jedis.hset("h", "f", "v");
        jedis.set("text", "abc");
        assertError(() -> jedis.get("h"), "WRONGTYPE Operation against a key holding the wrong kind of value");
        assertError(() -> jedis.incr("text"), "ERR value is not an integer or out of range");
        jedis.set("max", Long.toString(Long.MAX_VALUE));
        assertError(() -> jedis.incr("max"), "ERR increment or decrement would overflow");
        assertError(() -> jedis.incrByFloat("text", 1), "ERR value is not a valid float");
        assertError(() -> jedis.set("k", "v", SetParams.setParams().ex(0)), "ERR invalid expire time in 'set' command");
        assertError(() -> jedis.setex("k", -1, "v"), "ERR invalid expire time in 'setex' command");
        assertError(() -> raw("SET", "k", "v", "NX", "XX"), "ERR syntax error");
        assertError(() -> raw("SET", "k", "v", "EX", "ten"), "ERR value is not an integer or out of range");
        assertError(() -> raw("GET"), "ERR wrong number of arguments for 'get' command");
        assertError(() -> raw("MSET", "a", "1", "b"), "ERR wrong number of arguments for 'mset' command");
        assertError(() -> jedis.setrange("text", -1, "x"), "ERR offset is out of range");
        assertError(() -> jedis.setrange("text", 2_000_000, "x"),
                "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        assertError(() -> raw("FOO", "bar", "baz"), "ERR unknown command 'FOO', with args beginning with: 'bar' 'baz' ");
        assertError(() -> raw("SELECT", "1"), "ERR DB index is out of range");
        assertError(() -> raw("CLIENT", "NOPE"), "ERR unknown subcommand 'NOPE'. Try CLIENT HELP.");
        assertError(() -> raw("AUTH", "secret"), "ERR AUTH <password> called without any password configured for the default user");
        // After all these errors the connection still serves.
        assertThat(jedis.ping()).isEqualTo("PONG");
    }

    @Test
    void keysExpiryRenameScanAndKeys() {
        jedis.set("a", "1");
        jedis.set("b", "2");
        jedis.hset("h", "f", "v");
        assertThat(jedis.exists("a", "b", "a", "none")).isEqualTo(3);
        assertThat(jedis.type("a")).isEqualTo("string");
        assertThat(jedis.type("h")).isEqualTo("hash");
        assertThat(jedis.type("none")).isEqualTo("none");
        assertThat(jedis.expire("a", 100)).isEqualTo(1);
        assertThat(jedis.expire("none", 100)).isZero();
        assertThat(jedis.ttl("a")).isBetween(99L, 100L);
        assertThat(jedis.pexpire("a", 50_000)).isEqualTo(1);
        assertThat(jedis.pttl("a")).isBetween(1L, 50_000L);
        long at = System.currentTimeMillis() / 1000 + 500;
        assertThat(jedis.expireAt("a", at)).isEqualTo(1);
        assertThat(jedis.expireTime("a")).isEqualTo(at);
        assertThat(jedis.pexpireAt("a", at * 1000 + 5)).isEqualTo(1);
        assertThat(jedis.pexpireTime("a")).isEqualTo(at * 1000 + 5);
        assertThat(jedis.persist("a")).isEqualTo(1);
        assertThat(jedis.persist("a")).isZero();
        assertThat(jedis.ttl("a")).isEqualTo(-1);
        assertThat(jedis.ttl("none")).isEqualTo(-2);
        assertThat(jedis.pttl("none")).isEqualTo(-2);
        assertThat(jedis.expire("b", -1)).isEqualTo(1); // a time in the past deletes, as Redis
        assertThat(jedis.exists("b")).isFalse();

        jedis.pexpire("h", 100_000);
        assertThat(jedis.rename("h", "h2")).isEqualTo("OK");
        assertThat(jedis.hget("h2", "f")).isEqualTo("v");
        assertThat(jedis.pttl("h2")).isBetween(1L, 100_000L);
        assertThat(jedis.exists("h")).isFalse();
        assertThat(jedis.renamenx("a", "h2")).isZero();
        assertThat(jedis.renamenx("a", "a2")).isEqualTo(1);
        assertThat(jedis.get("a2")).isEqualTo("1");
        assertError(() -> jedis.rename("none", "x"), "ERR no such key");
        assertThat(raw("EXPIRE", "a2", "100", "XX")).isEqualTo(0L); // no TTL yet
        assertThat(raw("EXPIRE", "a2", "100", "NX")).isEqualTo(1L);
        assertThat(raw("EXPIRE", "a2", "200", "NX")).isEqualTo(0L);
        assertThat(raw("EXPIRE", "a2", "50", "GT")).isEqualTo(0L);
        assertThat(raw("EXPIRE", "a2", "200", "GT")).isEqualTo(1L);
        assertThat(raw("PEXPIRE", "a2", "10000", "XX", "LT")).isEqualTo(1L);
        assertThat(jedis.pttl("a2")).isBetween(1L, 10_000L);
        assertThat(raw("PERSIST", "a2")).isEqualTo(1L);
        assertThat(raw("EXPIRE", "a2", "10", "GT")).isEqualTo(0L); // no TTL counts as infinite
        assertThat(raw("EXPIRE", "a2", "10", "LT")).isEqualTo(1L);
        jedis.persist("a2");
        assertError(() -> raw("EXPIRE", "a2", "10", "NX", "GT"), "ERR NX and XX, GT or LT options at the same time are not compatible");
        assertError(() -> raw("EXPIRE", "a2", "10", "GT", "LT"), "ERR GT and LT options at the same time are not compatible");
        assertError(() -> raw("EXPIRE", "a2", "10", "SOON"), "ERR Unsupported option SOON");

        for (int i = 0; i < 500; i++) {
            jedis.set("scan:" + i, "v");
        }
        jedis.hset("scan:hash", "f", "v");
        Set<String> seen = new HashSet<>();
        String cursor = ScanParams.SCAN_POINTER_START;
        do {
            ScanResult<String> page = jedis.scan(cursor, new ScanParams().match("scan:*").count(50));
            seen.addAll(page.getResult());
            cursor = page.getCursor();
        } while (!cursor.equals("0"));
        assertThat(seen).hasSize(501);
        Set<String> strings = new HashSet<>();
        cursor = "0";
        do {
            ScanResult<String> page = jedis.scan(cursor, new ScanParams().match("scan:*").count(1000), "string");
            strings.addAll(page.getResult());
            cursor = page.getCursor();
        } while (!cursor.equals("0"));
        assertThat(strings).hasSize(500).doesNotContain("scan:hash");
        assertThat(jedis.keys("scan:1?")).hasSize(10);
        assertThat(jedis.keys("*")).hasSize(503);
        assertThat(jedis.dbSize()).isEqualTo(503);
        assertThat(jedis.randomKey()).isNotNull();
        assertThat(jedis.del("scan:1", "scan:2", "none")).isEqualTo(2);
        assertThat(jedis.unlink("scan:3")).isEqualTo(1);
        assertThat(jedis.flushDB()).isEqualTo("OK");
        assertThat(jedis.dbSize()).isZero();
        assertThat(jedis.randomKey()).isNull();
    }

    @Test
    void hashes() {
        assertThat(jedis.hset("h", Map.of("a", "1", "b", "2"))).isEqualTo(2);
        assertThat(jedis.hset("h", "a", "10")).isZero();
        assertThat(jedis.hmset("h", Map.of("c", "3"))).isEqualTo("OK");
        assertThat(jedis.hget("h", "a")).isEqualTo("10");
        assertThat(jedis.hget("h", "none")).isNull();
        assertThat(jedis.hget("none", "a")).isNull();
        assertThat(jedis.hmget("h", "a", "none", "c")).containsExactly("10", null, "3");
        assertThat(jedis.hgetAll("h")).containsExactlyInAnyOrderEntriesOf(Map.of("a", "10", "b", "2", "c", "3"));
        assertThat(jedis.hexists("h", "b")).isTrue();
        assertThat(jedis.hexists("h", "z")).isFalse();
        assertThat(jedis.hlen("h")).isEqualTo(3);
        assertThat(jedis.hkeys("h")).containsExactlyInAnyOrder("a", "b", "c");
        assertThat(jedis.hvals("h")).containsExactlyInAnyOrder("10", "2", "3");
        assertThat(jedis.hincrBy("h", "a", 5)).isEqualTo(15);
        assertThat(jedis.hincrBy("h", "new", -2)).isEqualTo(-2);
        ScanResult<Map.Entry<String, String>> page = jedis.hscan("h", "0", new ScanParams().match("[ab]"));
        assertThat(page.getCursor()).isEqualTo("0");
        assertThat(page.getResult()).extracting(Map.Entry::getKey).containsExactlyInAnyOrder("a", "b");
        assertThat(jedis.hdel("h", "a", "b", "none")).isEqualTo(2);
        assertThat(jedis.hdel("h", "c", "new")).isEqualTo(2);
        assertThat(jedis.exists("h")).isFalse(); // gone with its last field
        jedis.hset("h", "f", "text");
        assertError(() -> jedis.hincrBy("h", "f", 1), "ERR hash value is not an integer");
        jedis.set("s", "v");
        assertError(() -> jedis.hget("s", "f"), "WRONGTYPE Operation against a key holding the wrong kind of value");
        assertError(() -> raw("HSET", "h", "f"), "ERR wrong number of arguments for 'hset' command");
    }

    @Test
    void connectionAndServerCommands() {
        assertThat(jedis.ping()).isEqualTo("PONG");
        assertThat(jedis.ping("hi")).isEqualTo("hi");
        assertThat(jedis.echo("hello")).isEqualTo("hello");
        assertThat(jedis.select(0)).isEqualTo("OK");
        assertThat(jedis.clientSetname("tester")).isEqualTo("OK");
        assertThat(jedis.clientGetname()).isEqualTo("tester");
        long id = jedis.clientId();
        assertThat(id).isPositive();
        assertThat(jedis.clientList()).contains("id=" + id + " ").contains("name=tester");
        assertError(() -> jedis.clientSetname("has space"),
                "ERR Client names cannot contain spaces, newlines or special characters.");
        List<String> time = jedis.time();
        assertThat(Long.parseLong(time.get(0))).isCloseTo(System.currentTimeMillis() / 1000, org.assertj.core.data.Offset.offset(5L));
        assertThat(jedis.configGet("maxmemory*")).containsKeys("maxmemory", "maxmemory-policy");
        assertThat(jedis.configGet("timeout")).containsEntry("timeout", "0");
        assertThat(jedis.info("replication")).startsWith("# Replication\r\nrole:master\r\n");
        String all = jedis.info();
        assertThat(all).contains("# Server\r\n", "# Clients\r\n", "# Memory\r\n", "# Stats\r\n", "# Replication\r\n",
                "redis_version:", "connected_clients:", "used_memory:", "total_commands_processed:");
        jedis.set("k", "v");
        assertThat(jedis.info("keyspace")).contains("db0:keys=1,expires=0");
        assertThat(jedis.role()).first().isEqualTo("master");
        Object count = raw("COMMAND", "COUNT");
        assertThat((Long) count).isGreaterThan(60);
        @SuppressWarnings("unchecked")
        List<Object> info = (List<Object>) raw("COMMAND", "INFO", "get");
        @SuppressWarnings("unchecked")
        List<Object> get = (List<Object>) info.get(0);
        assertThat(new String((byte[]) get.get(0), StandardCharsets.UTF_8)).isEqualTo("get");
        assertThat(get.get(1)).isEqualTo(2L);
        long before = jedis.lastsave();
        assertThat(jedis.save()).isEqualTo("OK");
        assertThat(node.dataDir.resolve("dump.rdb")).exists();
        assertThat(jedis.lastsave()).isGreaterThanOrEqualTo(before);
        assertThat(jedis.bgsave()).isEqualTo("Background saving started");
        assertThat(jedis.touch("k", "none")).isEqualTo(1);
        // WAIT with no replicas: none acked, answered at the timeout.
        assertThat(jedis.waitReplicas(1, 50)).isZero();
        assertThat(jedis.waitReplicas(0, 0)).isZero();
    }

    @Test
    void aPipelineOfThousandsGetsEveryReplyInOrder() {
        Pipeline p = jedis.pipelined();
        List<Response<String>> sets = new ArrayList<>();
        List<Response<Long>> incrs = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            sets.add(p.set("p:" + i, "v" + i));
            incrs.add(p.incr("counter"));
        }
        Response<String> wrong = p.get("counter");
        p.sync();
        assertThat(sets).allSatisfy(r -> assertThat(r.get()).isEqualTo("OK"));
        for (int i = 0; i < incrs.size(); i++) {
            assertThat(incrs.get(i).get()).isEqualTo(i + 1L);
        }
        assertThat(wrong.get()).isEqualTo("5000");
        Pipeline reads = jedis.pipelined();
        List<Response<String>> gets = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            gets.add(reads.get("p:" + i));
        }
        reads.sync();
        for (int i = 0; i < gets.size(); i++) {
            assertThat(gets.get(i).get()).isEqualTo("v" + i);
        }
        // The same keys are in the keyspace, binary-safe.
        assertThat(node.node().keyspace().get(Bytes.utf8("p:4999"))).isEqualTo(Bytes.utf8("v4999"));
    }

    @Test
    void binaryValuesAndLimits() {
        byte[] value = new byte[256];
        for (int i = 0; i < value.length; i++) {
            value[i] = (byte) i;
        }
        byte[] key = {0, '\r', '\n', (byte) 0xff};
        jedis.set(key, value);
        assertThat(jedis.get(key)).isEqualTo(value);
        byte[] tooBig = new byte[1024 * 1024 + 1];
        // Over max-value-bytes: Redis's protocol error for a bulk over proto-max-bulk-len, then the close
        // (the client may see the reset of its unfinished write before the reply; RespFuzzTest reads the reply).
        assertThatThrownBy(() -> jedis.set("big".getBytes(StandardCharsets.UTF_8), tooBig))
                .isInstanceOfAny(JedisDataException.class, redis.clients.jedis.exceptions.JedisConnectionException.class);
        try (Jedis fresh = new Jedis("127.0.0.1", node.respPort())) {
            assertThat(fresh.ping()).isEqualTo("PONG");
            assertThat(fresh.exists("big")).isFalse();
        }
    }

    private Object raw(String command, String... args) {
        ProtocolCommand c = () -> command.getBytes(StandardCharsets.UTF_8);
        return jedis.sendCommand(c, args);
    }

    private static void assertError(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String message) {
        assertThatThrownBy(call).isInstanceOf(JedisDataException.class).hasMessageStartingWith(message);
    }
}
