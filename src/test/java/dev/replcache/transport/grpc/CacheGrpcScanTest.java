package dev.replcache.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.replcache.api.cache.v1.CacheServiceGrpc;
import dev.replcache.api.cache.v1.DbSizeRequest;
import dev.replcache.api.cache.v1.KeyValue;
import dev.replcache.api.cache.v1.MSetRequest;
import dev.replcache.api.cache.v1.ScanRequest;
import dev.replcache.api.cache.v1.ScanResponse;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Scan as a server stream: completeness across pages, cancellation, and flow control. */
class CacheGrpcScanTest extends GrpcTestSupport {

    /** Bytes of each "big" key: about 1 KB, the test limit, so a few keys fill a window. */
    private static final int BIG_KEY_BYTES = 900;
    /** The client's HTTP/2 window in the flow-control tests; auto-tuning off. */
    private static final int SMALL_WINDOW_BYTES = 64 * 1024;

    /** A channel whose receive window is small and fixed, so a reader that stops reading stalls the server fast. */
    private ManagedChannel smallWindowChannel;

    @BeforeEach
    void openSmallWindowChannel() {
        smallWindowChannel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext()
                .flowControlWindow(SMALL_WINDOW_BYTES).build();
    }

    @AfterEach
    void closeSmallWindowChannel() throws InterruptedException {
        smallWindowChannel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }

    private CacheServiceGrpc.CacheServiceBlockingStub blocking() {
        return CacheServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private void mset(List<ByteString> keys) {
        for (int from = 0; from < keys.size(); from += 500) {
            MSetRequest.Builder batch = MSetRequest.newBuilder();
            for (ByteString key : keys.subList(from, Math.min(keys.size(), from + 500))) {
                batch.addEntries(KeyValue.newBuilder().setKey(key).setValue(ByteString.copyFromUtf8("v")));
            }
            blocking().mSet(batch.build());
        }
    }

    private static List<ByteString> keys(String prefix, int n) {
        List<ByteString> keys = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            keys.add(ByteString.copyFromUtf8(prefix + i));
        }
        return keys;
    }

    /** Keys of about {@link #BIG_KEY_BYTES}, each unique by its prefix and number. */
    private static List<ByteString> bigKeys(String prefix, int n) {
        char[] pad = new char[BIG_KEY_BYTES];
        Arrays.fill(pad, 'x');
        List<ByteString> keys = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            keys.add(ByteString.copyFromUtf8(prefix + i + ":" + new String(pad)));
        }
        return keys;
    }

    private static Set<ByteString> drain(Iterator<ScanResponse> stream, List<Integer> messageSizes) {
        Set<ByteString> seen = new HashSet<>();
        while (stream.hasNext()) {
            ScanResponse page = stream.next();
            messageSizes.add(page.getKeysCount());
            for (ByteString key : page.getKeysList()) {
                assertThat(seen.add(key)).as("key returned twice: %s", key.toStringUtf8()).isTrue();
            }
        }
        return seen;
    }

    @Test
    void scanStreamsEveryMatchingKeyExactlyOnceAcrossManyMessages() {
        List<ByteString> wanted = keys("scan-all:", 5_000);
        mset(wanted);
        mset(keys("scan-other:", 1_000));

        List<Integer> messageSizes = new ArrayList<>();
        Set<ByteString> seen = drain(blocking().scan(ScanRequest.newBuilder().setMatch("scan-all:*").setCount(50).build()),
                messageSizes);

        assertThat(seen).containsExactlyInAnyOrderElementsOf(wanted);
        assertThat(messageSizes).hasSizeGreaterThan(5_000 / 50 - 1).allSatisfy(n -> assertThat(n).isBetween(1, 50));
    }

    @Test
    void scanWithoutMatchOrCountReturnsEveryKeyInDefaultSizedMessages() {
        List<ByteString> wanted = keys("scan-default:", 300);
        mset(wanted);

        List<Integer> messageSizes = new ArrayList<>();
        Set<ByteString> seen = drain(blocking().scan(ScanRequest.getDefaultInstance()), messageSizes);

        assertThat(seen).containsAll(wanted);
        assertThat(messageSizes).allSatisfy(n -> assertThat(n).isBetween(1, CacheGrpcService.DEFAULT_SCAN_COUNT));
    }

    @Test
    void scanWithAPatternNothingMatchesCompletesEmpty() {
        mset(keys("scan-none:", 100));

        List<Integer> messageSizes = new ArrayList<>();
        Set<ByteString> seen = drain(blocking().scan(ScanRequest.newBuilder().setMatch("no-such-prefix:*").build()),
                messageSizes);

        assertThat(seen).isEmpty();
        assertThat(messageSizes).isEmpty();
    }

    /**
     * Guards against a Scan that ignores isReady(): it would produce every message at once and
     * buffer them in the server, whatever the reader asked for.
     */
    @Test
    void aReaderThatRequestsOneMessageAtATimeGetsOnlyWhatItRequestsAndTheServerWaits() throws Exception {
        List<ByteString> wanted = bigKeys("scan-fc:", 2_000);
        mset(wanted);
        int keysPerMessage = 10;
        // At least: a segment's keys can end a message early.
        int totalMessages = wanted.size() / keysPerMessage;
        String callId = UUID.randomUUID().toString();
        ManualReader reader = new ManualReader(1);

        stubWithCallId(smallWindowChannel, callId)
                .scan(ScanRequest.newBuilder().setMatch("scan-fc:*").setCount(keysPerMessage).build(), reader);

        Set<ByteString> seen = new HashSet<>();
        ScanResponse first = reader.messages.poll(30, TimeUnit.SECONDS);
        assertThat(first).isNotNull();
        seen.addAll(first.getKeysList());
        // Nothing more arrives unasked, however long we wait...
        assertThat(reader.messages.poll(500, TimeUnit.MILLISECONDS)).isNull();
        // ...and the server has not produced far beyond what the window can hold: the 64 KiB
        // client window + the 32 KiB on-ready threshold is about 11 messages of 9 KiB; all
        // would be over 200. (An upper bound cannot fail by the machine being slow.)
        int producedWhileStalled = callLog.call(callId).messagesProduced.get();
        assertThat(producedWhileStalled).isLessThan(40).isLessThan(totalMessages);

        reader.call.request(5);
        for (int i = 0; i < 5; i++) {
            ScanResponse requested = reader.messages.poll(30, TimeUnit.SECONDS);
            assertThat(requested).as("requested message %d", i).isNotNull();
            seen.addAll(requested.getKeysList());
        }
        assertThat(reader.messages.poll(300, TimeUnit.MILLISECONDS)).isNull();

        reader.call.request(Integer.MAX_VALUE);
        assertThat(reader.done.get(30, TimeUnit.SECONDS)).isEqualTo(Status.Code.OK);
        for (ScanResponse r = reader.messages.poll(); r != null; r = reader.messages.poll()) {
            seen.addAll(r.getKeysList());
        }
        assertThat(seen).containsExactlyInAnyOrderElementsOf(wanted);
        assertThat(callLog.call(callId).messagesProduced.get()).isGreaterThanOrEqualTo(totalMessages);
    }

    @Test
    void aClientThatCancelsMidwayStopsTheScanAndTheServerServesOn() throws Exception {
        List<ByteString> wanted = bigKeys("scan-cancel:", 2_000);
        mset(wanted);
        String callId = UUID.randomUUID().toString();
        ManualReader reader = new ManualReader(3);

        stubWithCallId(smallWindowChannel, callId)
                .scan(ScanRequest.newBuilder().setMatch("scan-cancel:*").setCount(10).build(), reader);
        for (int i = 0; i < 3; i++) {
            assertThat(reader.messages.poll(30, TimeUnit.SECONDS)).isNotNull();
        }
        reader.call.cancel("test stops reading", null);

        assertThat(reader.done.get(30, TimeUnit.SECONDS)).isEqualTo(Status.Code.CANCELLED);
        CallLog.Call serverSide = callLog.call(callId);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (serverSide.closedWith == null && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(serverSide.closedWith).isNotNull();
        assertThat(serverSide.closedWith.getCode()).isEqualTo(Status.Code.CANCELLED);
        assertThat(serverSide.messagesProduced.get()).isLessThan(wanted.size() / 10);

        // The server is fine: other calls, and a full scan of the same keys, work.
        assertThat(blocking().dbSize(DbSizeRequest.getDefaultInstance()).getKeys()).isGreaterThanOrEqualTo(wanted.size());
        Set<ByteString> again = drain(blocking().scan(ScanRequest.newBuilder().setMatch("scan-cancel:*").build()),
                new ArrayList<>());
        assertThat(again).containsExactlyInAnyOrderElementsOf(wanted);
    }

    private static CacheServiceGrpc.CacheServiceStub stubWithCallId(ManagedChannel channel, String callId) {
        Metadata headers = new Metadata();
        headers.put(CallLog.CALL_ID, callId);
        return CacheServiceGrpc.newStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    /** A reader with manual flow control: it asks for {@code initial} messages, then only what the test requests. */
    static final class ManualReader implements ClientResponseObserver<ScanRequest, ScanResponse> {
        final BlockingQueue<ScanResponse> messages = new LinkedBlockingQueue<>();
        final CompletableFuture<Status.Code> done = new CompletableFuture<>();
        private final int initial;
        volatile ClientCallStreamObserver<ScanRequest> call;

        ManualReader(int initial) {
            this.initial = initial;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<ScanRequest> requestStream) {
            call = requestStream;
            requestStream.disableAutoRequestWithInitial(initial);
        }

        @Override
        public void onNext(ScanResponse value) {
            messages.add(value);
        }

        @Override
        public void onError(Throwable t) {
            done.complete(Status.fromThrowable(t).getCode());
        }

        @Override
        public void onCompleted() {
            done.complete(Status.Code.OK);
        }
    }
}
