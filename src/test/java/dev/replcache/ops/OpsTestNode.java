package dev.replcache.ops;

import dev.replcache.ReplCacheApplication;
import dev.replcache.node.CacheNode;
import dev.replcache.transport.grpc.GrpcServerLifecycle;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
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
 * One whole node on 127.0.0.1 for the ops tests (as {@code e2e.TestNode}): HTTP on any free
 * port, gRPC on a port chosen before the start so that the node announces a reachable address
 * to its master (with {@code replcache.grpc.port=0} it would announce port 0), and its own data
 * directory.
 */
final class OpsTestNode implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final String name;
    final int grpcPort;
    private final ConfigurableApplicationContext context;

    private OpsTestNode(String name, int grpcPort, ConfigurableApplicationContext context) {
        this.name = name;
        this.grpcPort = grpcPort;
        this.context = context;
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static OpsTestNode start(String name, Path dataDir, String... extra) {
        return start(name, dataDir, freePort(), extra);
    }

    static OpsTestNode start(String name, Path dataDir, int grpcPort, String... extra) {
        List<String> props = new ArrayList<>(List.of(
                "server.port=0",
                "server.address=127.0.0.1",
                "replcache.grpc.port=" + grpcPort,
                "replcache.grpc.address=127.0.0.1",
                "replcache.grpc.shutdown-grace-period=1s",
                "replcache.data-dir=" + dataDir,
                "replcache.replication.tick-interval=20ms",
                "replcache.replication.ping-interval=200ms",
                "replcache.replication.ack-interval=200ms",
                "replcache.replication.reconnect-min-delay=20ms",
                "replcache.replication.reconnect-max-delay=300ms",
                "replcache.ops.history-interval=200ms",
                "spring.main.banner-mode=off"));
        for (String e : extra) { // an extra setting replaces the default of the same name
            String key = e.substring(0, e.indexOf('=') + 1);
            props.removeIf(existing -> existing.startsWith(key));
            props.add(e);
        }
        ConfigurableApplicationContext context = new SpringApplicationBuilder(ReplCacheApplication.class)
                .initializers(ctx -> ctx.getBeanFactory().registerSingleton("excludeTestComponents", new TypeExcludeFilter() {
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
                }))
                .run(props.stream().map(p -> "--" + p).toArray(String[]::new));
        return new OpsTestNode(name, grpcPort, context);
    }

    CacheNode node() {
        return context.getBean(CacheNode.class);
    }

    <T> T bean(Class<T> type) {
        return context.getBean(type);
    }

    String grpcAddress() {
        return "127.0.0.1:" + context.getBean(GrpcServerLifecycle.class).getPort();
    }

    int httpPort() {
        return Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
    }

    String url(String path) {
        return "http://127.0.0.1:" + httpPort() + path;
    }

    HttpResponse<String> get(String path) {
        return send("GET", path, null);
    }

    HttpResponse<String> send(String method, String path, String body) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url(path)))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build();
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        context.close();
    }
}
