package dev.replcache.transport.resp;

import dev.replcache.config.BearerToken;
import dev.replcache.config.GrpcProperties;
import dev.replcache.config.ReplcacheProperties;
import dev.replcache.config.ReplicationProperties;
import dev.replcache.config.RespProperties;
import dev.replcache.node.CacheNode;
import dev.replcache.node.Persistence;
import dev.replcache.ops.OperationMetrics;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Wires the RESP server from {@code replcache.resp.*} and the node. Its password is the HTTP
 * API's bearer token ({@code replcache.http.auth-token}): one secret for the client APIs.
 */
@Configuration(proxyBeanMethods = false)
public class RespServerConfiguration {

    private static final LongSupplier WALL_CLOCK_MS = System::currentTimeMillis;

    @Bean
    RespServer respServer(RespProperties resp, GrpcProperties grpc, Environment env, ReplcacheProperties props,
                          ReplicationProperties repl, CacheNode node, Persistence persistence,
                          ObjectProvider<OperationMetrics> metrics) {
        RespClients clients = new RespClients();
        int configured = resp.port();
        RespInfo info = new RespInfo(node, persistence, clients, config(resp, props, repl, persistence), () -> {
            int p = node.respPort();
            return p != 0 ? p : configured;
        }, WALL_CLOCK_MS);
        RespCommands commands = new RespCommands(node, persistence, BearerToken.of(BearerToken.normalize(
                env.getProperty("replcache.http.auth-token", ""), "replcache.http.auth-token")),
                BearerToken.of(repl.adminToken()), clients, info, WALL_CLOCK_MS);
        return new RespServer(resp, grpc.tls(), node, commands, clients, metrics.getIfAvailable(), WALL_CLOCK_MS);
    }

    /** What CONFIG GET answers: Redis's names for the settings clients and tools read. */
    private static Map<String, String> config(RespProperties resp, ReplcacheProperties props, ReplicationProperties repl,
                                              Persistence persistence) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("port", Integer.toString(resp.port()));
        c.put("bind", resp.address());
        c.put("databases", "1");
        c.put("maxmemory", Long.toString(props.maxMemory().toBytes()));
        c.put("maxmemory-policy", props.evictionPolicy().redisName());
        c.put("maxmemory-samples", Integer.toString(props.keyspace().evictionSamples()));
        c.put("maxclients", Integer.toString(resp.maxclients()));
        c.put("timeout", Long.toString(resp.timeout().toSeconds()));
        c.put("proto-max-bulk-len", Long.toString(resp.protoMaxBulkLen().toBytes()));
        c.put("client-query-buffer-limit", Long.toString(resp.clientQueryBufferLimit().toBytes()));
        c.put("io-threads", Integer.toString(resp.ioThreads()));
        c.put("appendonly", "no");
        long intervalS = persistence.status().intervalMs() / 1000;
        c.put("save", intervalS > 0 ? intervalS + " 1" : "");
        c.put("replica-read-only", "yes");
        c.put("slave-read-only", "yes");
        c.put("min-replicas-to-write", Integer.toString(repl.minReplicasToWrite()));
        c.put("min-slaves-to-write", Integer.toString(repl.minReplicasToWrite()));
        c.put("min-replicas-max-lag", Long.toString(repl.minReplicasMaxLag().toSeconds()));
        c.put("min-slaves-max-lag", Long.toString(repl.minReplicasMaxLag().toSeconds()));
        c.put("repl-backlog-size", Long.toString(repl.backlogSize().toBytes()));
        c.put("notify-keyspace-events", "");
        c.put("cluster-enabled", "no");
        return c;
    }
}
