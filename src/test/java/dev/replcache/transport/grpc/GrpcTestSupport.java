package dev.replcache.transport.grpc;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * One ReplCache node per test JVM (Spring caches the context across the classes that extend
 * this), reached over a real socket on the port the gRPC server chose. Small limits so that
 * the limit tests need small requests.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "replcache.grpc.port=0",
        "replcache.resp.port=0", // never Redis's 6379 in tests
        "replcache.grpc.address=127.0.0.1",
        "replcache.grpc.max-inbound-message-size=1MB",
        "replcache.limits.max-key-bytes=1KB",
        "replcache.limits.max-value-bytes=64KB",
        "replcache.limits.max-batch-keys=1000",
})
@Import(CallLog.class)
abstract class GrpcTestSupport {

    private static final Path DATA_DIR = tempDir();

    @DynamicPropertySource
    static void dataDir(DynamicPropertyRegistry registry) {
        registry.add("replcache.data-dir", DATA_DIR::toString);
    }

    @Autowired
    GrpcServerLifecycle server;

    @Autowired
    CallLog callLog;

    ManagedChannel channel;

    @BeforeEach
    void openChannel() {
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    }

    @AfterEach
    void closeChannel() throws InterruptedException {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }

    private static Path tempDir() {
        try {
            Path dir = Files.createTempDirectory("replcache-grpc-test");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
