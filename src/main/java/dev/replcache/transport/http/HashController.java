package dev.replcache.transport.http;

import dev.replcache.keyspace.Bytes;
import dev.replcache.node.CacheNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Hashes: HGETALL, HSET, HGET, HDEL, HINCRBY; fields in paths are raw bytes, in JSON UTF-8 strings. */
@RestController
@RequestMapping("/v1/hashes/{key}")
@Tag(name = "hashes", description = "Hash values")
class HashController {

    private final CacheNode node;

    HashController(CacheNode node) {
        this.node = node;
    }

    @GetMapping
    @Operation(operationId = "hgetAll", summary = "HGETALL: the hash as a JSON object of UTF-8 strings, fields sorted")
    @ApiResponse(responseCode = "200", description = "the hash")
    @ApiResponse(responseCode = "404", description = "no such key")
    @ApiResponse(responseCode = "409", description = "the key holds a string")
    Map<String, String> getAll(@PathKey Bytes key) {
        Map<Bytes, Bytes> fields = node.keyspace().hgetAll(key);
        if (fields.isEmpty()) {
            throw ApiProblemException.keyNotFound();
        }
        Map<String, String> out = new LinkedHashMap<>();
        new TreeMap<>(fields).forEach((f, v) -> out.put(f.utf8String(), v.utf8String()));
        return out;
    }

    @PutMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "hset", summary = "HSET: sets the fields of a JSON object of strings; answers how many were new")
    Json.AddedResponse set(@PathKey Bytes key, @RequestBody Map<String, String> fields) {
        if (fields == null) {
            throw ApiProblemException.invalid("the body must be a JSON object of field names to string values");
        }
        Map<Bytes, Bytes> checked = Json.checkedPairs(fields, node.limits(), "fields", false);
        return new Json.AddedResponse(node.writableKeyspace().hset(key, checked));
    }

    @DeleteMapping
    @Operation(operationId = "hashDel", summary = "DEL: removes the key (whatever its type, as DEL)")
    @ApiResponse(responseCode = "204", description = "deleted")
    @ApiResponse(responseCode = "404", description = "no such key")
    ResponseEntity<Void> delete(@PathKey Bytes key) {
        if (node.writableKeyspace().del(List.of(key)) == 0) {
            throw ApiProblemException.keyNotFound();
        }
        return ResponseEntity.noContent().build();
    }

    @GetMapping("/fields/{field}")
    @Operation(operationId = "hget", summary = "HGET: the field's raw bytes")
    @ApiResponse(responseCode = "200", content = @Content(mediaType = KeyController.BINARY,
            schema = @Schema(type = "string", format = "binary")))
    @ApiResponse(responseCode = "404", description = "no such key or field")
    ResponseEntity<byte[]> getField(@PathKey Bytes key, @PathField Bytes field) {
        Bytes value = node.keyspace().hget(key, field);
        if (value == null) {
            throw ApiProblemException.fieldNotFound();
        }
        return KeyController.bytes(value);
    }

    @PutMapping("/fields/{field}")
    @Operation(operationId = "hsetField", summary = "HSET of one field: the body is the value (raw bytes, any Content-Type)")
    @io.swagger.v3.oas.annotations.parameters.RequestBody(content = @Content(mediaType = KeyController.BINARY,
            schema = @Schema(type = "string", format = "binary")))
    @ApiResponse(responseCode = "204", description = "set")
    ResponseEntity<Void> setField(@PathKey Bytes key, @PathField Bytes field, HttpServletRequest request) {
        Bytes value = RawBody.readValue(request, node.limits());
        node.writableKeyspace().hset(key, Map.of(field, value));
        return ResponseEntity.noContent().build();
    }

    @DeleteMapping("/fields/{field}")
    @Operation(operationId = "hdel", summary = "HDEL of one field (the key goes with its last field)")
    @ApiResponse(responseCode = "204", description = "deleted")
    @ApiResponse(responseCode = "404", description = "no such key or field")
    ResponseEntity<Void> deleteField(@PathKey Bytes key, @PathField Bytes field) {
        if (node.writableKeyspace().hdel(key, List.of(field)) == 0) {
            throw ApiProblemException.fieldNotFound();
        }
        return ResponseEntity.noContent().build();
    }

    @PostMapping("/fields/{field}/incr")
    @Operation(operationId = "hincrBy", summary = "HINCRBY: adds by (default 1, may be negative); a missing field counts as 0")
    @ApiResponse(responseCode = "200", description = "the new value")
    @ApiResponse(responseCode = "409", description = "the field is not an integer, the result would overflow, or the key holds a string")
    Json.ValueResponse incrField(@PathKey Bytes key, @PathField Bytes field,
                                 @Parameter(description = "64-bit increment, default 1")
                                 @RequestParam(required = false) String by) {
        long delta = by == null ? 1 : QueryParams.longParam(by, "by");
        return new Json.ValueResponse(node.writableKeyspace().hincrBy(key, field, delta));
    }
}
