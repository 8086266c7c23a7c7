package dev.replcache.transport.resp;

import dev.replcache.config.GrpcProperties;
import dev.replcache.config.PemFiles;
import dev.replcache.config.RespProperties;
import dev.replcache.node.CacheNode;
import dev.replcache.ops.OperationMetrics;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.File;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * The Redis protocol server on Netty ({@code replcache.resp.*}). Started with the gRPC server,
 * after every other bean (phase {@link SmartLifecycle#DEFAULT_PHASE}), and stopped with it: by
 * then the node refuses writes (the shutdown's first step), the listening socket closes, open
 * connections get {@code shutdown-grace-period} to get their replies out, and are closed.
 */
public final class RespServer implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(RespServer.class);

    private final RespProperties properties;
    private final GrpcProperties.Tls tls;
    private final CacheNode node;
    private final RespCommands commands;
    private final RespClients clients;
    private final OperationMetrics metrics;
    private final LongSupplier wallClockMs;

    // Guarded by this.
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private Channel listening;
    private ChannelGroup connections;
    private volatile int port;

    RespServer(RespProperties properties, GrpcProperties.Tls tls, CacheNode node, RespCommands commands,
               RespClients clients, OperationMetrics metrics, LongSupplier wallClockMs) {
        this.properties = Objects.requireNonNull(properties, "properties");
        this.tls = tls;
        this.node = node;
        this.commands = commands;
        this.clients = clients;
        this.metrics = metrics;
        this.wallClockMs = wallClockMs;
    }

    @Override
    public synchronized void start() {
        if (listening != null || properties.port() == 0) {
            if (properties.port() == 0) {
                log.info("RESP server off (replcache.resp.port=0)");
            }
            return;
        }
        SslContext ssl = properties.tls() ? sslContext(tls) : null;
        int maxBulk = (int) Math.min(properties.protoMaxBulkLen().toBytes(),
                Math.max(node.limits().maxKeyBytes(), node.limits().maxValueBytes()));
        long queryLimit = properties.clientQueryBufferLimit().toBytes();
        long idleMs = properties.timeout().toMillis();
        ChannelHandler inputCounter = new InputCounter(clients);
        // Netty's native epoll transport where it loads (Linux x86-64): fewer system calls and
        // less garbage per request than NIO's selector.
        boolean epoll = Epoll.isAvailable();
        Class<? extends ServerChannel> channelType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("resp-accept", true), ioHandler(epoll));
        // One event loop per CPU by default: on 2 cores, Netty's default of two per CPU measured
        // 25% fewer SETs/s with 16 in flight (more threads contending for the keyspace's write lock).
        int threads = properties.ioThreads() > 0 ? properties.ioThreads() : Runtime.getRuntime().availableProcessors();
        workers = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("resp-io", true), ioHandler(epoll));
        connections = new DefaultChannelGroup("resp", GlobalEventExecutor.INSTANCE);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channel(channelType)
                .option(ChannelOption.SO_BACKLOG, 511) // Redis's tcp-backlog
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.add(ch);
                        if (ssl != null) {
                            ch.pipeline().addLast("tls", ssl.newHandler(ch.alloc()));
                        }
                        if (idleMs > 0) {
                            ch.pipeline().addLast("idle", new IdleStateHandler(0, 0, idleMs, TimeUnit.MILLISECONDS));
                        }
                        RespConnection connection = new RespConnection(commands, clients, node, metrics,
                                properties.maxclients(), wallClockMs);
                        ch.pipeline().addLast("count", inputCounter);
                        ch.pipeline().addLast("decoder", new RespDecoder(maxBulk, properties.maxMultibulkLen(), queryLimit,
                                connection::authenticated));
                        ch.pipeline().addLast("connection", connection);
                    }
                });
        try {
            listening = bootstrap.bind(new InetSocketAddress(properties.address(), properties.port())).sync().channel();
        } catch (Exception e) {
            shutdownGroups();
            throw new IllegalStateException("RESP server could not listen on " + properties.address() + ":"
                    + properties.port() + " (replcache.resp.address, replcache.resp.port): " + e.getMessage(), e);
        }
        port = ((InetSocketAddress) listening.localAddress()).getPort();
        node.respListeningAt(port);
        log.info("RESP server listening on {}:{} ({}{}, proto-max-bulk-len {} bytes, timeout {}, {} x {})",
                properties.address(), port, ssl == null ? "plaintext" : "TLS",
                commands.passwordRequired() ? ", password required" : "", maxBulk,
                properties.timeout().isZero() ? "none" : properties.timeout(), threads, epoll ? "epoll" : "nio");
    }

    private static IoHandlerFactory ioHandler(boolean epoll) {
        return epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    }

    private static SslContext sslContext(GrpcProperties.Tls tls) {
        String prefix = "replcache.grpc.tls.";
        if (tls.certChain().isEmpty() || tls.privateKey().isEmpty()) {
            throw new IllegalStateException("replcache.resp.tls=true needs " + prefix + "cert-chain and " + prefix
                    + "private-key (PEM files)");
        }
        PemFiles.requireKeyPair(prefix, Path.of(tls.certChain()), Path.of(tls.privateKey()));
        try {
            SslContextBuilder b = SslContextBuilder.forServer(new File(tls.certChain()), new File(tls.privateKey()));
            if (!tls.trustCerts().isEmpty()) {
                b.trustManager(new File(tls.trustCerts()));
            }
            b.clientAuth(switch (tls.clientAuth()) {
                case NONE -> ClientAuth.NONE;
                case OPTIONAL -> ClientAuth.OPTIONAL;
                case REQUIRE -> ClientAuth.REQUIRE;
            });
            return b.build();
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the TLS files of " + prefix + "cert-chain / " + prefix
                    + "private-key for the RESP server: " + e, e);
        }
    }

    @Override
    public void stop() {
        Channel closing;
        ChannelGroup open;
        synchronized (this) {
            closing = listening;
            open = connections;
            listening = null;
        }
        if (closing == null) {
            return;
        }
        closing.close().awaitUninterruptibly();
        long graceMs = properties.shutdownGracePeriod().toMillis();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(graceMs);
        // Clients that are done leave by themselves (QUIT); give the rest the grace period.
        while (!open.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        open.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        synchronized (this) {
            shutdownGroups();
        }
        node.respListeningAt(0);
        log.info("RESP server on port {} stopped", port);
        port = 0;
    }

    private void shutdownGroups() {
        if (boss != null) {
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            boss.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
            workers.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
            boss = null;
            workers = null;
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return listening != null;
    }

    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE;
    }

    /** The port the server listens on, 0 when it does not. */
    public int getPort() {
        return port;
    }

    /** Bytes received, for INFO's total_net_input_bytes. */
    @ChannelHandler.Sharable
    private static final class InputCounter extends ChannelInboundHandlerAdapter {
        private final RespClients clients;

        InputCounter(RespClients clients) {
            this.clients = clients;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf b) {
                clients.netInputBytes.add(b.readableBytes());
            }
            ctx.fireChannelRead(msg);
        }
    }
}
