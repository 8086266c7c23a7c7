package dev.replcache.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.EnumSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The operations timer's series, and how HTTP statuses and gRPC codes map to outcomes. */
class OperationMetricsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final OperationMetrics metrics = new OperationMetrics(registry);

    @Test
    void aCommandGetsOneTimerPerOutcomeOnlyWhenThatOutcomeHappens() {
        OperationMetrics.Command get = metrics.grpc("get");
        assertThat(metrics.grpc("get")).isSameAs(get);
        assertThat(metrics.http("get")).isNotSameAs(get);
        get.record(OperationMetrics.Outcome.OK, 2_000_000);
        get.record(OperationMetrics.Outcome.OK, 4_000_000);
        get.record(OperationMetrics.Outcome.NOT_FOUND, 1_000_000);

        Timer ok = registry.get(OperationMetrics.NAME).tags("transport", "grpc", "command", "get", "outcome", "ok").timer();
        assertThat(ok.count()).isEqualTo(2);
        assertThat(ok.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(6.0);
        assertThat(registry.get(OperationMetrics.NAME).tags("outcome", "not_found").timer().count()).isEqualTo(1);
        assertThat(registry.find(OperationMetrics.NAME).tags("outcome", "server_error").timers()).isEmpty();
        assertThat(registry.find(OperationMetrics.NAME).tags("transport", "http").timers()).isEmpty();
        // The latency histogram's buckets are fixed (SLOs), the same for every series.
        assertThat(ok.takeSnapshot().histogramCounts()).hasSize(14);
    }

    @Test
    void httpStatusesMapToOutcomes() {
        assertThat(OperationMetrics.Outcome.ofHttpStatus(200)).isEqualTo(OperationMetrics.Outcome.OK);
        assertThat(OperationMetrics.Outcome.ofHttpStatus(204)).isEqualTo(OperationMetrics.Outcome.OK);
        assertThat(OperationMetrics.Outcome.ofHttpStatus(304)).isEqualTo(OperationMetrics.Outcome.OK);
        assertThat(OperationMetrics.Outcome.ofHttpStatus(404)).isEqualTo(OperationMetrics.Outcome.NOT_FOUND);
        assertThat(OperationMetrics.Outcome.ofHttpStatus(400)).isEqualTo(OperationMetrics.Outcome.CLIENT_ERROR);
        assertThat(OperationMetrics.Outcome.ofHttpStatus(409)).isEqualTo(OperationMetrics.Outcome.CLIENT_ERROR);
        assertThat(OperationMetrics.Outcome.ofHttpStatus(413)).isEqualTo(OperationMetrics.Outcome.CLIENT_ERROR);
        assertThat(OperationMetrics.Outcome.ofHttpStatus(500)).isEqualTo(OperationMetrics.Outcome.SERVER_ERROR);
        assertThat(OperationMetrics.Outcome.ofHttpStatus(507)).isEqualTo(OperationMetrics.Outcome.SERVER_ERROR);
    }

    @Test
    void grpcCodesMapToOutcomes() {
        assertThat(OperationMetrics.Outcome.ofGrpcStatus(Status.Code.OK)).isEqualTo(OperationMetrics.Outcome.OK);
        assertThat(OperationMetrics.Outcome.ofGrpcStatus(Status.Code.NOT_FOUND)).isEqualTo(OperationMetrics.Outcome.NOT_FOUND);
        assertThat(OperationMetrics.Outcome.ofGrpcStatus(Status.Code.INVALID_ARGUMENT)).isEqualTo(OperationMetrics.Outcome.CLIENT_ERROR);
        assertThat(OperationMetrics.Outcome.ofGrpcStatus(Status.Code.FAILED_PRECONDITION)).isEqualTo(OperationMetrics.Outcome.CLIENT_ERROR);
        assertThat(OperationMetrics.Outcome.ofGrpcStatus(Status.Code.RESOURCE_EXHAUSTED)).isEqualTo(OperationMetrics.Outcome.CLIENT_ERROR);
        assertThat(OperationMetrics.Outcome.ofGrpcStatus(Status.Code.CANCELLED)).isEqualTo(OperationMetrics.Outcome.CANCELLED);
        assertThat(OperationMetrics.Outcome.ofGrpcStatus(Status.Code.DEADLINE_EXCEEDED)).isEqualTo(OperationMetrics.Outcome.CANCELLED);
        assertThat(OperationMetrics.Outcome.ofGrpcStatus(Status.Code.INTERNAL)).isEqualTo(OperationMetrics.Outcome.SERVER_ERROR);
        EnumSet<OperationMetrics.Outcome> seen = EnumSet.noneOf(OperationMetrics.Outcome.class);
        for (Status.Code code : Status.Code.values()) {
            seen.add(OperationMetrics.Outcome.ofGrpcStatus(code));
        }
        assertThat(seen).containsExactlyInAnyOrder(OperationMetrics.Outcome.values());
    }
}
