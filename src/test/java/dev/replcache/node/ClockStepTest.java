package dev.replcache.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.replcache.keyspace.Bytes;
import dev.replcache.keyspace.KeyspaceConfig;
import dev.replcache.replication.MasterConfig;
import dev.replcache.replication.ReplicaConfig;
import dev.replcache.replication.ReplicaMessage;
import dev.replcache.replication.ReplicaSession;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11 row 8: the wall clock drove min-replicas-max-lag (and every replication timeout), so
 * setting it back an hour kept a replica that had stopped acking "good" for that hour. The
 * node's replication runs on a monotonic clock; TTLs stay on the wall clock.
 */
class ClockStepTest {

    @TempDir
    Path dir;

    private final NodeFixture.Clock wall = new NodeFixture.Clock();
    private final NodeFixture.Clock monotonic = new NodeFixture.Clock();
    private CacheNode node;

    @AfterEach
    void close() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void aWallClockStepBackDoesNotKeepASilentReplicaGood() {
        CacheNode.Settings settings = new CacheNode.Settings(KeyspaceConfig.DEFAULTS.withSegments(16),
                RequestLimits.DEFAULTS, Duration.ofMillis(100), dir, 1 << 20, MasterConfig.DEFAULTS,
                ReplicaConfig.DEFAULTS, Duration.ofMillis(100), "127.0.0.1:0",
                new CacheNode.WriteGuards(1, Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(10),
                        Duration.ofSeconds(60)),
                dir.resolve("dump.rdb"), 0);
        node = new CacheNode(settings, wall, monotonic, NodeFixture.UNREACHABLE);
        // A replica continues at our offset and acks it.
        ReplicaSession s = node.master().open("s");
        long offset = node.replicationLog().offset();
        node.master().onMessage(s, new ReplicaMessage.Hello("r1", "127.0.0.1:1", ""));
        node.master().onMessage(s, new ReplicaMessage.Psync(node.replicationLog().replId(), offset));
        node.master().onMessage(s, new ReplicaMessage.Ack(offset));
        node.writableKeyspace().set(Bytes.utf8("k"), Bytes.utf8("v")); // one good replica: writes go

        // It goes silent; 11 s pass, and meanwhile the wall clock is set back an hour.
        monotonic.advance(11_000);
        wall.advance(-3_600_000);

        assertThatThrownBy(node::writableKeyspace).isInstanceOf(NotEnoughReplicasException.class);
    }
}
