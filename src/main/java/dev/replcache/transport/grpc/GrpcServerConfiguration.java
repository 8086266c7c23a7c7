package dev.replcache.transport.grpc;

import dev.replcache.config.GrpcProperties;
import dev.replcache.node.CacheNode;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerStreamTracer;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the gRPC server from {@code replcache.grpc.*} and the node. */
@Configuration(proxyBeanMethods = false)
public class GrpcServerConfiguration {

    @Bean
    public CacheGrpcService cacheGrpcService(CacheNode node) {
        return new CacheGrpcService(node);
    }

    @Bean(destroyMethod = "shutdown")
    public ReplicationGrpcService replicationGrpcService(CacheNode node) {
        return new ReplicationGrpcService(node);
    }

    /** How a replica reaches its master. Its inbound limit must hold a snapshot chunk or entries batch. */
    @Bean
    public GrpcMasterConnector grpcMasterConnector(GrpcProperties properties) {
        return new GrpcMasterConnector((int) properties.maxInboundMessageSize().toBytes());
    }

    /** How the status page's topology asks replicas for their view. */
    @Bean(destroyMethod = "close")
    public GrpcPeerInfoClient grpcPeerInfoClient() {
        return new GrpcPeerInfoClient();
    }

    /** The error mapping innermost, then any {@link ServerInterceptor} beans (metrics, auth, tests). */
    private static io.grpc.ServerServiceDefinition intercept(io.grpc.BindableService service, List<ServerInterceptor> extra) {
        io.grpc.ServerServiceDefinition def = ServerInterceptors.intercept(service, new GrpcErrorInterceptor());
        return extra.isEmpty() ? def : ServerInterceptors.intercept(def, extra);
    }

    /**
     * @param interceptors    any {@link ServerInterceptor} beans, applied to every service
     * @param tracerFactories any {@link ServerStreamTracer.Factory} beans (metrics, tests)
     */
    @Bean
    public GrpcServerLifecycle grpcServerLifecycle(GrpcProperties properties, CacheGrpcService cacheService,
                                                   ReplicationGrpcService replicationService,
                                                   ObjectProvider<ServerInterceptor> interceptors,
                                                   ObjectProvider<ServerStreamTracer.Factory> tracerFactories) {
        List<ServerInterceptor> extra = interceptors.orderedStream().toList();
        return new GrpcServerLifecycle(properties,
                List.of(intercept(cacheService, extra), intercept(replicationService, extra)),
                tracerFactories.orderedStream().toList());
    }
}
