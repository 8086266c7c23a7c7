package dev.replcache.transport.grpc;

import dev.replcache.config.BearerToken;
import dev.replcache.config.GrpcProperties;
import dev.replcache.config.ReplicationProperties;
import dev.replcache.node.CacheNode;
import dev.replcache.ops.OperationMetrics;
import dev.replcache.node.Persistence;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerStreamTracer;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.type.AnnotatedTypeMetadata;

/** Wires the gRPC server from {@code replcache.grpc.*} and the node. */
@Configuration(proxyBeanMethods = false)
public class GrpcServerConfiguration {

    private static final Logger log = LoggerFactory.getLogger(GrpcServerConfiguration.class);

    @Bean
    public CacheGrpcService cacheGrpcService(CacheNode node, ObjectProvider<OperationMetrics> metrics) {
        return new CacheGrpcService(node, metrics.getIfAvailable());
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
    public GrpcMasterConnector grpcMasterConnector(GrpcProperties properties, ReplicationProperties replication) {
        // Plaintext, or TLS per replcache.replication.tls.*.
        return new GrpcMasterConnector((int) properties.maxInboundMessageSize().toBytes(),
                GrpcTls.channel(replication.tls()), replication.tls().authority());
    }

    /** How the status page's topology asks replicas for their view. */
    @Bean(destroyMethod = "close")
    public GrpcPeerInfoClient grpcPeerInfoClient() {
        return new GrpcPeerInfoClient();
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

    /**
     * The bearer checks of {@code replcache.grpc.auth-token} and, for role changes, of
     * {@code replcache.replication.admin-token}; present when either is set.
     * Last in order, so it wraps the other interceptors: a call without the token is refused
     * before any other work.
     */
    @Bean
    @Conditional(AuthTokenSet.class)
    @Order(Ordered.LOWEST_PRECEDENCE)
    GrpcBearerAuthInterceptor grpcBearerAuthInterceptor(GrpcProperties grpc, ReplicationProperties replication) {
        if (!grpc.authToken().isEmpty()) {
            warnIfSyncIsOpen(grpc, replication);
        }
        return new GrpcBearerAuthInterceptor(BearerToken.of(grpc.authToken()), BearerToken.of(replication.adminToken()));
    }

    /**
     * The client token does not cover Sync, which streams the whole dataset: an operator who set
     * it most likely means to keep the data in, so say when Sync is still open to anyone.
     */
    private static void warnIfSyncIsOpen(GrpcProperties grpc, ReplicationProperties replication) {
        boolean clientCertificatesRequired = grpc.tls().enabled()
                && grpc.tls().clientAuth() == GrpcProperties.Tls.ClientAuth.REQUIRE;
        if (replication.authToken().isEmpty() && !clientCertificatesRequired) {
            log.warn("replcache.grpc.auth-token is set but replcache.replication.auth-token is empty: any client that"
                    + " reaches the gRPC port can still read the whole dataset over the replication stream (Sync)."
                    + " Set replcache.replication.auth-token, or require client certificates"
                    + " (replcache.grpc.tls.client-auth=require)");
        }
    }

    /** The token property is set to something (the properties record rejects a blank one). */
    static final class AuthTokenSet implements Condition {
        static final String PROPERTY = "replcache.grpc.auth-token";
        static final String ADMIN_PROPERTY = "replcache.replication.admin-token";

        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return !context.getEnvironment().getProperty(PROPERTY, "").isEmpty()
                    || !context.getEnvironment().getProperty(ADMIN_PROPERTY, "").isEmpty();
        }
    }
}
