package dev.replcache.e2e;

import dev.replcache.ReplCacheApplication;
import dev.replcache.node.CacheNode;
import dev.replcache.transport.grpc.GrpcServerLifecycle;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.TypeExcludeFilter;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.type.classreading.MetadataReader;
import org.springframework.core.type.classreading.MetadataReaderFactory;

/**
 * One ReplCache node for end-to-end tests: a whole Spring application on real ports (HTTP and
 * gRPC on 127.0.0.1, any free port) with its own data directory. Several of them in one JVM are
 * separate nodes that talk only over their sockets.
 */
public final class TestNode implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final String name;
    final Path dataDir;
    private final List<String> properties;
    private final Object[] extraBeans;
    private ConfigurableApplicationContext context;
    private int fixedGrpcPort;

    private TestNode(String name, Path dataDir, List<String> properties, Object[] extraBeans) {
        this.name = name;
        this.dataDir = dataDir;
        this.properties = properties;
        this.extraBeans = extraBeans;
    }

    public static TestNode start(String name, Path dataDir, String... extra) {
        return start(name, dataDir, new Object[0], extra);
    }

    /** A node on a gRPC port chosen beforehand (its replicas can be pointed at it before it runs). */
    public static TestNode start(String name, Path dataDir, int grpcPort, String... extra) {
        String[] all = java.util.Arrays.copyOf(extra, extra.length + 1);
        all[extra.length] = "replcache.grpc.port=" + grpcPort;
        return start(name, dataDir, new Object[0], all);
    }

    /** A free TCP port on this machine now. */
    public static int freePort() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * A node with extra beans (fault injection), registered by an initializer rather than by
     * scanning, so that no other test's context picks them up.
     */
    public static TestNode start(String name, Path dataDir, Object[] beans, String... extra) {
        TestNode n = new TestNode(name, dataDir, settings(dataDir, extra), beans);
        n.boot();
        return n;
    }

    /** A test node's settings: quick timers, loopback only, RESP off; {@code extra} replaces by name. */
    static List<String> settings(Path dataDir, String... extra) {
        List<String> props = new ArrayList<>(List.of(
                "server.port=0",
                "server.address=127.0.0.1",
                "replcache.grpc.port=0",
                "replcache.grpc.address=127.0.0.1",
                "replcache.grpc.shutdown-grace-period=1s",
                "replcache.resp.port=0", // off unless a test asks: never Redis's 6379
                "replcache.resp.address=127.0.0.1",
                "replcache.data-dir=" + dataDir,
                "replcache.replication.tick-interval=20ms",
                "replcache.replication.ping-interval=200ms",
                "replcache.replication.ack-interval=200ms",
                "replcache.ops.history-interval=200ms",
                "replcache.replication.reconnect-min-delay=20ms",
                "replcache.replication.reconnect-max-delay=500ms",
                "spring.main.banner-mode=off"));
        for (String e : extra) { // an extra setting replaces the default of the same name
            String key = e.substring(0, e.indexOf('=') + 1);
            props.removeIf(existing -> existing.startsWith(key));
            props.add(e);
        }
        return props;
    }

    private void boot() {
        List<String> props = new ArrayList<>(properties);
        if (fixedGrpcPort != 0) {
            props.removeIf(p -> p.startsWith("replcache.grpc.port="));
            props.add("replcache.grpc.port=" + fixedGrpcPort);
        }
        // Command-line arguments, so they override application.yml (builder properties would not).
        context = new SpringApplicationBuilder(ReplCacheApplication.class)
                .initializers(ctx -> {
                    // Other test classes' nested components (a failing controller, a properties
                    // test's configuration) must not be scanned into these nodes.
                    ctx.getBeanFactory().registerSingleton("excludeTestComponents", new TypeExcludeFilter() {
                        @Override
                        public boolean match(MetadataReader reader, MetadataReaderFactory factory) {
                            return reader.getClassMetadata().getClassName().contains("Test$");
                        }

                        @Override
                        public boolean equals(Object o) {
                            return o == this;
                        }

                        @Override
                        public int hashCode() {
                            return System.identityHashCode(this);
                        }
                    });
                    for (int i = 0; i < extraBeans.length; i++) {
                        ctx.getBeanFactory().registerSingleton("testBean" + i, extraBeans[i]);
                    }
                })
                .run(props.stream().map(p -> "--" + p).toArray(String[]::new));
    }

    /** Stops and starts again on the same gRPC port (replicas keep pointing at it), with no data. */
    public void restart() {
        fixedGrpcPort = grpcPort();
        context.close();
        boot();
    }

    public CacheNode node() {
        return context.getBean(CacheNode.class);
    }

    public int grpcPort() {
        return context.getBean(GrpcServerLifecycle.class).getPort();
    }

    /** The RESP port (0 when the node runs without a RESP server). */
    public int respPort() {
        return node().respPort();
    }

    public String grpcAddress() {
        return "127.0.0.1:" + grpcPort();
    }

    public int httpPort() {
        return Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
    }

    public HttpResponse<String> http(String method, String path, String body, String contentType) {
        return http(method, path, body, contentType, java.util.Map.of());
    }

    /** A JSON request. */
    public HttpResponse<String> json(String method, String path, String body) {
        return http(method, path, body, "application/json");
    }

    public HttpResponse<String> http(String method, String path, String body, String contentType,
                                     java.util.Map<String, String> headers) {
        return request(httpPort(), method, path, body, contentType, headers);
    }

    /** One HTTP request to a node's API on 127.0.0.1 (this JVM's or another's). */
    static HttpResponse<String> request(int port, String method, String path, String body, String contentType,
                                        java.util.Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        headers.forEach(b::header);
        try {
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public <T> T bean(Class<T> type) {
        return context.getBean(type);
    }

    public String url(String path) {
        return "http://127.0.0.1:" + httpPort() + path;
    }

    public HttpResponse<String> get(String path) {
        return http("GET", path, null, null);
    }

    public HttpResponse<String> send(String method, String path, String body) {
        return http(method, path, body, null);
    }

    @Override
    public void close() {
        if (context != null) {
            context.close();
        }
    }
}
