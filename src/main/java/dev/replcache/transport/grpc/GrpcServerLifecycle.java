package dev.replcache.transport.grpc;

import dev.replcache.config.GrpcProperties;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServerStreamTracer;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * The node's gRPC server: the application services plus {@code grpc.health.v1.Health} and
 * server reflection v1, so that grpcurl and Kubernetes gRPC probes work.
 *
 * <p>Spring starts it after the other beans (phase {@link SmartLifecycle#DEFAULT_PHASE}: no
 * traffic before everything is up) and stops it first (no traffic while beans go away). At
 * stop, health turns NOT_SERVING, new calls are refused, in-flight calls get
 * {@code replcache.grpc.shutdown-grace-period} to finish, and the rest are cancelled.
 */
public final class GrpcServerLifecycle implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(GrpcServerLifecycle.class);

    /** After the grace period: how long cancelled calls get to unwind and the port to close. */
    private static final Duration FORCED_SHUTDOWN_WAIT = Duration.ofSeconds(5);

    private final GrpcProperties properties;
    private final List<ServerServiceDefinition> services;
    private final List<ServerStreamTracer.Factory> tracerFactories;

    private volatile java.util.function.IntConsumer onListening = port -> { };

    // Guarded by this.
    private Server server;
    private HealthStatusManager health;

    /**
     * @param services        the application services, with their interceptors applied
     * @param tracerFactories stream tracers (metrics, tests), in order
     */
    public GrpcServerLifecycle(GrpcProperties properties, List<ServerServiceDefinition> services,
                               List<ServerStreamTracer.Factory> tracerFactories) {
        this.properties = Objects.requireNonNull(properties, "properties");
        this.services = List.copyOf(services);
        this.tracerFactories = List.copyOf(tracerFactories);
    }

    @Override
    public synchronized void start() {
        if (server != null) {
            return;
        }
        // A fresh manager per start: enterTerminalState() at stop is final.
        HealthStatusManager newHealth = new HealthStatusManager();
        NettyServerBuilder builder = NettyServerBuilder
                .forAddress(new InetSocketAddress(properties.address(), properties.port()), GrpcTls.server(properties.tls()))
                .maxInboundMessageSize((int) properties.maxInboundMessageSize().toBytes())
                // Every service parses its requests under the guard: a malformed one is INVALID_ARGUMENT.
                .addService(MalformedRequestGuard.guard(newHealth.getHealthService().bindService()))
                .addService(MalformedRequestGuard.guard(ProtoReflectionServiceV1.newInstance().bindService()));
        if (properties.executor() == GrpcProperties.Executor.DIRECT) {
            // Commands are short in-memory operations: running them on the network thread saves
            // the per-call hand-off to a pool, which the benchmark measured at half the server's
            // CPU (futex wake/wait per call). Replication sending has its own threads.
            builder.directExecutor();
        }
        services.forEach(service -> builder.addService(MalformedRequestGuard.guard(service)));
        tracerFactories.forEach(builder::addStreamTracerFactory);
        Server newServer = builder.build();
        try {
            newServer.start();
        } catch (IOException e) {
            throw new IllegalStateException("gRPC server could not listen on " + properties.address() + ":"
                    + properties.port() + " (replcache.grpc.address, replcache.grpc.port): " + e.getMessage()
                    + (e.getCause() != null ? " (" + e.getCause().getMessage() + ")" : ""), e);
        }
        server = newServer;
        health = newHealth;
        onListening.accept(newServer.getPort());
        for (ServerServiceDefinition service : services) {
            newHealth.setStatus(service.getServiceDescriptor().getName(), ServingStatus.SERVING);
        }
        newHealth.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
        log.info("gRPC server listening on {}:{} ({}; services: {}, max inbound message {} bytes)",
                properties.address(), newServer.getPort(), describeSecurity(),
                services.stream().map(s -> s.getServiceDescriptor().getName()).toList(),
                properties.maxInboundMessageSize().toBytes());
    }

    /** Told the bound port after each start (port 0 = any free port: the node announces the real one). */
    public void setOnListening(java.util.function.IntConsumer listener) {
        this.onListening = Objects.requireNonNull(listener, "listener");
    }

    @Override
    public void stop() {
        Server stopping;
        HealthStatusManager stoppingHealth;
        synchronized (this) {
            stopping = server;
            stoppingHealth = health;
            server = null;
            health = null;
        }
        if (stopping == null) {
            return;
        }
        int port = stopping.getPort();
        // Watchers learn first, then new calls are refused; in-flight calls go on.
        stoppingHealth.enterTerminalState();
        stopping.shutdown();
        Duration grace = properties.shutdownGracePeriod();
        try {
            if (!stopping.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("gRPC calls still running after the grace period of {} (replcache.grpc.shutdown-grace-period); "
                        + "cancelling them", grace);
                stopping.shutdownNow();
                if (!stopping.awaitTermination(FORCED_SHUTDOWN_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                    log.warn("gRPC server on port {} did not terminate within {} after cancelling its calls",
                            port, FORCED_SHUTDOWN_WAIT);
                }
            }
        } catch (InterruptedException e) {
            stopping.shutdownNow();
            Thread.currentThread().interrupt();
        }
        log.info("gRPC server on port {} stopped", port);
    }

    @Override
    public synchronized boolean isRunning() {
        return server != null;
    }

    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE;
    }

    /**
     * The port the server listens on: the configured one, or the one the system chose for
     * {@code replcache.grpc.port=0}.
     *
     * @throws IllegalStateException when the server is not running
     */
    public synchronized int getPort() {
        if (server == null) {
            throw new IllegalStateException("gRPC server is not running");
        }
        return server.getPort();
    }

    /** How the server is secured, for its start message. */
    private String describeSecurity() {
        GrpcProperties.Tls tls = properties.tls();
        String transport = !tls.enabled() ? "plaintext"
                : "TLS, client certificates: " + tls.clientAuth().name().toLowerCase(Locale.ROOT);
        return transport + (properties.authToken().isEmpty() ? "" : ", bearer token required");
    }
}
