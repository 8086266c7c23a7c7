package dev.replcache.transport.http;

import java.net.URI;
import org.springframework.http.HttpStatus;

/**
 * Every kind of error the HTTP API answers, each with a stable {@code type} URI (RFC 7807) that
 * clients may switch on. The slugs are a public contract: add new ones, never rename.
 */
enum ProblemType {
    /** A malformed request: empty key, unparsable parameter, conflicting options. */
    INVALID_REQUEST("invalid-request", "Invalid request", HttpStatus.BAD_REQUEST),
    /** A request body that is not the JSON the route expects. */
    MALFORMED_BODY("malformed-body", "Malformed request body", HttpStatus.BAD_REQUEST),
    /** Redis's "ERR syntax error" (bad cursor, conflicting options). */
    SYNTAX("syntax", "Syntax error", HttpStatus.BAD_REQUEST),
    /** A TTL of zero, a negative one, or one out of range. */
    INVALID_EXPIRE("invalid-expire", "Invalid expire time", HttpStatus.BAD_REQUEST),
    /** replcache.http.auth-token is set and the request has no bearer token, or a wrong one. */
    UNAUTHORIZED("unauthorized", "Unauthorized", HttpStatus.UNAUTHORIZED),
    /** A key, field, value or body over its configured limit; the detail names the property. */
    LIMIT_EXCEEDED("limit-exceeded", "Limit exceeded", HttpStatus.CONTENT_TOO_LARGE),
    /** The key holds another type than the route works on. */
    WRONGTYPE("wrongtype", "Wrong type", HttpStatus.CONFLICT),
    /** The stored value is not a 64-bit integer. */
    NOT_INTEGER("not-integer", "Not an integer", HttpStatus.CONFLICT),
    /** The stored hash field is not a 64-bit integer. */
    HASH_NOT_INTEGER("hash-not-integer", "Hash value not an integer", HttpStatus.CONFLICT),
    /** An increment would leave the 64-bit range. */
    OVERFLOW("overflow", "Increment would overflow", HttpStatus.CONFLICT),
    /** max-memory is reached and the eviction policy cannot free enough. */
    OOM("oom", "Out of memory", HttpStatus.INSUFFICIENT_STORAGE),
    /** The key does not exist. */
    KEY_NOT_FOUND("key-not-found", "Key not found", HttpStatus.NOT_FOUND),
    /** The hash has no such field (or the hash does not exist). */
    FIELD_NOT_FOUND("field-not-found", "Field not found", HttpStatus.NOT_FOUND),
    /** If-None-Match / If-Match (NX / XX) was not met. */
    CONDITION_FAILED("condition-failed", "Precondition failed", HttpStatus.PRECONDITION_FAILED),
    /** No route has this path. */
    NO_ROUTE("no-route", "No such route", HttpStatus.NOT_FOUND),
    /** The route exists, not with this method. */
    METHOD_NOT_ALLOWED("method-not-allowed", "Method not allowed", HttpStatus.METHOD_NOT_ALLOWED),
    /** The route cannot produce any type the Accept header allows. */
    NOT_ACCEPTABLE("not-acceptable", "Not acceptable", HttpStatus.NOT_ACCEPTABLE),
    /** The route does not read this Content-Type. */
    UNSUPPORTED_MEDIA_TYPE("unsupported-media-type", "Unsupported media type", HttpStatus.UNSUPPORTED_MEDIA_TYPE),
    /** A write sent to a replica (Redis's READONLY); the body names the master. */
    READ_ONLY_REPLICA("read-only-replica", "Read-only replica", HttpStatus.CONFLICT),
    /** Fewer good replicas than min-replicas-to-write (Redis's NOREPLICAS); reads still work. */
    NOT_ENOUGH_REPLICAS("not-enough-replicas", "Not enough good replicas", HttpStatus.SERVICE_UNAVAILABLE),
    /** Writes are held while a failover hands the master role over; retry shortly. */
    WRITES_PAUSED("writes-paused", "Writes paused", HttpStatus.SERVICE_UNAVAILABLE),
    /** A failover that could not start (no replica, already running, on a replica) or was aborted. */
    FAILOVER_FAILED("failover-failed", "Failover failed", HttpStatus.CONFLICT),
    /** A save was asked for while another runs (Redis's "Background save already in progress"). */
    SAVE_IN_PROGRESS("save-in-progress", "Save already in progress", HttpStatus.CONFLICT),
    /** The dump file could not be written; the detail names the file and the cause. */
    SAVE_FAILED("save-failed", "Save failed", HttpStatus.INTERNAL_SERVER_ERROR),
    /** The node is shutting down and takes no more writes; retry elsewhere or after its restart. */
    NODE_STOPPING("node-stopping", "Node is shutting down", HttpStatus.SERVICE_UNAVAILABLE),
    /** failover.mode=lease: this node does not hold the master lease and no master is known yet; retry shortly. */
    NO_MASTER("no-master", "No master elected", HttpStatus.SERVICE_UNAVAILABLE),
    /** Our bug: logged on the server, never described in the body. */
    INTERNAL("internal", "Internal error", HttpStatus.INTERNAL_SERVER_ERROR);

    static final String BASE = "https://replcache.dev/problems/";

    private final URI uri;
    private final String title;
    private final HttpStatus status;

    ProblemType(String slug, String title, HttpStatus status) {
        this.uri = URI.create(BASE + slug);
        this.title = title;
        this.status = status;
    }

    URI uri() {
        return uri;
    }

    String title() {
        return title;
    }

    HttpStatus status() {
        return status;
    }

    /** The type for a Spring MVC error that carries only a status. */
    static ProblemType forStatus(int status) {
        switch (status) {
            case 400: return INVALID_REQUEST;
            case 401: return UNAUTHORIZED;
            case 404: return NO_ROUTE;
            case 405: return METHOD_NOT_ALLOWED;
            case 406: return NOT_ACCEPTABLE;
            case 412: return CONDITION_FAILED;
            case 413: return LIMIT_EXCEEDED;
            case 415: return UNSUPPORTED_MEDIA_TYPE;
            default: return status >= 500 ? INTERNAL : INVALID_REQUEST;
        }
    }
}
