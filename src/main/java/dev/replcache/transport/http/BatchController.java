package dev.replcache.transport.http;

import dev.replcache.keyspace.Bytes;
import dev.replcache.node.CacheNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.ArrayList;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** Multi-key commands with JSON bodies: MGET, MSET, DEL. Values travel as UTF-8 strings. */
@RestController
@Tag(name = "batch", description = "Multi-key commands (JSON, values as UTF-8 strings)")
class BatchController {

    private final CacheNode node;

    BatchController(CacheNode node) {
        this.node = node;
    }

    @PostMapping(value = "/v1/mget", consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "mget", summary = "MGET: one value per key, null for a missing key or one that holds a hash")
    Json.ValuesResponse mget(@RequestBody Json.KeysRequest request) {
        List<Bytes> values = node.keyspace().mget(request.checkedKeys(node.limits()));
        List<String> out = new ArrayList<>(values.size());
        for (Bytes v : values) {
            out.add(v == null ? null : v.utf8String());
        }
        return new Json.ValuesResponse(out);
    }

    @PostMapping(value = "/v1/mset", consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "mset", summary = "MSET: sets every entry (clearing TTLs) in one step")
    @ApiResponse(responseCode = "204", description = "done")
    ResponseEntity<Void> mset(@RequestBody Json.MsetRequest request) {
        node.writableKeyspace().mset(request.checkedEntries(node.limits()));
        return ResponseEntity.noContent().build();
    }

    @PostMapping(value = "/v1/del", consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "delMany", summary = "DEL: removes the keys, answers how many existed")
    Json.DeletedResponse del(@RequestBody Json.KeysRequest request) {
        return new Json.DeletedResponse(node.writableKeyspace().del(request.checkedKeys(node.limits())));
    }
}
