package dev.replcache.transport.http;

import dev.replcache.keyspace.Bytes;
import dev.replcache.keyspace.Keyspace;
import dev.replcache.keyspace.KeyspaceException;
import dev.replcache.keyspace.ScanPage;
import dev.replcache.keyspace.SetCondition;
import dev.replcache.keyspace.SetResult;
import dev.replcache.keyspace.Ttl;
import dev.replcache.node.CacheNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * String keys and the generic key commands: SET, GET, GETDEL, DEL, EXISTS, INCRBY, APPEND,
 * PTTL, PEXPIRE(AT), PERSIST and SCAN. Translates, calls the node, and leaves errors to
 * {@link HttpProblemHandler}.
 */
@RestController
@RequestMapping("/v1/keys")
@Tag(name = "keys", description = "String values and generic key commands")
class KeyController {

    /** How a raw-bytes request body appears in the OpenAPI document. */
    static final String BINARY = "application/octet-stream";

    private final CacheNode node;

    KeyController(CacheNode node) {
        this.node = node;
    }

    @GetMapping("/{key}")
    @Operation(operationId = "get", summary = "GET: the value's raw bytes")
    @ApiResponse(responseCode = "200", content = @Content(mediaType = BINARY, schema = @Schema(type = "string", format = "binary")))
    @ApiResponse(responseCode = "404", description = "no such key")
    @ApiResponse(responseCode = "409", description = "the key holds a hash")
    ResponseEntity<byte[]> get(@PathKey Bytes key) {
        Bytes value = node.keyspace().get(key);
        if (value == null) {
            throw ApiProblemException.keyNotFound();
        }
        return bytes(value);
    }

    @RequestMapping(value = "/{key}", method = RequestMethod.HEAD)
    @Operation(operationId = "exists", summary = "EXISTS: 200 when the key exists (any type), 404 when not")
    @ApiResponse(responseCode = "200", description = "the key exists")
    @ApiResponse(responseCode = "404", description = "no such key")
    ResponseEntity<Void> exists(@PathKey Bytes key) {
        if (node.keyspace().exists(List.of(key)) == 0) {
            throw ApiProblemException.keyNotFound();
        }
        return ResponseEntity.ok().build();
    }

    @PutMapping("/{key}")
    @Operation(operationId = "set", summary = "SET: the body is the value (raw bytes, any Content-Type)",
            description = "If-None-Match: * = NX, If-Match: * = XX (412 when not met). ttl = EX/PX, expireAt = PXAT,"
                    + " keepTtl = KEEPTTL (at most one). get=true = SET ... GET: 200 with the previous value,"
                    + " 204 when there was none.")
    @io.swagger.v3.oas.annotations.parameters.RequestBody(content = @Content(mediaType = BINARY,
            schema = @Schema(type = "string", format = "binary")))
    @ApiResponse(responseCode = "204", description = "set")
    @ApiResponse(responseCode = "200", description = "set; the previous value (get=true)",
            content = @Content(mediaType = BINARY, schema = @Schema(type = "string", format = "binary")))
    @ApiResponse(responseCode = "412", description = "If-None-Match / If-Match not met")
    @ApiResponse(responseCode = "413", description = "value over replcache.limits.max-value-bytes")
    ResponseEntity<byte[]> set(
            @PathKey Bytes key,
            @Parameter(description = "relative TTL: 10s, 500ms, 1m, 1h, 1d, PT1M, or whole seconds")
            @RequestParam(required = false) String ttl,
            @Parameter(description = "absolute expiry, Unix milliseconds (PXAT)")
            @RequestParam(required = false) String expireAt,
            @Parameter(description = "keep the key's current TTL (KEEPTTL)")
            @RequestParam(required = false) String keepTtl,
            @Parameter(description = "return the previous value (SET ... GET)")
            @RequestParam(required = false) String get,
            @Parameter(description = "* = only if the key does not exist (NX)")
            @RequestHeader(value = HttpHeaders.IF_NONE_MATCH, required = false) String ifNoneMatch,
            @Parameter(description = "* = only if the key exists (XX)")
            @RequestHeader(value = HttpHeaders.IF_MATCH, required = false) String ifMatch,
            HttpServletRequest request) {
        Ttl expiry = QueryParams.ttl(ttl, expireAt, keepTtl);
        boolean returnPrevious = QueryParams.flag(get, "get");
        SetCondition condition = condition(ifNoneMatch, ifMatch);
        // Parameters first: a bad one is answered without reading a possibly large body.
        Bytes value = RawBody.readValue(request, node.limits());
        SetResult result = node.writableKeyspace().set(key, value, condition, expiry, returnPrevious);
        if (!result.applied()) {
            throw new ApiProblemException(ProblemType.CONDITION_FAILED, condition == SetCondition.IF_ABSENT
                    ? "the key exists (If-None-Match: *)" : "the key does not exist (If-Match: *)");
        }
        if (returnPrevious && result.previous() != null) {
            return bytes(result.previous());
        }
        return ResponseEntity.noContent().build();
    }

    @DeleteMapping("/{key}")
    @Operation(operationId = "del", summary = "DEL (204, or 404); get=true = GETDEL: 200 with the removed value")
    @ApiResponse(responseCode = "204", description = "deleted")
    @ApiResponse(responseCode = "200", description = "deleted; its value (get=true)",
            content = @Content(mediaType = BINARY, schema = @Schema(type = "string", format = "binary")))
    @ApiResponse(responseCode = "404", description = "no such key")
    ResponseEntity<byte[]> delete(@PathKey Bytes key,
                                  @Parameter(description = "return the removed value (GETDEL)")
                                  @RequestParam(required = false) String get) {
        if (QueryParams.flag(get, "get")) {
            Bytes value = node.writableKeyspace().getDel(key);
            if (value == null) {
                throw ApiProblemException.keyNotFound();
            }
            return bytes(value);
        }
        if (node.writableKeyspace().del(List.of(key)) == 0) {
            throw ApiProblemException.keyNotFound();
        }
        return ResponseEntity.noContent().build();
    }

    @PostMapping("/{key}/incr")
    @Operation(operationId = "incrBy", summary = "INCRBY: adds by (default 1, may be negative) to the integer value; a missing key counts as 0")
    @ApiResponse(responseCode = "200", description = "the new value")
    @ApiResponse(responseCode = "409", description = "the value is not an integer, the result would overflow, or the key holds a hash")
    Json.ValueResponse incr(@PathKey Bytes key,
                            @Parameter(description = "64-bit increment, default 1")
                            @RequestParam(required = false) String by) {
        long delta = by == null ? 1 : QueryParams.longParam(by, "by");
        return new Json.ValueResponse(node.writableKeyspace().incrBy(key, delta));
    }

    @PostMapping("/{key}/append")
    @Operation(operationId = "append", summary = "APPEND: the body (raw bytes) is appended; answers the new length")
    @io.swagger.v3.oas.annotations.parameters.RequestBody(content = @Content(mediaType = BINARY,
            schema = @Schema(type = "string", format = "binary")))
    Json.LengthResponse append(@PathKey Bytes key, HttpServletRequest request) {
        Bytes suffix = RawBody.readValue(request, node.limits());
        // Redis refuses an APPEND whose result passes proto-max-bulk-len; here the bound is
        // max-value-bytes, checked by the keyspace under its write lock.
        return new Json.LengthResponse(node.writableKeyspace().append(key, suffix, node.limits().maxValueBytes()));
    }

    @GetMapping("/{key}/ttl")
    @Operation(operationId = "pttl", summary = "PTTL and PEXPIRETIME: ttlMs -1 and expireAtMs null when the key has no TTL")
    @ApiResponse(responseCode = "200", description = "the key's TTL")
    @ApiResponse(responseCode = "404", description = "no such key")
    Json.TtlResponse getTtl(@PathKey Bytes key) {
        Keyspace keyspace = node.keyspace();
        long expireAt = keyspace.pexpireTime(key);
        long ttlMs = expireAt < 0 ? expireAt : keyspace.pttl(key);
        if (expireAt == -2 || ttlMs == -2) {
            throw ApiProblemException.keyNotFound();
        }
        if (expireAt == -1 || ttlMs == -1) {
            // No TTL, or it was removed between the two reads.
            return new Json.TtlResponse(-1, null);
        }
        return new Json.TtlResponse(ttlMs, expireAt);
    }

    @PutMapping("/{key}/ttl")
    @Operation(operationId = "pexpire", summary = "PEXPIRE (ttl) or PEXPIREAT (expireAt, Unix ms; a past time deletes the key, as Redis)")
    @ApiResponse(responseCode = "204", description = "TTL set")
    @ApiResponse(responseCode = "404", description = "no such key")
    ResponseEntity<Void> setTtl(@PathKey Bytes key,
                                @Parameter(description = "relative TTL: 10s, 500ms, 1m, 1h, 1d, PT1M, or whole seconds")
                                @RequestParam(required = false) String ttl,
                                @Parameter(description = "absolute expiry, Unix milliseconds")
                                @RequestParam(required = false) String expireAt) {
        if ((ttl == null) == (expireAt == null)) {
            throw ApiProblemException.invalid("give exactly one of ttl and expireAt");
        }
        boolean found;
        if (ttl != null) {
            long ms = QueryParams.ttlMillis(ttl, "ttl");
            // Redis's EXPIRE with a non-positive time deletes the key; over HTTP that is far
            // more likely a mistake, and SET answers it with "invalid expire time": do the same.
            if (ms <= 0) {
                throw QueryParams.invalidExpire();
            }
            found = node.writableKeyspace().pexpire(key, ms);
        } else {
            long at = QueryParams.longParam(expireAt, "expireAt");
            if (at <= 0) {
                throw QueryParams.invalidExpire();
            }
            found = node.writableKeyspace().pexpireAt(key, at);
        }
        if (!found) {
            throw ApiProblemException.keyNotFound();
        }
        return ResponseEntity.noContent().build();
    }

    @DeleteMapping("/{key}/ttl")
    @Operation(operationId = "persist", summary = "PERSIST: removes the TTL (204 also when there was none)")
    @ApiResponse(responseCode = "204", description = "the key has no TTL now")
    @ApiResponse(responseCode = "404", description = "no such key")
    ResponseEntity<Void> persist(@PathKey Bytes key) {
        Keyspace keyspace = node.writableKeyspace();
        if (!keyspace.persist(key) && keyspace.exists(List.of(key)) == 0) {
            throw ApiProblemException.keyNotFound();
        }
        return ResponseEntity.noContent().build();
    }

    @GetMapping
    @Operation(operationId = "scan", summary = "SCAN: one page of keys (as UTF-8 strings)",
            description = "Start with cursor=0 and pass each answer's cursor back until it is \"0\". Every key present"
                    + " for the whole scan is returned exactly once.")
    Json.ScanResponse scan(@Parameter(description = "glob pattern (Redis MATCH)") @RequestParam(required = false) String match,
                           @Parameter(description = "cursor from the previous page; 0 to start") @RequestParam(required = false) String cursor,
                           @Parameter(description = "keys to examine per page, a hint (Redis COUNT); default 10")
                           @RequestParam(required = false) String count) {
        long from = cursor == null || cursor.isEmpty() ? 0 : QueryParams.longParam(cursor, "cursor");
        int pageHint = 0;
        if (count != null) {
            long n = QueryParams.longParam(count, "count");
            if (n < 1) {
                throw new KeyspaceException(KeyspaceException.Kind.SYNTAX);
            }
            // A hint, as in Redis; capped so one request cannot ask for the whole keyspace at once.
            pageHint = (int) Math.min(n, node.limits().maxBatchKeys());
        }
        Bytes pattern = match == null || match.isEmpty() ? null : Bytes.utf8(match);
        ScanPage page = node.keyspace().scan(from, pattern, pageHint);
        return new Json.ScanResponse(Long.toString(page.nextCursor()),
                page.keys().stream().map(Bytes::utf8String).toList());
    }

    private static SetCondition condition(String ifNoneMatch, String ifMatch) {
        if (ifNoneMatch != null && ifMatch != null) {
            throw ApiProblemException.invalid("If-None-Match and If-Match exclude each other (NX and XX)");
        }
        if (ifNoneMatch != null) {
            requireStar(ifNoneMatch, HttpHeaders.IF_NONE_MATCH);
            return SetCondition.IF_ABSENT;
        }
        if (ifMatch != null) {
            requireStar(ifMatch, HttpHeaders.IF_MATCH);
            return SetCondition.IF_PRESENT;
        }
        return SetCondition.ALWAYS;
    }

    private static void requireStar(String value, String header) {
        if (!value.trim().equals("*")) {
            throw ApiProblemException.invalid(header + " supports only * (values have no ETags), got: " + value);
        }
    }

    static ResponseEntity<byte[]> bytes(Bytes value) {
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_OCTET_STREAM).body(value.unsafeArray());
    }
}
