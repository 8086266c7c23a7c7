package dev.replcache.ops;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.Resource;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The status page ({@code /}, with its script and style sheet, mapped one by one so that every
 * other path stays a 404 problem) and the JSON behind it that {@code /v1/replication} does not
 * have: the lag history and the replication tree with sub-replicas.
 */
@RestController
@Tag(name = "operations", description = "Status page data: replication history and topology")
class OpsController {

    private static final MediaType JAVASCRIPT = MediaType.parseMediaType("text/javascript;charset=UTF-8");
    private static final MediaType CSS = MediaType.parseMediaType("text/css;charset=UTF-8");
    private static final MediaType HTML = MediaType.parseMediaType("text/html;charset=UTF-8");

    private final ReplicationHistory history;
    private final Topology topology;

    OpsController(ReplicationHistory history, Topology topology) {
        this.history = history;
        this.topology = topology;
    }

    @GetMapping("/")
    @Operation(hidden = true)
    ResponseEntity<Resource> page() {
        return file("static/index.html", HTML);
    }

    @GetMapping("/status.js")
    @Operation(hidden = true)
    ResponseEntity<Resource> script() {
        return file("static/status.js", JAVASCRIPT);
    }

    @GetMapping("/status.css")
    @Operation(hidden = true)
    ResponseEntity<Resource> style() {
        return file("static/status.css", CSS);
    }

    private static ResponseEntity<Resource> file(String path, MediaType type) {
        return ResponseEntity.ok().contentType(type).cacheControl(CacheControl.noCache())
                .body(new ClassPathResource(path));
    }

    @GetMapping("/v1/replication/history")
    @Operation(operationId = "replicationHistory", summary = "Offset and lag samples (every replcache.ops.history-interval, "
            + "over replcache.ops.history-window): this node's offset, its link's lag (replica), each replica's lag (master)")
    ReplicationHistory.View history() {
        return history.view();
    }

    @GetMapping("/v1/replication/topology")
    @Operation(operationId = "replicationTopology", summary = "The replication tree below this node: its replicas and what "
            + "each says of itself and its own replicas (gRPC Info, short deadline, bounded depth); errors per node")
    Topology.Node topology() {
        return topology.tree();
    }
}
