package dev.replcache.transport.grpc;

import dev.replcache.config.GrpcProperties;
import dev.replcache.node.CacheNode;
import dev.replcache.node.Persistence;
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

    @Bean
    public PersistenceGrpcService persistenceGrpcService(Persistence persistence) {
        return new PersistenceGrpcService(persistence);
    }

    /** How a replica reaches its master. Its inbound limit must hold a snapshot chunk or entries batch. */
    @Bean
    public GrpcMasterConnector grpcMasterConnector(GrpcProperties properties) {
        return new GrpcMasterConnector((int) properties.maxInboundMessageSize().toBytes());
    }

    /** The error mapping innermost, then any {@link ServerInterceptor} beans (metrics, auth, tests). */
    private static io.grpc.ServerServiceDefinition intercept(io.grpc.ServerServiceDefinition service,
                                                             List<ServerInterceptor> extra) {
        io.grpc.ServerServiceDefinition def = ServerInterceptors.intercept(service, new GrpcErrorInterceptor());
        return extra.isEmpty() ? def : ServerInterceptors.intercept(def, extra);
    }

    /**
     * @param interceptors    any {@link ServerInterceptor} beans, applied to every service
     * @param tracerFactories any {@link ServerStreamTracer.Factory} beans (metrics, tests)
     */
    @Bean
    public GrpcServerLifecycle grpcServerLifecycle(GrpcProperties properties, CacheNode node,
                                                   CacheGrpcService cacheService,
                                                   ReplicationGrpcService replicationService,
                                                   PersistenceGrpcService persistenceService,
                                                   ObjectProvider<ServerInterceptor> interceptors,
                                                   ObjectProvider<ServerStreamTracer.Factory> tracerFactories) {
        List<ServerInterceptor> extra = interceptors.orderedStream().toList();
        // Writes' responses are held (inline WAIT, throttle) outside the error mapping, so they see its status.
        io.grpc.ServerServiceDefinition cache = ServerInterceptors.intercept(
                ServerInterceptors.intercept(cacheService, new GrpcErrorInterceptor()), new WriteAckInterceptor(node));
        GrpcServerLifecycle lifecycle = new GrpcServerLifecycle(properties,
                List.of(extra.isEmpty() ? cache : ServerInterceptors.intercept(cache, extra),
                        intercept(replicationService.bindService(), extra),
                        intercept(persistenceService.bindService(), extra)),
                tracerFactories.orderedStream().toList());
        lifecycle.setOnListening(port -> node.listeningAt(properties.address() + ":" + port));
        return lifecycle;
    }
}
