package dev.replcache.node;

import dev.replcache.config.GrpcProperties;
import dev.replcache.config.ReplcacheProperties;
import dev.replcache.config.ReplicationProperties;
import dev.replcache.config.SnapshotProperties;
import dev.replcache.keyspace.KeyspaceConfig;
import dev.replcache.keyspace.MillisClock;
import dev.replcache.replication.MasterConfig;
import dev.replcache.replication.ReplicaConfig;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the node from its properties. The system clock enters the core here, and only here. */
@Configuration(proxyBeanMethods = false)
public class NodeConfiguration {

    private static final MillisClock SYSTEM_CLOCK = System::currentTimeMillis;
    /** Elapsed time for timeouts and lag: never steps back when the wall clock is set. */
    private static final MillisClock MONOTONIC_CLOCK = () -> System.nanoTime() / 1_000_000;

    /** The node's dump file: {@code replcache.snapshot.file} in {@code replcache.data-dir}. */
    @Bean
    DumpFile dumpFile(ReplcacheProperties props, SnapshotProperties snapshot) {
        return new DumpFile(props.dataDir().resolve(snapshot.file()), snapshot.allowNoChecksum());
    }

    /**
     * The node, with its dump file loaded (if there is one) before it starts: nothing is served
     * until the data is in, and a corrupt file fails the start (see {@link Persistence#restore}).
     */
    @Bean(initMethod = "start", destroyMethod = "close")
    public CacheNode cacheNode(ReplcacheProperties props, ReplicationProperties repl, GrpcProperties grpc,
                               SnapshotProperties snapshot, dev.replcache.config.RespProperties resp, DumpFile dumpFile,
                               MasterConnector connector) {
        createDataDir(props.dataDir());
        KeyspaceConfig keyspaceConfig = new KeyspaceConfig(
                props.keyspace().segments(),
                props.maxMemory().toBytes(),
                props.evictionPolicy(),
                props.keyspace().evictionSamples(),
                props.expiry().keysPerLoop(),
                props.expiry().maxLoops());
        RequestLimits limits = new RequestLimits(
                (int) props.limits().maxKeyBytes().toBytes(),
                (int) props.limits().maxValueBytes().toBytes(),
                props.limits().maxBatchKeys());
        MasterConfig masterConfig = new MasterConfig((int) repl.snapshotChunkSize().toBytes(),
                (int) repl.entriesBatchSize().toBytes(), repl.timeout().toMillis(), repl.pingInterval().toMillis(),
                (int) repl.syncBufferLimit().toBytes(), repl.slowReplica().toPolicy(), repl.handshakeTimeout().toMillis(),
                repl.maxReplicas(), (int) repl.maxHelloFieldSize().toBytes());
        ReplicaConfig replicaConfig = new ReplicaConfig(repl.ackInterval().toMillis(), repl.timeout().toMillis(),
                repl.reconnectMinDelay().toMillis(), repl.reconnectMaxDelay().toMillis(),
                (int) repl.maxFrameSize().toBytes(), repl.authToken(), repl.allowEmptyResync(),
                repl.minResyncKeysRatio(), repl.allowRewindingResync());
        // With gRPC on any free port (0), the address is known once the server listens: null until then.
        String announce = !repl.announceAddress().isEmpty() ? repl.announceAddress()
                : grpc.port() == 0 ? null : grpc.address() + ":" + grpc.port();
        CacheNode.Settings settings = new CacheNode.Settings(keyspaceConfig, limits, props.expiry().cycleInterval(),
                props.dataDir(), (int) repl.backlogSize().toBytes(), masterConfig, replicaConfig,
                repl.tickInterval(), announce, new CacheNode.WriteGuards(repl.minReplicasToWrite(),
                        repl.minReplicasMaxLag(), repl.maxWaitTimeout(), repl.failoverTimeout(), repl.failoverMaxTimeout()),
                dumpFile.path(), snapshot.maxLoadMemory().toBytes());
        CacheNode node = new CacheNode(settings, SYSTEM_CLOCK, MONOTONIC_CLOCK, connector);
        boolean replica = !repl.master().isEmpty();
        Persistence.Restored restored = Persistence.restore(node, dumpFile, replica, snapshot.ignoreCorrupt(), SYSTEM_CLOCK);
        // Known before the link's first Hello, so the master lists this replica at its RESP port.
        node.respListeningAt(resp.port());
        if (replica) {
            // With a loaded file the replica offers its (replId, offset) for a partial resync; a
            // node starting empty has no history to offer: it asks with '?' (Redis's first sync).
            node.replicaOf(ReplicationProperties.HostPort.parse(repl.master(), "replcache.replication.master"),
                    restored.hasHistory());
        }
        return node;
    }

    @Bean(destroyMethod = "close")
    public Persistence persistence(CacheNode node, DumpFile dumpFile, SnapshotProperties snapshot,
                                   ReplicationProperties repl) {
        return new Persistence(node, dumpFile, new Persistence.Settings(snapshot.interval(), snapshot.onShutdown(),
                snapshot.shutdownTimeout(), snapshot.keySaveDelay(), repl.shutdownTimeout()), SYSTEM_CLOCK);
    }

    @Bean
    PersistenceLifecycle persistenceLifecycle(Persistence persistence, ApplicationContext context) {
        return new PersistenceLifecycle(persistence, context);
    }

    /**
     * The data directory exists from the start: the disk-space health check watches it
     * ({@code management.health.diskspace.path}), and a directory that cannot be made stops the
     * start, naming it, rather than the first save or full sync.
     */
    private static void createDataDir(java.nio.file.Path dir) {
        try {
            java.nio.file.Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot create the data directory " + dir.toAbsolutePath()
                    + " (replcache.data-dir): " + e, e);
        }
    }
}
