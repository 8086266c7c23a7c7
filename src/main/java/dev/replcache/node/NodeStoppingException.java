package dev.replcache.node;

/**
 * The node is shutting down and takes no more writes (or saves): HTTP 503, gRPC UNAVAILABLE. A
 * client retries against another node, or this one after its restart.
 */
public final class NodeStoppingException extends RuntimeException {

    public NodeStoppingException() {
        super("the node is shutting down and accepts no more writes", null, false, false);
    }
}
