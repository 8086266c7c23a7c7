package dev.replcache.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.replcache.ReplCacheApplication;
import dev.replcache.api.cache.v1.CacheServiceGrpc;
import dev.replcache.api.cache.v1.DbSizeRequest;
import dev.replcache.api.cache.v1.KeyValue;
import dev.replcache.api.cache.v1.MSetRequest;
import dev.replcache.api.cache.v1.ScanRequest;
import dev.replcache.api.cache.v1.ScanResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Start and stop of the gRPC server with a whole node, each test with its own Spring context
 * (the shared test context must not be closed).
 */
@ExtendWith(OutputCaptureExtension.class)
class GrpcServerLifecycleTest {

    private static final int KEYS = 500;

    @TempDir
    Path dataDir;

    private ConfigurableApplicationContext context;
    private ManagedChannel channel;

    private ConfigurableApplicationContext startNode(int grpcPort, String gracePeriod) {
        // As command-line arguments: builder properties() are defaults, which application.yml overrides.
        return new SpringApplicationBuilder(ReplCacheApplication.class).run(
                "--server.port=0",
                "--replcache.data-dir=" + dataDir,
                "--replcache.grpc.address=127.0.0.1",
                "--replcache.grpc.port=" + grpcPort,
                "--replcache.grpc.shutdown-grace-period=" + gracePeriod);
    }

    @AfterEach
    void cleanUp() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
        if (context != null) {
            context.close();
        }
    }

    /** A channel with a small fixed window, so a Scan the client does not read stays in flight. */
    private ManagedChannel smallWindowChannel(int port) {
        return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().flowControlWindow(64 * 1024).build();
    }

    /** {@link #KEYS} keys of about 900 bytes: far more than one 64 KiB window. */
    private static Set<ByteString> seedBigKeys(ManagedChannel channel) {
        char[] pad = new char[900];
        Arrays.fill(pad, 'x');
        Set<ByteString> keys = new HashSet<>();
        MSetRequest.Builder mset = MSetRequest.newBuilder();
        for (int i = 0; i < KEYS; i++) {
            ByteString key = ByteString.copyFromUtf8("life:" + i + ":" + new String(pad));
            keys.add(key);
            mset.addEntries(KeyValue.newBuilder().setKey(key).setValue(ByteString.copyFromUtf8("v")));
        }
        CacheServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS).mSet(mset.build());
        return keys;
    }

    private static boolean portIsFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Polls with fresh calls until the server refuses new ones, i.e. shutdown() has begun. */
    private static void awaitNewCallsRefused(int port) throws InterruptedException {
        ManagedChannel probe = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                try {
                    CacheServiceGrpc.newBlockingStub(probe).withDeadlineAfter(2, TimeUnit.SECONDS)
                            .dbSize(DbSizeRequest.getDefaultInstance());
                } catch (StatusRuntimeException e) {
                    if (e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
                        return;
                    }
                }
                Thread.sleep(20);
            }
            throw new AssertionError("the server still accepted new calls after 30 s");
        } finally {
            probe.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void anInFlightCallCompletesWhileTheContextClosesAndThePortIsReleased(CapturedOutput output) throws Exception {
        context = startNode(0, "30s");
        int port = context.getBean(GrpcServerLifecycle.class).getPort();
        assertThat(output).contains("gRPC server listening on 127.0.0.1:" + port);
        channel = smallWindowChannel(port);
        Set<ByteString> wanted = seedBigKeys(channel);
        CacheGrpcScanTest.ManualReader reader = new CacheGrpcScanTest.ManualReader(1);
        CacheServiceGrpc.newStub(channel).scan(ScanRequest.newBuilder().setCount(10).build(), reader);
        ScanResponse first = reader.messages.poll(30, TimeUnit.SECONDS);
        assertThat(first).isNotNull();

        // The scan cannot finish until we read: the close must wait for it.
        ConfigurableApplicationContext closing = context;
        CompletableFuture<Void> closed = CompletableFuture.runAsync(closing::close);
        awaitNewCallsRefused(port);
        assertThat(closed).isNotDone();

        reader.call.request(Integer.MAX_VALUE);
        assertThat(reader.done.get(30, TimeUnit.SECONDS)).isEqualTo(Status.Code.OK);
        Set<ByteString> seen = new HashSet<>(first.getKeysList());
        for (ScanResponse r = reader.messages.poll(); r != null; r = reader.messages.poll()) {
            seen.addAll(r.getKeysList());
        }
        assertThat(seen).containsExactlyInAnyOrderElementsOf(wanted);

        closed.get(30, TimeUnit.SECONDS);
        assertThat(closing.isActive()).isFalse();
        assertThat(portIsFree(port)).as("port %d released", port).isTrue();
        assertThat(output).contains("gRPC server on port " + port + " stopped");
    }

    @Test
    void aCallStillRunningAfterTheGracePeriodIsCancelledAndTheCloseFinishes(CapturedOutput output) throws Exception {
        context = startNode(0, "300ms");
        int port = context.getBean(GrpcServerLifecycle.class).getPort();
        channel = smallWindowChannel(port);
        seedBigKeys(channel);
        CacheGrpcScanTest.ManualReader stuck = new CacheGrpcScanTest.ManualReader(1);
        CacheServiceGrpc.newStub(channel).scan(ScanRequest.newBuilder().setCount(10).build(), stuck);
        assertThat(stuck.messages.poll(30, TimeUnit.SECONDS)).isNotNull();

        context.close();

        assertThat(portIsFree(port)).as("port %d released", port).isTrue();
        // The client learns of the cancellation once it reads what was already buffered for it.
        stuck.call.request(Integer.MAX_VALUE);
        assertThat(stuck.done.get(30, TimeUnit.SECONDS)).isNotEqualTo(Status.Code.OK);
        assertThat(output).contains("still running after the grace period");
    }

    @Test
    void aPortInUseFailsTheStartWithAMessageNamingTheSetting() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();

            assertThatThrownBy(() -> context = startNode(port, "1s"))
                    .hasStackTraceContaining("gRPC server could not listen on 127.0.0.1:" + port)
                    .hasStackTraceContaining("replcache.grpc.port");
        }
    }
}
