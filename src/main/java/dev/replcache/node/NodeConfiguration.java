package dev.replcache.node;

import dev.replcache.config.GrpcProperties;
import dev.replcache.config.ReplcacheProperties;
import dev.replcache.config.ReplicationProperties;
import dev.replcache.keyspace.KeyspaceConfig;
import dev.replcache.replication.MasterConfig;
import dev.replcache.replication.ReplicaConfig;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the node from its properties. The system clock enters the core here, and only here. */
@Configuration(proxyBeanMethods = false)
public class NodeConfiguration {

    @Bean(initMethod = "start", destroyMethod = "close")
    public CacheNode cacheNode(ReplcacheProperties props, ReplicationProperties repl, GrpcProperties grpc,
                               MasterConnector connector) {
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
                (int) repl.syncBufferLimit().toBytes(), repl.slowReplica().toPolicy());
        ReplicaConfig replicaConfig = new ReplicaConfig(repl.ackInterval().toMillis(), repl.timeout().toMillis(),
                repl.reconnectMinDelay().toMillis(), repl.reconnectMaxDelay().toMillis(),
                (int) repl.maxFrameSize().toBytes(), repl.authToken(), repl.allowEmptyResync());
        // With gRPC on any free port (0), the address is known once the server listens: null until then.
        String announce = !repl.announceAddress().isEmpty() ? repl.announceAddress()
                : grpc.port() == 0 ? null : grpc.address() + ":" + grpc.port();
        CacheNode.Settings settings = new CacheNode.Settings(keyspaceConfig, limits, props.expiry().cycleInterval(),
                props.dataDir(), (int) repl.backlogSize().toBytes(), masterConfig, replicaConfig,
                repl.tickInterval(), announce, new CacheNode.WriteGuards(repl.minReplicasToWrite(),
                        repl.minReplicasMaxLag(), repl.maxWaitTimeout(), repl.failoverTimeout()));
        CacheNode node = new CacheNode(settings, System::currentTimeMillis, connector);
        if (!repl.master().isEmpty()) {
            // A node starting empty has no history to offer: it asks with '?' (Redis's first sync).
            node.replicaOf(ReplicationProperties.HostPort.parse(repl.master(), "replcache.replication.master"), false);
        }
        return node;
    }
}
