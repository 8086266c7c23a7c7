package dev.replcache.transport.http;

import dev.replcache.keyspace.KeyspaceException;
import dev.replcache.node.InvalidRequestException;
import dev.replcache.node.FailoverException;
import dev.replcache.node.LimitExceededException;
import dev.replcache.node.NotEnoughReplicasException;
import dev.replcache.node.NoLeaseException;
import dev.replcache.node.NodeStoppingException;
import dev.replcache.node.ReadOnlyReplicaException;
import dev.replcache.node.SaveFailedException;
import dev.replcache.node.SaveInProgressException;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.i18n.LocaleContextHolder;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.ErrorResponse;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.NoHandlerFoundException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.web.servlet.resource.NoResourceFoundException;
import org.springframework.web.util.DisconnectedClientHelper;
import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.exc.StreamReadException;

/**
 * Every error as an RFC 7807 {@code application/problem+json} body with a stable
 * {@link ProblemType} URI. Client errors carry Redis's message (or ours) in {@code detail};
 * an unexpected exception is logged and answered 500 with no internals.
 *
 * <p>Spring MVC's own errors (no route, wrong method, bad media type, unreadable body) come
 * through {@link ResponseEntityExceptionHandler} and get their type in
 * {@link #handleExceptionInternal}.
 */
@RestControllerAdvice
class HttpProblemHandler extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(HttpProblemHandler.class);

    @ExceptionHandler(KeyspaceException.class)
    ResponseEntity<Object> keyspace(KeyspaceException e, WebRequest request) {
        ProblemType type = switch (e.kind()) {
            case WRONGTYPE -> ProblemType.WRONGTYPE;
            case NOT_INTEGER -> ProblemType.NOT_INTEGER;
            case HASH_NOT_INTEGER -> ProblemType.HASH_NOT_INTEGER;
            case OVERFLOW -> ProblemType.OVERFLOW;
            case INVALID_EXPIRE -> ProblemType.INVALID_EXPIRE;
            case SYNTAX -> ProblemType.SYNTAX;
            case OOM -> ProblemType.OOM;
            case STRING_TOO_LONG -> ProblemType.LIMIT_EXCEEDED;
            case PAUSED -> ProblemType.WRITES_PAUSED;
            case READONLY -> ProblemType.READ_ONLY_REPLICA;
        };
        if (type == ProblemType.WRITES_PAUSED) {
            return retryLater(e, type, request);
        }
        return problem(e, type, e.getMessage(), request);
    }

    @ExceptionHandler(InvalidRequestException.class)
    ResponseEntity<Object> invalid(InvalidRequestException e, WebRequest request) {
        return problem(e, ProblemType.INVALID_REQUEST, e.getMessage(), request);
    }

    @ExceptionHandler(ReadOnlyReplicaException.class)
    ResponseEntity<Object> readOnly(ReadOnlyReplicaException e, WebRequest request) {
        ProblemDetail body = body(ProblemType.READ_ONLY_REPLICA, e.getMessage());
        body.setProperty("master", e.masterAddress());
        return handleExceptionInternal(e, body, new HttpHeaders(), ProblemType.READ_ONLY_REPLICA.status(), request);
    }

    @ExceptionHandler(NotEnoughReplicasException.class)
    ResponseEntity<Object> notEnoughReplicas(NotEnoughReplicasException e, WebRequest request) {
        ProblemDetail body = body(ProblemType.NOT_ENOUGH_REPLICAS, e.getMessage());
        body.setProperty("goodReplicas", e.good());
        body.setProperty("minReplicasToWrite", e.required());
        return handleExceptionInternal(e, body, new HttpHeaders(), ProblemType.NOT_ENOUGH_REPLICAS.status(), request);
    }

    @ExceptionHandler(FailoverException.class)
    ResponseEntity<Object> failover(FailoverException e, WebRequest request) {
        ProblemDetail body = body(ProblemType.FAILOVER_FAILED, e.getMessage());
        body.setProperty("aborted", e.started() && !e.outcomeUnknown());
        body.setProperty("outcomeUnknown", e.outcomeUnknown());
        return handleExceptionInternal(e, body, new HttpHeaders(), ProblemType.FAILOVER_FAILED.status(), request);
    }

    @ExceptionHandler(LimitExceededException.class)
    ResponseEntity<Object> limit(LimitExceededException e, WebRequest request) {
        ProblemDetail body = body(ProblemType.LIMIT_EXCEEDED, e.getMessage());
        body.setProperty("property", e.property());
        body.setProperty("limit", e.limit());
        return handleExceptionInternal(e, body, new HttpHeaders(), ProblemType.LIMIT_EXCEEDED.status(), request);
    }

    @ExceptionHandler(SaveInProgressException.class)
    ResponseEntity<Object> saveInProgress(SaveInProgressException e, WebRequest request) {
        return problem(e, ProblemType.SAVE_IN_PROGRESS, e.getMessage(), request);
    }

    /** The operator's disk, not our internals: the message names the file and the cause. */
    @ExceptionHandler(SaveFailedException.class)
    ResponseEntity<Object> saveFailed(SaveFailedException e, WebRequest request) {
        return problem(e, ProblemType.SAVE_FAILED, e.getMessage(), request);
    }

    @ExceptionHandler(NodeStoppingException.class)
    ResponseEntity<Object> stopping(NodeStoppingException e, WebRequest request) {
        return retryLater(e, ProblemType.NODE_STOPPING, request);
    }

    @ExceptionHandler(NoLeaseException.class)
    ResponseEntity<Object> noLease(NoLeaseException e, WebRequest request) {
        return retryLater(e, ProblemType.NO_MASTER, request);
    }

    /** A refusal that passes by itself (a pause, a shutdown, an election): the problem with Retry-After: 1. */
    private ResponseEntity<Object> retryLater(Exception e, ProblemType type, WebRequest request) {
        HttpHeaders headers = new HttpHeaders();
        headers.set(HttpHeaders.RETRY_AFTER, "1");
        return handleExceptionInternal(e, body(type, e.getMessage()), headers, type.status(), request);
    }

    @ExceptionHandler(ApiProblemException.class)
    ResponseEntity<Object> api(ApiProblemException e, WebRequest request) {
        return problem(e, e.type(), e.getMessage(), request);
    }

    /** Thrown by {@link BearerAuthFilter} and routed here, so a 401 looks like every other problem. */
    @ExceptionHandler(BearerAuthFilter.UnauthorizedException.class)
    ResponseEntity<Object> unauthorized(BearerAuthFilter.UnauthorizedException e, WebRequest request) {
        HttpHeaders headers = new HttpHeaders();
        headers.set(HttpHeaders.WWW_AUTHENTICATE, e.challenge());
        return handleExceptionInternal(e, body(ProblemType.UNAUTHORIZED, e.getMessage()), headers,
                ProblemType.UNAUTHORIZED.status(), request);
    }

    /** Our bug, or a library's: log it whole, tell the client nothing of it. */
    @ExceptionHandler(Exception.class)
    ResponseEntity<Object> unexpected(Exception e, WebRequest request) {
        if (DisconnectedClientHelper.isClientDisconnectedException(e)) {
            log.debug("Client went away: {}", e.toString());
            return null;
        }
        HttpServletRequest servlet = ((NativeWebRequest) request).getNativeRequest(HttpServletRequest.class);
        log.error("Unexpected error on {} {}", servlet == null ? "?" : servlet.getMethod(),
                servlet == null ? "?" : servlet.getRequestURI(), e);
        return problem(e, ProblemType.INTERNAL, "internal error; the server log has the details", request);
    }

    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException ex, HttpHeaders headers,
                                                                  HttpStatusCode status, WebRequest request) {
        // A JSON body cut off by JsonBodyLimit arrives here wrapped by Jackson.
        for (Throwable t = ex; t != null; t = t.getCause()) {
            if (t instanceof LimitExceededException limitExceeded) {
                return limit(limitExceeded, request);
            }
        }
        return handleExceptionInternal(ex, body(ProblemType.MALFORMED_BODY, describe(ex)), headers, status, request);
    }

    @Override
    protected ResponseEntity<Object> handleNoResourceFoundException(NoResourceFoundException ex, HttpHeaders headers,
                                                                    HttpStatusCode status, WebRequest request) {
        return handleExceptionInternal(ex, body(ProblemType.NO_ROUTE, noRoute(ex.getHttpMethod().name(), ex.getResourcePath())),
                headers, status, request);
    }

    @Override
    protected ResponseEntity<Object> handleNoHandlerFoundException(NoHandlerFoundException ex, HttpHeaders headers,
                                                                   HttpStatusCode status, WebRequest request) {
        return handleExceptionInternal(ex, body(ProblemType.NO_ROUTE, noRoute(ex.getHttpMethod(), ex.getRequestURL())),
                headers, status, request);
    }

    /** Gives Spring's problems (about:blank) our type for their status, and every problem its instance. */
    @Override
    protected ResponseEntity<Object> handleExceptionInternal(Exception ex, Object body, HttpHeaders headers,
                                                             HttpStatusCode statusCode, WebRequest request) {
        if (body == null && ex instanceof ErrorResponse errorResponse) {
            // Spring's handlers pass no body and let the base class take the exception's own.
            body = errorResponse.updateAndGetBody(getMessageSource(), LocaleContextHolder.getLocale());
        }
        if (body instanceof ProblemDetail problem) {
            if (problem.getType() == null || URI.create("about:blank").equals(problem.getType())) {
                ProblemType type = ProblemType.forStatus(statusCode.value());
                problem.setType(type.uri());
                problem.setTitle(type.title());
            }
            if (problem.getInstance() == null) {
                HttpServletRequest servlet = ((NativeWebRequest) request).getNativeRequest(HttpServletRequest.class);
                if (servlet != null) {
                    problem.setInstance(URI.create(servlet.getRequestURI()));
                }
            }
        }
        return super.handleExceptionInternal(ex, body, headers, statusCode, request);
    }

    private ResponseEntity<Object> problem(Exception e, ProblemType type, String detail, WebRequest request) {
        return handleExceptionInternal(e, body(type, detail), new HttpHeaders(), type.status(), request);
    }

    private static ProblemDetail body(ProblemType type, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(type.status(), detail);
        problem.setType(type.uri());
        problem.setTitle(type.title());
        return problem;
    }

    private static String noRoute(String method, String path) {
        String shown = path.startsWith("/") ? path : "/" + path;
        return "no route for " + method + " " + shown + "; the API lives under /v1 (see /v3/api-docs)";
    }

    /**
     * What was wrong with a body, without Java class names: Jackson's own messages name the
     * target types, so only its location and path are used.
     */
    private static String describe(HttpMessageNotReadableException ex) {
        Throwable cause = ex.getCause();
        if (cause instanceof StreamReadException read) {
            TokenStreamLocation at = read.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            return "malformed JSON" + where + ": " + read.getOriginalMessage();
        }
        if (cause instanceof JacksonException jackson) {
            String path = path(jackson.getPath());
            return path.isEmpty() ? "the JSON body does not have the shape this route expects"
                    : "the JSON value at '" + path + "' does not have the type this route expects";
        }
        return ex.getCause() == null && ex.getMessage() != null && ex.getMessage().startsWith("Required request body")
                ? "a JSON request body is required" : "the request body could not be read";
    }

    private static String path(List<JacksonException.Reference> refs) {
        StringBuilder sb = new StringBuilder();
        for (JacksonException.Reference r : refs) {
            if (r.getPropertyName() != null) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(r.getPropertyName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }
}
