package dev.replcache.ops;

import dev.replcache.config.OpsProperties;
import dev.replcache.node.CacheNode;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * Wires the operator views: health contributors (the bean names give {@code replication} and
 * {@code replicationReadiness}), the {@code replication} actuator endpoint, the
 * {@code replcache.*} meters with the operation timers of both transports, the replication
 * history sampler and the topology.
 */
@Configuration(proxyBeanMethods = false)
public class OpsConfiguration implements WebMvcConfigurer {

    private final OperationMetrics operationMetrics;

    OpsConfiguration(MeterRegistry registry) {
        this.operationMetrics = new OperationMetrics(registry);
    }

    @Bean
    OperationMetrics operationMetrics() {
        return operationMetrics;
    }

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(new HttpOperationInterceptor(operationMetrics));
    }

    /** Picked up by the gRPC server configuration, which applies every ServerInterceptor bean. */
    @Bean
    GrpcOperationInterceptor grpcOperationInterceptor() {
        return new GrpcOperationInterceptor(operationMetrics);
    }

    @Bean
    ReplicationHealthIndicator replicationHealthIndicator(CacheNode node) {
        return new ReplicationHealthIndicator(node);
    }

    @Bean
    ReplicationReadinessIndicator replicationReadinessHealthIndicator(CacheNode node) {
        return new ReplicationReadinessIndicator(node::masterLink);
    }

    @Bean
    ReplicationEndpoint replicationEndpoint(CacheNode node) {
        return new ReplicationEndpoint(node);
    }

    @Bean
    ReplCacheMetrics replCacheMetrics(CacheNode node) {
        return new ReplCacheMetrics(node);
    }

    @Bean
    ReplicaGauges replicaGauges(CacheNode node, MeterRegistry registry) {
        return new ReplicaGauges(node, registry);
    }

    @Bean(initMethod = "start", destroyMethod = "close")
    ReplicationHistory replicationHistory(CacheNode node, ReplicaGauges gauges, OpsProperties props) {
        return new ReplicationHistory(node, gauges, Clock.systemUTC(), props.historyInterval().toMillis(),
                props.historySamples());
    }

    @Bean
    Topology topology(CacheNode node, PeerInfoClient client, OpsProperties props) {
        return new Topology(node, client, props.topologyTimeout(), props.topologyDepth());
    }
}
