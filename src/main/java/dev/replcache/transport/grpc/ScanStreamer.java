package dev.replcache.transport.grpc;

import com.google.protobuf.UnsafeByteOperations;
import dev.replcache.api.cache.v1.CacheServiceGrpc;
import dev.replcache.api.cache.v1.ScanResponse;
import dev.replcache.keyspace.Bytes;
import dev.replcache.keyspace.Keyspace;
import dev.replcache.keyspace.ScanPage;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.List;

/**
 * One Scan stream: walks the keyspace with {@link Keyspace#scan} (cursor = next segment) and
 * sends the keys while, and only while, the transport is ready for more, so a slow client holds
 * the server to its flow-control window instead of making it buffer the whole keyspace.
 *
 * <p>The runtime calls {@link #run()} whenever the call becomes ready; it sends until
 * {@code isReady()} turns false and returns, keeping its place. At most one keyspace page is
 * held between two calls. A cancelled call stops the walk.
 *
 * <p>Threading: the handler, the on-ready and on-cancel callbacks of one call all run
 * serialized on the call's executor, so the fields need no lock.
 */
final class ScanStreamer implements Runnable {

    /**
     * A response is closed at this size even below its key count, so that a page of large keys
     * stays well under the 4 MiB that gRPC clients accept by default.
     */
    static final int MAX_MESSAGE_BYTES = 1 << 20;

    private static final String METHOD = CacheServiceGrpc.getScanMethod().getFullMethodName();

    private final ServerCallStreamObserver<ScanResponse> call;
    private final Keyspace keyspace;
    private final Bytes pattern;
    private final int keysPerMessage;

    /** Next segment to read. Meaningful once {@link #walked} is true: 0 then means the walk ended. */
    private long cursor;
    private boolean walked;
    /** Keys of the current page not sent yet: {@code page[sent..]}. */
    private List<Bytes> page = List.of();
    private int sent;
    private boolean finished;

    private ScanStreamer(ServerCallStreamObserver<ScanResponse> call, Keyspace keyspace, Bytes pattern,
                         int keysPerMessage) {
        this.call = call;
        this.keyspace = keyspace;
        this.pattern = pattern;
        this.keysPerMessage = keysPerMessage;
    }

    /**
     * Attaches a streamer to the call. Must run inside the handler: the observer's callbacks
     * can only be set before the handler returns.
     *
     * @param pattern        Redis glob, or null for every key
     * @param keysPerMessage most keys per response, and the COUNT hint of each page
     */
    static void start(ServerCallStreamObserver<ScanResponse> call, Keyspace keyspace, Bytes pattern,
                      int keysPerMessage) {
        ScanStreamer streamer = new ScanStreamer(call, keyspace, pattern, keysPerMessage);
        // Without a cancel handler onNext after a cancellation throws; with it we just stop.
        call.setOnCancelHandler(streamer::cancel);
        call.setOnReadyHandler(streamer);
        // Start now if the transport is ready; otherwise (or when the window fills up) the
        // runtime calls run() again when it is.
        streamer.run();
    }

    @Override
    public void run() {
        try {
            while (!finished) {
                if (call.isCancelled()) {
                    finished = true;
                    return;
                }
                if (sent == page.size()) {
                    if (walked && cursor == 0) {
                        finished = true;
                        call.onCompleted();
                        return;
                    }
                    nextPage();
                    continue;
                }
                if (!call.isReady()) {
                    return;
                }
                call.onNext(nextMessage());
            }
        } catch (RuntimeException e) {
            finished = true;
            call.onError(GrpcErrors.toStatusException(e, METHOD));
        }
    }

    private void nextPage() {
        ScanPage next = keyspace.scan(cursor, pattern, keysPerMessage);
        walked = true;
        cursor = next.nextCursor();
        page = next.keys();
        sent = 0;
    }

    private ScanResponse nextMessage() {
        ScanResponse.Builder message = ScanResponse.newBuilder();
        long bytes = 0;
        while (sent < page.size() && message.getKeysCount() < keysPerMessage
                && (message.getKeysCount() == 0 || bytes + page.get(sent).length() <= MAX_MESSAGE_BYTES)) {
            Bytes key = page.get(sent++);
            bytes += key.length();
            // No copy: keys are immutable and protobuf only reads them.
            message.addKeys(UnsafeByteOperations.unsafeWrap(key.unsafeArray()));
        }
        return message.build();
    }

    private void cancel() {
        finished = true;
        page = List.of();
    }
}
