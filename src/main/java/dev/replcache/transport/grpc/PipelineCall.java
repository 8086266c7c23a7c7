package dev.replcache.transport.grpc;

import dev.replcache.api.cache.v1.PipelineRequest;
import dev.replcache.api.cache.v1.PipelineResponse;
import dev.replcache.node.CacheNode;
import dev.replcache.node.WriteMarker;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayDeque;
import java.util.function.Function;

/**
 * One {@code Pipeline} stream: runs its commands in arrival order and answers each, in order,
 * with exactly one response.
 *
 * <p><b>Flow control.</b> Inbound messages are requested by hand: at most {@code window} are
 * requested and not yet answered, and none are requested while the transport says the client
 * is not reading ({@code isReady()} false). A client that sends without reading therefore
 * makes the server hold at most {@code window} responses; HTTP/2 flow control then stops its
 * sending.
 *
 * <p><b>Throttle.</b> A write while replicas are slow (replication's throttle policy) holds the
 * stream for the node's delay, as a unary write's response is held: commands that arrive in the
 * meantime wait, in order.
 *
 * <p>Every method is synchronized: gRPC calls the observer methods and the ready handler one at
 * a time, and the throttle's timer is the only other thread; {@code out} is used under the lock.
 */
final class PipelineCall implements StreamObserver<PipelineRequest> {

    private final ServerCallStreamObserver<PipelineResponse> out;
    private final Function<PipelineRequest, PipelineResponse> commands;
    private final CacheNode node;
    private final int window;
    /** Commands that arrived while the stream was held by the throttle, oldest first. */
    private final ArrayDeque<PipelineRequest> waiting = new ArrayDeque<>();
    /** Requested from the transport and not arrived yet. */
    private int requested;
    private boolean throttled;
    private boolean halfClosed;
    private boolean finished;

    private PipelineCall(ServerCallStreamObserver<PipelineResponse> out,
                         Function<PipelineRequest, PipelineResponse> commands, CacheNode node, int window) {
        this.out = out;
        this.commands = commands;
        this.node = node;
        this.window = window;
    }

    /** Called from the service method, before it returns the observer (manual flow control needs that). */
    static StreamObserver<PipelineRequest> start(StreamObserver<PipelineResponse> responses,
                                                 Function<PipelineRequest, PipelineResponse> commands,
                                                 CacheNode node, int window) {
        ServerCallStreamObserver<PipelineResponse> out = (ServerCallStreamObserver<PipelineResponse>) responses;
        PipelineCall call = new PipelineCall(out, commands, node, window);
        out.disableAutoRequest();
        out.setOnReadyHandler(call::onReady);
        out.setOnCancelHandler(call::onCancel);
        call.requestMore();
        return call;
    }

    @Override
    public synchronized void onNext(PipelineRequest request) {
        requested--;
        if (finished) {
            return;
        }
        if (throttled) {
            waiting.add(request);
            return;
        }
        run(request);
        requestMore();
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
        finished = true;
        waiting.clear();
    }

    private synchronized void onCancel() {
        finished = true;
        waiting.clear();
    }

    private synchronized void onReady() {
        requestMore();
    }

    /** The throttle's delay passed (the node's timer thread). */
    private synchronized void resume() {
        throttled = false;
        PipelineRequest next;
        while (!throttled && !finished && (next = waiting.poll()) != null) {
            run(next);
        }
        finishIfDone();
        requestMore();
    }

    private void run(PipelineRequest request) {
        WriteMarker.clear();
        PipelineResponse response = commands.apply(request);
        out.onNext(response);
        if (WriteMarker.take() && !response.hasError() && node.throttles()) {
            long delayMs = node.throttleDelayForWrite();
            if (delayMs > 0) {
                throttled = true;
                node.schedule(this::resume, delayMs);
            }
        }
    }

    private void requestMore() {
        if (finished || halfClosed || throttled || !out.isReady()) {
            return;
        }
        int more = window - requested - waiting.size();
        if (more > 0) {
            requested += more;
            out.request(more);
        }
    }

    private void finishIfDone() {
        if (halfClosed && !throttled && waiting.isEmpty() && !finished) {
            finished = true;
            out.onCompleted();
        }
    }
}
