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

    /**
     * @param to        {@code host:port} of the target replica as it announced itself; absent = the most up-to-date one
     * @param timeoutMs how long to wait for the target to catch up; absent or 0 = replcache.replication.failover-timeout
     */
    record FailoverRequest(String to, Long timeoutMs) {
    }

    /** @param pausedMs how long client writes were paused */
    record FailoverResponse(String newMaster, long offset, long pausedMs) {
    }

    @PostMapping("/failover")
    @Operation(operationId = "failover", summary = "FAILOVER [TO host port] [TIMEOUT ms]: pause writes, wait until the target replica acked everything, hand the master role over and follow it; 409 when it cannot start or was aborted (writes resumed)")
    FailoverResponse failover(@RequestBody(required = false) FailoverRequest request) {
        HostPort to = null;
        long timeoutMs = 0;
        if (request != null) {
            if (request.to() != null && !request.to().isBlank()) {
                try {
                    to = HostPort.parse(request.to().trim(), "to");
                } catch (IllegalArgumentException e) {
                    throw new InvalidRequestException(e.getMessage());
                }
            }
            if (request.timeoutMs() != null) {
                if (request.timeoutMs() < 0) {
                    throw new InvalidRequestException("timeoutMs must not be negative");
                }
                timeoutMs = request.timeoutMs();
            }
        }
        var result = Futures.await(node.failover(to, timeoutMs));
        return new FailoverResponse(result.newMaster(), result.offset(), result.pausedMs());
    }

    @PostMapping("/master/disconnect")
    @Operation(operationId = "disconnectMaster", summary = "Drop the link to the master (CLIENT KILL TYPE master); it reconnects and resyncs partially when it can")
    ResponseEntity<Void> disconnect() {
        node.disconnectFromMaster("operator asked to disconnect");
        return ResponseEntity.noContent().build();
    }
}
