package dev.replcache.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * A clean shutdown as on the other ports: writes are refused first (reads still answered) while
 * connections stay up for the grace period, then the port closes and the node stops.
 */
class RespShutdownTest {

    @TempDir
    Path tmp;

    @Test
    void writesAreRefusedBeforeThePortClosesAndThenItIsClosed() throws Exception {
        int port = TestNode.freePort();
        TestNode node = TestNode.start("stopping", tmp.resolve("n"), "replcache.resp.port=" + port,
                "replcache.resp.shutdown-grace-period=5s");
        try (Jedis jedis = new Jedis("127.0.0.1", port)) {
            assertThat(jedis.set("k", "v")).isEqualTo("OK");
            CompletableFuture<Void> closing = CompletableFuture.runAsync(node::close);
            String refusal = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (refusal == null && System.nanoTime() < deadline) {
                try {
                    jedis.set("k", "w");
                } catch (JedisDataException e) {
                    refusal = e.getMessage();
                }
            }
            assertThat(refusal).isEqualTo("ERR the node is shutting down and accepts no more writes");
            assertThat(jedis.get("k")).isIn("v", "w"); // the last accepted write; reads are still served in the grace period
            closing.get(60, TimeUnit.SECONDS);
            try {
                jedis.ping();
                throw new AssertionError("the connection should be closed after the grace period");
            } catch (JedisConnectionException expected) {
                // closed by the server
            }
        }
        try (Socket s = new Socket()) {
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 2_000);
            throw new AssertionError("the RESP port should be closed");
        } catch (java.io.IOException expected) {
            assertThat(expected).isInstanceOf(java.net.ConnectException.class);
        }
    }
}
