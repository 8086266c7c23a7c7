package dev.replcache.transport.http;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** Blocking on the node's futures from a servlet thread, with their own exceptions rethrown. */
final class Futures {

    private Futures() {
    }

    /** What a future failed with: the cause a CompletionException wraps, else the error itself. */
    static Throwable cause(Throwable error) {
        return error instanceof java.util.concurrent.CompletionException c && c.getCause() != null ? c.getCause() : error;
    }

    static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting", e);
        }
    }
}
