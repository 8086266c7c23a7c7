package dev.replcache.transport.http;

import dev.replcache.config.ReplicationProperties.HostPort;
import dev.replcache.node.CacheNode;
import dev.replcache.node.InvalidRequestException;
import dev.replcache.node.ReplicationView;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** The node's replication: its view, REPLICAOF, promotion, and dropping the master link. */
@RestController
@RequestMapping("/v1/replication")
@Tag(name = "replication", description = "Role, replication ids and offsets, master link, replicas")
class ReplicationController {

    private final CacheNode node;

    ReplicationController(CacheNode node) {
        this.node = node;
    }

    /** {@code {"host": "...", "port": 9090}}: the master's gRPC address. */
    record MasterAddress(String host, Integer port) {
    }

    @GetMapping
    @Operation(operationId = "replicationInfo", summary = "INFO replication: role, replId/replId2, offset, backlog, master link and sync progress, replicas with ack offsets and lag")
    ReplicationView info() {
        return node.replicationView();
    }

    @PutMapping("/master")
    @Operation(operationId = "replicaOf", summary = "REPLICAOF host port: follow this master (its gRPC address)")
    ReplicationView replicaOf(@RequestBody MasterAddress address) {
        if (address == null || address.host() == null || address.port() == null) {
            throw new InvalidRequestException("body must be {\"host\": ..., \"port\": ...}");
        }
        HostPort target;
        try {
            target = new HostPort(address.host(), address.port());
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(e.getMessage());
        }
        node.replicaOf(target);
        return node.replicationView();
    }

    @DeleteMapping("/master")
    @Operation(operationId = "promote", summary = "REPLICAOF NO ONE: become a master, keeping the history as replId2")
    ReplicationView promote() {
        node.promote();
        return node.replicationView();
    }

    @PostMapping("/master/disconnect")
    @Operation(operationId = "disconnectMaster", summary = "Drop the link to the master (CLIENT KILL TYPE master); it reconnects and resyncs partially when it can")
    ResponseEntity<Void> disconnect() {
        node.disconnectFromMaster("operator asked to disconnect");
        return ResponseEntity.noContent().build();
    }
}
