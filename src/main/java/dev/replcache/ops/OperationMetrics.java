package dev.replcache.ops;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Client operations as one timer, {@code replcache.operations} (Prometheus:
 * {@code replcache_operations_seconds_*}), tagged by transport, command and outcome, with a
 * fixed-bucket latency histogram. Both transports record through it.
 *
 * <p>Cheap on the request path: a transport looks up its {@link Command} once per method (and
 * caches it); recording is an array read and {@link Timer#record}. Timers are made on first use
 * per outcome, so a command that never fails has no error series.
 */
public final class OperationMetrics {

    public static final String NAME = "replcache.operations";

    /** Histogram buckets: an in-memory cache answers in microseconds; the tail is what matters. */
    private static final Duration[] BUCKETS = {
            Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000),
            Duration.ofMillis(1), Duration.ofNanos(2_500_000), Duration.ofMillis(5), Duration.ofMillis(10),
            Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
            Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofNanos(2_500_000_000L)};

    /** How an operation ended, as the {@code outcome} tag. */
    public enum Outcome {
        /** Done (HTTP 2xx/3xx, gRPC OK). */
        OK,
        /** The key (or route) does not exist (HTTP 404, gRPC NOT_FOUND). */
        NOT_FOUND,
        /** The request was refused: malformed, over a limit, wrong type, a write on a replica (other 4xx). */
        CLIENT_ERROR,
        /** The server failed (5xx, gRPC INTERNAL/UNKNOWN/UNAVAILABLE/...), including 507 out of memory. */
        SERVER_ERROR,
        /** The client gave up (gRPC CANCELLED, DEADLINE_EXCEEDED). */
        CANCELLED;

        private final String tag = name().toLowerCase(Locale.ROOT);

        public String tag() {
            return tag;
        }

        public static Outcome ofHttpStatus(int status) {
            if (status < 400) {
                return OK;
            }
            if (status == 404) {
                return NOT_FOUND;
            }
            return status < 500 ? CLIENT_ERROR : SERVER_ERROR;
        }

        public static Outcome ofGrpcStatus(io.grpc.Status.Code code) {
            return switch (code) {
                case OK -> OK;
                case NOT_FOUND -> NOT_FOUND;
                case CANCELLED, DEADLINE_EXCEEDED -> CANCELLED;
                case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE, RESOURCE_EXHAUSTED, ALREADY_EXISTS,
                     PERMISSION_DENIED, UNAUTHENTICATED, ABORTED -> CLIENT_ERROR;
                case UNKNOWN, INTERNAL, UNAVAILABLE, UNIMPLEMENTED, DATA_LOSS -> SERVER_ERROR;
            };
        }
    }

    private static final Outcome[] OUTCOMES = Outcome.values();

    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, Command> http = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Command> grpc = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Command> resp = new ConcurrentHashMap<>();

    public OperationMetrics(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    /** The timers of one HTTP operation; call once per handler and keep the result. */
    public Command http(String command) {
        return http.computeIfAbsent(command, c -> new Command("http", c));
    }

    /** The timers of one gRPC method; call once per method and keep the result. */
    public Command grpc(String command) {
        return grpc.computeIfAbsent(command, c -> new Command("grpc", c));
    }

    /** The timers of one Redis protocol command (lower-case name). */
    public Command resp(String command) {
        Command c = resp.get(command);
        return c != null ? c : resp.computeIfAbsent(command, n -> new Command("resp", n));
    }

    /** One command on one transport: a timer per outcome, made on first use. */
    public final class Command {
        private final String transport;
        private final String command;
        private final AtomicReferenceArray<Timer> timers = new AtomicReferenceArray<>(OUTCOMES.length);

        private Command(String transport, String command) {
            this.transport = transport;
            this.command = command;
        }

        public String name() {
            return command;
        }

        public void record(Outcome outcome, long nanos) {
            Timer t = timers.get(outcome.ordinal());
            if (t == null) {
                t = timer(outcome);
            }
            t.record(nanos, TimeUnit.NANOSECONDS);
        }

        private Timer timer(Outcome outcome) {
            Timer t = Timer.builder(NAME)
                    .description("Client operations by transport, command and outcome")
                    .tag("transport", transport)
                    .tag("command", command)
                    .tag("outcome", outcome.tag())
                    .serviceLevelObjectives(BUCKETS)
                    .register(registry);
            timers.compareAndSet(outcome.ordinal(), null, t); // the registry returns the same timer anyway
            return t;
        }
    }
}
