package dev.replcache.transport.grpc;

import dev.replcache.api.cache.v1.CacheServiceGrpc;
import dev.replcache.api.cache.v1.PipelineRequest;
import dev.replcache.api.cache.v1.PipelineResponse;
import dev.replcache.node.CacheNode;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code Pipeline} stream: runs each message's commands in arrival order and answers each
 * message with one response, in order.
 *
 * <p><b>Flow control.</b> Inbound messages are requested by hand, one at a time, and the next
 * only while the transport says the client is reading ({@code isReady()}). A client that sends
 * without reading therefore makes the server hold at most one response past gRPC's ready
 * threshold; HTTP/2 flow control then stops its sending.
 *
 * <p><b>Throttle.</b> While replicas are slow (replication's throttle policy) a message that
 * wrote holds the stream for the node's delay once per successful write, as that many unary
 * writes (or a RESP pipeline's) would be held, before its response goes out and the next message
 * is read. The delay is not capped per message: a cap would let a pipelining writer outrun the
 * throttle that holds everyone else.
 *
 * <p>Every method is synchronized: gRPC calls the observer methods and the ready handler one at
 * a time, and the throttle's timer is the only other thread; {@code out} is used under the lock.
 */
final class PipelineCall implements StreamObserver<PipelineRequest> {

    private static final Logger log = LoggerFactory.getLogger(PipelineCall.class);
    static final String METHOD = CacheServiceGrpc.getPipelineMethod().getFullMethodName();

    /** What one message got: its response, and how many of its commands wrote (each throttled once). */
    record Answer(PipelineResponse response, int writes) {
    }

    private final ServerCallStreamObserver<PipelineResponse> out;
    private final Function<PipelineRequest, Answer> commands;
    private final CacheNode node;
    /** A message was requested and has not arrived yet. */
    private boolean requested;
    /** A response is held by the throttle. */
    private PipelineResponse held;
    private boolean halfClosed;
    private boolean finished;

    private PipelineCall(ServerCallStreamObserver<PipelineResponse> out,
                         Function<PipelineRequest, Answer> commands, CacheNode node) {
        this.out = out;
        this.commands = commands;
        this.node = node;
    }

    /**
     * Called from the service method, before it returns the observer (manual flow control must
     * be set up then). {@code commands} runs one message.
     */
    static StreamObserver<PipelineRequest> start(StreamObserver<PipelineResponse> responses,
                                                 Function<PipelineRequest, Answer> commands, CacheNode node) {
        ServerCallStreamObserver<PipelineResponse> out = (ServerCallStreamObserver<PipelineResponse>) responses;
        PipelineCall call = new PipelineCall(out, commands, node);
        out.disableAutoRequest();
        out.setOnReadyHandler(call::onReady);
        out.setOnCancelHandler(call::onCancel);
        call.requestNext();
        return call;
    }

    @Override
    public synchronized void onNext(PipelineRequest request) {
        requested = false;
        if (finished) {
            return;
        }
        Answer answer;
        try {
            answer = commands.apply(request);
        } catch (RuntimeException e) {
            // The message itself is refused (too many commands): the stream ends with its status.
            finished = true;
            out.onError(GrpcErrors.toStatusException(e, METHOD));
            return;
        }
        long delayMs = answer.writes() > 0 && node.throttles() ? node.throttleDelayForWrites(answer.writes()) : 0;
        if (delayMs > 0) {
            held = answer.response();
            node.schedule(this::release, delayMs);
            return;
        }
        out.onNext(answer.response());
        requestNext();
    }

    /** The client half-closed: answer what is left, then end the stream. */
    @Override
    public synchronized void onCompleted() {
        halfClosed = true;
        finishIfDone();
    }

    /** The client cancelled or the stream broke: nothing more is sent. */
    @Override
    public synchronized void onError(Throwable t) {
        onCancel();
    }

    private synchronized void onCancel() {
        finished = true;
        held = null;
    }

    private synchronized void onReady() {
        requestNext();
    }

    /** The throttle's delay passed (the node's timer thread, where nothing would report a failure). */
    private synchronized void release() {
        PipelineResponse response = held;
        held = null;
        if (finished || response == null) {
            return;
        }
        try {
            out.onNext(response);
            finishIfDone();
            requestNext();
        } catch (RuntimeException e) {
            // The call closed under us (the client went away): nothing more is sent on it.
            finished = true;
            log.debug("Pipeline stream closed while a throttled response was held: {}", e.toString());
        }
    }

    private void requestNext() {
        if (finished || halfClosed || requested || held != null || !out.isReady()) {
            return;
        }
        requested = true;
        out.request(1);
    }

    private void finishIfDone() {
        if (halfClosed && held == null && !finished) {
            finished = true;
            out.onCompleted();
        }
    }
}
