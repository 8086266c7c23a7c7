package dev.replcache.testing;

import dev.replcache.api.cache.v1.PipelineResponse;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/** A client's side of a {@code Pipeline} stream: every response, and the stream's end. */
public final class PipelineResponses implements StreamObserver<PipelineResponse> {

    /** The responses so far, in the order they arrived. */
    public final List<PipelineResponse> responses = new CopyOnWriteArrayList<>();
    /** Completes when the server ends the stream; exceptionally with its status when it fails it. */
    public final CompletableFuture<Void> done = new CompletableFuture<>();

    @Override
    public void onNext(PipelineResponse response) {
        responses.add(response);
    }

    @Override
    public void onError(Throwable t) {
        done.completeExceptionally(t);
    }

    @Override
    public void onCompleted() {
        done.complete(null);
    }
}
