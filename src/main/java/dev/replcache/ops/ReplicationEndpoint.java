package dev.replcache.ops;

import dev.replcache.node.CacheNode;
import dev.replcache.node.ReplicationView;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/** {@code /actuator/replication}: the node's replication view, as {@code GET /v1/replication} shows it. */
@Endpoint(id = "replication")
public class ReplicationEndpoint {

    private final CacheNode node;

    public ReplicationEndpoint(CacheNode node) {
        this.node = node;
    }

    @ReadOperation
    public ReplicationView replication() {
        return node.replicationView();
    }
}
