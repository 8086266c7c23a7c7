package dev.replcache.transport.http;

import dev.replcache.node.CacheNode;
import dev.replcache.node.InvalidRequestException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;

/** WAIT numreplicas timeout. */
@RestController
@Tag(name = "replication", description = "Role, replication ids and offsets, master link, replicas")
class WaitController {

    private final CacheNode node;

    WaitController(CacheNode node) {
        this.node = node;
    }

    /**
     * @param replicas  how many replicas must ack
     * @param timeoutMs how long to wait at most; 0 or absent = as long as max-wait-timeout allows
     * @param offset    the stream offset to wait for; absent = this master's offset now, which
     *                  covers every write the caller completed before
     */
    record WaitRequest(Integer replicas, Long timeoutMs, Long offset) {
    }

    /** @param replicas how many replicas acked {@code offset} */
    record WaitResponse(int replicas, long offset) {
    }

    @PostMapping("/v1/wait")
    @Operation(operationId = "wait", summary = "WAIT numreplicas timeout: block until that many replicas acked every write before the call, or the timeout; returns how many did")
    DeferredResult<WaitResponse> waitForReplicas(@RequestBody WaitRequest request) {
        if (request == null || request.replicas() == null) {
            throw new InvalidRequestException("body must be {\"replicas\": n, \"timeoutMs\": t}");
        }
        long timeoutMs = request.timeoutMs() == null ? 0 : request.timeoutMs();
        if (request.offset() != null && request.offset() < 0) {
            throw new InvalidRequestException("offset must not be negative");
        }
        long offset = request.offset() == null ? node.offset() : request.offset();
        // Answered when the acks are in or the node's timer fires, without holding a servlet thread
        // meanwhile (blocked WAITs must not starve other requests, probes included). The node's
        // future always completes by max-wait-timeout; the request's own timeout is only a guard.
        DeferredResult<WaitResponse> result = new DeferredResult<>(node.maxWaitTimeoutMs() + 10_000);
        node.waitForReplicas(offset, request.replicas(), timeoutMs).whenComplete((acked, error) -> {
            if (error != null) {
                result.setErrorResult(Futures.cause(error));
            } else {
                result.setResult(new WaitResponse(acked, offset));
            }
        });
        return result;
    }
}
