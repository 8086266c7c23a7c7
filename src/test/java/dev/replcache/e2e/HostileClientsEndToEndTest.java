package dev.replcache.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * Issue 12 ("Hostile peers and clients"): requests a client or a peer can send over the real
 * ports of one node with the default limits, each with the answer it must get.
 */
@ExtendWith(OutputCaptureExtension.class)
class HostileClientsEndToEndTest {

    /** replcache.limits.max-key-bytes's default. */
    private static final int MAX_KEY_BYTES = 64 * 1024;

    @TempDir
    static Path tmp;

    static TestNode node;
    static ManagedChannel channel;

    @BeforeAll
    static void start() {
        node = TestNode.start("hostile", tmp.resolve("node"));
        channel = Grpc.newChannelBuilderForAddress("127.0.0.1", node.grpcPort(), InsecureChannelCredentials.create()).build();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (node != null) {
            node.close();
        }
    }

    // ------------------------------------------------------------------ Hello

    /** A Sync stream as a (hostile) replica opens it; collects what the master answers. */
    private static final class Peer implements io.grpc.stub.StreamObserver<dev.replcache.api.replication.v1.MasterMessage> {
        final CompletableFuture<Status> closed = new CompletableFuture<>();
        final java.util.List<dev.replcache.api.replication.v1.MasterMessage> received =
                java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        final io.grpc.stub.StreamObserver<dev.replcache.api.replication.v1.ReplicaMessage> out =
                dev.replcache.api.replication.v1.ReplicationServiceGrpc.newStub(channel).sync(this);

        void hello(String replicaId, String address) {
            out.onNext(dev.replcache.api.replication.v1.ReplicaMessage.newBuilder().setHello(
                    dev.replcache.api.replication.v1.Hello.newBuilder().setReplicaId(replicaId).setAnnouncedAddress(address))
                    .build());
        }

        void psyncFromScratch() {
            out.onNext(dev.replcache.api.replication.v1.ReplicaMessage.newBuilder().setPsync(
                    dev.replcache.api.replication.v1.Psync.newBuilder().setReplId("?").setOffset(-1)).build());
        }

        @Override
        public void onNext(dev.replcache.api.replication.v1.MasterMessage m) {
            received.add(m);
        }

        @Override
        public void onError(Throwable t) {
            closed.complete(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            closed.complete(Status.OK);
        }
    }

    /**
     * Row 9: Hello fields went into the master's log as they came: CR/LF in announced_address
     * forged log lines. They are escaped now.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS) // a hang guard only
    void helloFieldsCannotForgeLogLines(CapturedOutput output) throws Exception {
        Peer peer = new Peer();
        String forged = "2026-12-06T21:00:00.000Z  INFO 1 --- [replcache] [main] d.r.t.grpc.ReplicationGrpcService : FORGED";
        peer.hello("evil\r\n" + forged.replace("FORGED", "FORGED-ID"), "10.0.0.1:1\r\n" + forged + "\u0085\u001b[31m");
        peer.psyncFromScratch();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(peer.received).anyMatch(m -> m.hasFullResync()));
        peer.out.onCompleted();
        assertThat(peer.closed.get(30, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.OK);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(output.getOut()).contains("Replication stream closed: replica=evil"));

        // Whatever the log format (plain, or JSON when another test turned it on): the forged text
        // stays inside the master's own lines, and no CR or terminal escape reaches the log.
        for (String line : output.getAll().split("\n")) {
            assertThat(line).as("a log line that starts with the forged text").doesNotStartWith(forged.substring(0, 30));
            if (line.contains("FORGED")) {
                assertThat(line).as("a line with the forged text").contains("replica=evil").contains("address=10.0.0.1:1");
            }
        }
        assertThat(output.getAll()).contains("\\u0085").doesNotContain("\r", "\u001b", "\u0085");
    }

    /** Row 9: a 20 MiB Hello field added 40 MiB to the log; now the stream ends with a bound, and nothing is logged of it. */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS) // a hang guard only
    void anOversizedHelloFieldEndsTheStreamWithItsBound(CapturedOutput output) throws Exception {
        int before = output.getAll().length();
        for (String field : new String[] {"replica_id", "announced_address"}) {
            Peer peer = new Peer();
            String big = "x".repeat(20 * 1024 * 1024);
            if (field.equals("replica_id")) {
                peer.hello(big, "10.0.0.1:1");
            } else {
                peer.hello("r1", big);
            }
            Status status = peer.closed.get(60, TimeUnit.SECONDS);
            assertThat(status.getCode()).as(field).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(status.getDescription()).as(field)
                    .contains("Hello field " + field + " is 20971520 bytes, over the limit of 1024")
                    .contains("replcache.replication.max-hello-field-size");
        }
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(node.node().replicationView().replicas()).isEmpty());
        assertThat(output.getAll().length() - before).as("log bytes written for two 20 MiB Hellos").isLessThan(64 * 1024);
    }

    // ------------------------------------------------------------------ raw gRPC

    /** Sends the bytes as they are: the server's parser sees exactly what a broken client wrote. */
    private static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private record Closed(Status status, Metadata trailers) {
    }

    /** One call of {@code method} with the given request frames; the status it closes with. */
    private static Closed rawCall(String method, MethodDescriptor.MethodType type, byte[]... frames) throws Exception {
        MethodDescriptor<byte[], byte[]> descriptor = MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(type).setFullMethodName(method).setRequestMarshaller(RAW).setResponseMarshaller(RAW).build();
        ClientCall<byte[], byte[]> call = channel.newCall(descriptor, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS));
        CompletableFuture<Closed> closed = new CompletableFuture<>();
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onClose(Status status, Metadata trailers) {
                closed.complete(new Closed(status, trailers));
            }
        }, new Metadata());
        call.request(Integer.MAX_VALUE);
        for (byte[] frame : frames) {
            call.sendMessage(frame);
        }
        if (type == MethodDescriptor.MethodType.UNARY || type == MethodDescriptor.MethodType.SERVER_STREAMING) {
            call.halfClose();
        }
        return closed.get(30, TimeUnit.SECONDS);
    }

    /** Field 1 (bytes) declaring 5 bytes of which 2 arrive: a protobuf cut short. */
    private static final byte[] TRUNCATED = {0x0a, 0x05, 'a', 'b'};
    /** A varint that never ends. */
    private static final byte[] ENDLESS_VARINT = {0x10, (byte) 0xff, (byte) 0xff, (byte) 0xff};

    /**
     * Row 12: a request the server cannot parse got UNKNOWN and a stack trace in the log per
     * request; now INVALID_ARGUMENT saying so, on every method, with one WARN-free debug line.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS) // a hang guard only
    void malformedProtobufGetsInvalidArgumentOnEveryMethodWithoutAStackTrace(CapturedOutput output) throws Exception {
        String[][] unary = {
                {"cache.v1.CacheService/Set"}, {"cache.v1.CacheService/Get"}, {"cache.v1.CacheService/MSet"},
                {"replication.v1.ReplicationService/Info"}, {"grpc.health.v1.Health/Check"}};
        for (String[] m : unary) {
            for (byte[] bad : new byte[][] {TRUNCATED, ENDLESS_VARINT}) {
                Closed closed = rawCall(m[0], MethodDescriptor.MethodType.UNARY, bad);
                assertThat(closed.status().getCode()).as("%s", m[0]).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(closed.status().getDescription()).as("%s", m[0])
                        .contains("malformed request message").contains(m[0]);
            }
        }
        Closed scan = rawCall("cache.v1.CacheService/Scan", MethodDescriptor.MethodType.SERVER_STREAMING, TRUNCATED);
        assertThat(scan.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        Closed pipeline = rawCall("cache.v1.CacheService/Pipeline", MethodDescriptor.MethodType.BIDI_STREAMING, TRUNCATED);
        assertThat(pipeline.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(pipeline.status().getDescription()).contains("malformed request message");

        // The replication stream: a peer's broken message ends its stream, and its session with it.
        Closed sync = rawCall("replication.v1.ReplicationService/Sync", MethodDescriptor.MethodType.BIDI_STREAMING, TRUNCATED);
        assertThat(sync.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(node.node().replicationView().replicas()).isEmpty());

        // The node still serves, and the log holds no stack trace for any of it.
        assertThat(node.send("PUT", "/v1/keys/after-malformed", "ok").statusCode()).isEqualTo(204);
        assertThat(output.getAll()).doesNotContain("InvalidProtocolBufferException", "Exception while executing runnable",
                "\tat io.grpc");
    }

    /**
     * Row 11: Jackson's default bound on a JSON object name (50,000 characters) refused MSET and
     * HSET keys of 50,001-65,536 bytes with "does not have the type", though they are within
     * max-key-bytes.
     */
    @Test
    void msetAndHsetTakeKeysAndFieldsUpToMaxKeyBytes() {
        for (int length : new int[] {50_001, 60_000, MAX_KEY_BYTES}) {
            String key = "m".repeat(length - 1) + (char) ('a' + length % 26);
            HttpResponse<String> mset = node.json("POST", "/v1/mset", "{\"entries\":{\"" + key + "\":\"v" + length + "\"}}");
            assertThat(mset.statusCode()).as("MSET with a %d-byte key: %s", length, mset.body()).isEqualTo(204);
            HttpResponse<String> mget = node.json("POST", "/v1/mget", "{\"keys\":[\"" + key + "\"]}");
            assertThat(mget.body()).as("MGET of the %d-byte key", length).contains("\"v" + length + "\"");

            String field = "f".repeat(length);
            HttpResponse<String> hset = node.json("PUT", "/v1/hashes/long-fields", "{\"" + field + "\":\"w" + length + "\"}");
            assertThat(hset.statusCode()).as("HSET with a %d-byte field: %s", length, hset.body()).isEqualTo(200);
        }
        HttpResponse<String> all = node.get("/v1/hashes/long-fields");
        assertThat(all.body()).contains("\"w50001\"", "\"w60000\"", "\"w" + MAX_KEY_BYTES + "\"");
    }

    /**
     * Row 7, as the review sent it: 20 keys of 49 KB, then SCAN MATCH {@code *} + 7,000
     * {@code a} + {@code b} (and the same run between two stars). It took 26 s of CPU; the
     * timeout is only a hang guard, the bounded work is counted in GlobRegressionTest.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aPathologicalScanPatternIsAnsweredOverHttp() {
        StringBuilder entries = new StringBuilder("{\"entries\":{");
        for (int i = 0; i < 20; i++) {
            entries.append(i == 0 ? "" : ",").append("\"scan").append(i).append("a".repeat(49 * 1024)).append("\":\"v\"");
        }
        assertThat(node.json("POST", "/v1/mset", entries.append("}}").toString()).statusCode()).isEqualTo(204);
        for (String match : new String[] {"%2A" + "a".repeat(7000) + "b", "%2A" + "a".repeat(7000) + "b%2A",
                "scan1%2A" + "a".repeat(7000)}) {
            String cursor = "0";
            int found = 0;
            do {
                HttpResponse<String> page = node.get("/v1/keys?count=1000&cursor=" + cursor + "&match=" + match);
                assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
                found += page.body().split("\"scan", -1).length - 1;
                cursor = page.body().replaceAll("(?s).*\"cursor\":\"(\\d+)\".*", "$1");
            } while (!cursor.equals("0"));
            assertThat(found).as("keys matching %s...", match.substring(0, 8)).isEqualTo(match.startsWith("scan1") ? 11 : 0);
        }
    }

    /** One byte over max-key-bytes is still the limit's own 413, not a JSON shape error. */
    @Test
    void aKeyOneByteOverTheLimitIsRefusedNamingTheLimit() {
        String key = "o".repeat(MAX_KEY_BYTES + 1);
        HttpResponse<String> mset = node.json("POST", "/v1/mset", "{\"entries\":{\"" + key + "\":\"v\"}}");
        assertThat(mset.statusCode()).isEqualTo(413);
        assertThat(mset.body()).contains("replcache.limits.max-key-bytes");
        HttpResponse<String> hset = node.json("PUT", "/v1/hashes/over", "{\"" + key + "\":\"v\"}");
        assertThat(hset.statusCode()).isEqualTo(413);
        assertThat(hset.body()).contains("replcache.limits.max-key-bytes");
    }
}
