package dev.replcache.node;

import dev.replcache.config.ReplicationProperties.HostPort;
import dev.replcache.keyspace.KeyspaceConfig;
import dev.replcache.keyspace.MillisClock;
import dev.replcache.replication.MasterConfig;
import dev.replcache.replication.ReplicaConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** Nodes without Spring or sockets, on a clock the test moves, with their dump file in a directory. */
final class NodeFixture {

    /** 2026-01-01T00:00:00Z. */
    static final long START_MS = 1_767_225_600_000L;

    private NodeFixture() {
    }

    /** A clock that moves only when the test moves it. */
    static final class Clock implements MillisClock {
        private final AtomicLong now = new AtomicLong(START_MS);

        @Override
        public long millis() {
            return now.get();
        }

        void advance(long ms) {
            now.addAndGet(ms);
        }
    }

    /** A master connector for a replica whose master never answers: the link stays down. */
    static final MasterConnector UNREACHABLE = (master, listener) -> {
        listener.onClosed("unreachable (test)");
        return new MasterConnector.Connection() {
            @Override
            public void send(dev.replcache.replication.ReplicaMessage message) {
            }

            @Override
            public void requestMore() {
            }

            @Override
            public void close(String reason) {
            }
        };
    };

    static final HostPort SOME_MASTER = new HostPort("127.0.0.1", 1);

    static CacheNode node(Path dir, MillisClock clock) {
        CacheNode.Settings settings = new CacheNode.Settings(KeyspaceConfig.DEFAULTS.withSegments(16),
                RequestLimits.DEFAULTS, Duration.ofMillis(100), dir, 1 << 20, MasterConfig.DEFAULTS,
                ReplicaConfig.DEFAULTS, Duration.ofMillis(100), "127.0.0.1:0", CacheNode.WriteGuards.NONE,
                dir.resolve("dump.rdb"), 0);
        return new CacheNode(settings, clock, UNREACHABLE);
    }

    static DumpFile dump(Path dir) {
        return new DumpFile(dir.resolve("dump.rdb"));
    }

    static Persistence persistence(CacheNode node, Path dir, MillisClock clock, Duration keySaveDelay,
                                   Duration shutdownTimeout) {
        return new Persistence(node, dump(dir), new Persistence.Settings(Duration.ZERO, true, shutdownTimeout,
                keySaveDelay, Duration.ofSeconds(1)), clock);
    }

    static Persistence persistence(CacheNode node, Path dir, MillisClock clock) {
        return persistence(node, dir, clock, Duration.ZERO, Duration.ofSeconds(30));
    }
}
