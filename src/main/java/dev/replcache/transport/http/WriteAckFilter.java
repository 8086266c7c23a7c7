package dev.replcache.transport.http;

import dev.replcache.node.CacheNode;
import dev.replcache.node.InvalidRequestException;
import dev.replcache.node.WriteMarker;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.util.ContentCachingResponseWrapper;

/**
 * Holds a write's response for an inline WAIT ({@code Wait-Replicas: n}, optional
 * {@code Wait-Timeout: ms}; the response then carries {@code Replicas-Acked}) and for the
 * slow-replica throttle. The body is buffered so that the header can still be set after the
 * write; a request wrote when its handler went through {@code writableKeyspace()}
 * ({@link WriteMarker}). Headers are parsed by {@link #headerCheck()} inside Spring MVC, so a bad
 * value is a 400 problem like any other.
 */
class WriteAckFilter extends OncePerRequestFilter {

    static final String WAIT_REPLICAS = "Wait-Replicas";
    static final String WAIT_TIMEOUT = "Wait-Timeout";
    static final String REPLICAS_ACKED = "Replicas-Acked";
    private static final String PARSED = WriteAckFilter.class.getName() + ".wait";

    private record Wait(int replicas, long timeoutMs) {
    }

    private final CacheNode node;

    WriteAckFilter(CacheNode node) {
        this.node = node;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        boolean waitAsked = request.getHeader(WAIT_REPLICAS) != null;
        if (!waitAsked && !node.throttles()) {
            chain.doFilter(request, response);
            return;
        }
        ContentCachingResponseWrapper held = new ContentCachingResponseWrapper(response);
        WriteMarker.clear();
        try {
            chain.doFilter(request, held);
            if (WriteMarker.take() && held.getStatus() < 400) {
                holdWrite(request, held);
            }
        } finally {
            held.copyBodyToResponse();
        }
    }

    private void holdWrite(HttpServletRequest request, ContentCachingResponseWrapper held) {
        long delayMs = node.throttleDelayForWrite();
        if (delayMs > 0) {
            try {
                Thread.sleep(delayMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (request.getAttribute(PARSED) instanceof Wait wait) {
            int acked = Futures.await(node.waitForReplicas(node.offset(), wait.replicas(), wait.timeoutMs()));
            held.setHeader(REPLICAS_ACKED, Integer.toString(acked));
        }
    }

    /** Checks the wait headers before the handler runs; a bad one is a 400 problem and nothing is written. */
    static HandlerInterceptor headerCheck() {
        return new HandlerInterceptor() {
            @Override
            public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
                String replicas = request.getHeader(WAIT_REPLICAS);
                if (replicas != null) {
                    String timeout = request.getHeader(WAIT_TIMEOUT);
                    request.setAttribute(PARSED, new Wait((int) parse(replicas, WAIT_REPLICAS, Integer.MAX_VALUE),
                            timeout == null ? 0 : parse(timeout, WAIT_TIMEOUT, Long.MAX_VALUE)));
                }
                return true;
            }
        };
    }

    private static long parse(String text, String header, long max) {
        try {
            long v = Long.parseLong(text.trim());
            if (v >= 0 && v <= max) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // fall through
        }
        throw new InvalidRequestException(header + " must be a non-negative integer, got '" + text + "'");
    }
}
