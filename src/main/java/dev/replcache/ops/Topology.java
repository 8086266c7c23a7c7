package dev.replcache.ops;

import dev.replcache.node.CacheNode;
import dev.replcache.node.ReplicationView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * The replication tree below this node, for the status page: this node's replicas as its
 * master side knows them, and below each one what it says of itself and its own replicas
 * (asked over gRPC, in parallel per level, each call with a short deadline), down to a bounded
 * depth. A node that cannot be asked shows its error; the tree is still returned.
 */
final class Topology {

    /**
     * One node of the tree.
     *
     * @param id         the replica's id (the root: this node's id)
     * @param address    its announced gRPC address (empty for the root: it is the node serving the page)
     * @param state      its sync state as its master sees it (empty for the root)
     * @param role       what it says it is, {@code master} or {@code replica}; empty when it could not be asked
     * @param offset     its own offset as it says, -1 when unknown
     * @param ackOffset  what it acked to its master (-1 for the root or before its first ack)
     * @param linkStatus its link to its master, as it says
     * @param error      why it could not be asked, or null
     * @param truncated  true when it has replicas below the depth limit, not shown
     */
    record Node(String id, String address, String state, String role, String replId, long offset, long ackOffset,
                long lagBytes, long lagMs, String master, String linkStatus, String error, boolean truncated,
                List<Node> replicas) {
    }

    private final CacheNode node;
    private final PeerInfoClient client;
    private final Duration deadline;
    private final int maxDepth;

    Topology(CacheNode node, PeerInfoClient client, Duration deadline, int maxDepth) {
        this.node = Objects.requireNonNull(node, "node");
        this.client = Objects.requireNonNull(client, "client");
        this.deadline = Objects.requireNonNull(deadline, "deadline");
        this.maxDepth = maxDepth;
    }

    Node tree() {
        ReplicationView v = node.replicationView();
        List<PeerInfoClient.PeerReplica> direct = v.replicas().stream()
                .map(r -> new PeerInfoClient.PeerReplica(r.id(), r.address(), r.state(), r.ackOffset(), r.lagBytes(), r.lagMs()))
                .toList();
        Set<String> seen = new HashSet<>();
        List<Node> children = children(direct, 1, seen).join();
        String master = v.master() == null ? "" : v.master().host() + ":" + v.master().port();
        String link = v.master() == null ? "" : v.master().linkStatus();
        return new Node(node.nodeId(), "", "", v.role(), v.replId(), v.offset(), -1, 0, 0, master, link, null, false,
                children);
    }

    /** The replicas at {@code depth}, each asked for its own view (all in parallel). */
    private CompletableFuture<List<Node>> children(List<PeerInfoClient.PeerReplica> replicas, int depth, Set<String> seen) {
        List<CompletableFuture<Node>> futures = new ArrayList<>();
        for (PeerInfoClient.PeerReplica r : replicas) {
            futures.add(child(r, depth, seen));
        }
        return CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
                .thenApply(ignored -> futures.stream().map(CompletableFuture::join).toList());
    }

    private CompletableFuture<Node> child(PeerInfoClient.PeerReplica r, int depth, Set<String> seen) {
        if (r.address().isEmpty()) {
            return CompletableFuture.completedFuture(leaf(r, "no announced address"));
        }
        synchronized (seen) {
            if (!seen.add(r.address())) {
                return CompletableFuture.completedFuture(leaf(r, "already shown (a cycle?)"));
            }
        }
        CompletableFuture<PeerInfoClient.PeerInfo> call;
        try {
            // The client's own deadline ends the call; this bounds the page's wait even if it did not.
            call = client.info(r.address(), deadline).orTimeout(2 * deadline.toMillis() + 100, TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        return call.thenCompose(info -> {
            boolean deeper = depth < maxDepth;
            CompletableFuture<List<Node>> below = deeper && !info.replicas().isEmpty()
                    ? children(info.replicas(), depth + 1, seen)
                    : CompletableFuture.completedFuture(List.of());
            return below.thenApply(kids -> new Node(r.id(), r.address(), r.state(), info.role(), info.replId(),
                    info.offset(), r.ackOffset(), r.lagBytes(), r.lagMs(), info.master(), info.linkStatus(), null,
                    !deeper && !info.replicas().isEmpty(), kids));
        }).exceptionally(e -> leaf(r, describe(e)));
    }

    private static Node leaf(PeerInfoClient.PeerReplica r, String error) {
        return new Node(r.id(), r.address(), r.state(), "", "", -1, r.ackOffset(), r.lagBytes(), r.lagMs(), "", "",
                error, false, List.of());
    }

    private static String describe(Throwable e) {
        Throwable t = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
