package dev.replcache.ops;

import io.swagger.v3.oas.annotations.Operation;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.lang.reflect.Method;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerInterceptor;

/**
 * Times the HTTP API's operations into {@link OperationMetrics}. The command is the handler's
 * OpenAPI {@code operationId}, lower-cased ({@code get}, {@code set}, {@code incrby},
 * {@code mget}, ...); the outcome comes from the response status, after the problem handler
 * has mapped any exception. Only the API's controllers ({@code dev.replcache.transport.http})
 * are timed: not the status page, not the actuator.
 */
final class HttpOperationInterceptor implements HandlerInterceptor {

    private static final String API_PACKAGE = "dev.replcache.transport.http.";
    private static final String ATTRIBUTE = HttpOperationInterceptor.class.getName();

    /** What a request carries from preHandle to afterCompletion. */
    private record Started(OperationMetrics.Command command, long startNanos) {
    }

    private final OperationMetrics metrics;
    /** Per handler method: its command, or {@link #NOT_TIMED}. */
    private final ConcurrentHashMap<Method, Object> commands = new ConcurrentHashMap<>();
    private static final Object NOT_TIMED = new Object();

    HttpOperationInterceptor(OperationMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        if (handler instanceof HandlerMethod method) {
            Object command = commands.computeIfAbsent(method.getMethod(), this::commandFor);
            if (command != NOT_TIMED) {
                request.setAttribute(ATTRIBUTE, new Started((OperationMetrics.Command) command, System.nanoTime()));
            }
        }
        return true;
    }

    @Override
    public void afterCompletion(HttpServletRequest request, HttpServletResponse response, Object handler, Exception ex) {
        if (request.getAttribute(ATTRIBUTE) instanceof Started started) {
            int status = response.getStatus();
            if (ex != null && status < 400) {
                status = 500; // an exception nobody mapped
            }
            started.command().record(OperationMetrics.Outcome.ofHttpStatus(status), System.nanoTime() - started.startNanos());
        }
    }

    private Object commandFor(Method method) {
        if (!method.getDeclaringClass().getName().startsWith(API_PACKAGE)) {
            return NOT_TIMED;
        }
        Operation op = method.getAnnotation(Operation.class);
        String name = op != null && !op.operationId().isEmpty() ? op.operationId() : method.getName();
        return metrics.http(name.toLowerCase(Locale.ROOT));
    }
}
