package dev.replcache.transport.http;

import dev.replcache.keyspace.KeyspaceStats;
import dev.replcache.node.CacheNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** The whole dataset: its size (DBSIZE and friends) and FLUSHALL. */
@RestController
@RequestMapping("/v1/keyspace")
@Tag(name = "keyspace", description = "The whole dataset")
class KeyspaceController {

    private final CacheNode node;

    KeyspaceController(CacheNode node) {
        this.node = node;
    }

    @GetMapping
    @Operation(operationId = "keyspaceStats", summary = "Keys stored (DBSIZE, including expired keys not yet removed), keys with a TTL, estimated memory")
    Json.KeyspaceResponse stats() {
        KeyspaceStats stats = node.keyspace().stats();
        return new Json.KeyspaceResponse(stats.keys(), stats.expires(), stats.memoryBytes());
    }

    @DeleteMapping
    @Operation(operationId = "flushAll", summary = "FLUSHALL: removes every key")
    @ApiResponse(responseCode = "204", description = "done")
    ResponseEntity<Void> flushAll() {
        node.writableKeyspace().flushAll();
        return ResponseEntity.noContent().build();
    }
}
