package dev.replcache.config;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Operator views under {@code replcache.ops.*}: the status page's lag history and topology.
 *
 * @param historyInterval how often the replication sampler records offsets and lag
 * @param historyWindow   how far back the history goes ({@code GET /v1/replication/history})
 * @param topologyTimeout deadline of one replica's {@code Info} call when the topology is built
 * @param topologyDepth   levels of replicas shown below this node (replicas, sub-replicas, ...)
 */
@Validated
@ConfigurationProperties("replcache.ops")
public record OpsProperties(
        @DefaultValue("1s") @NotNull Duration historyInterval,
        @DefaultValue("10m") @NotNull Duration historyWindow,
        @DefaultValue("500ms") @NotNull Duration topologyTimeout,
        @DefaultValue("3") @Min(1) @Max(10) int topologyDepth) {

    /** Most samples kept per series: bounds the history's memory whatever the settings. */
    public static final int MAX_SAMPLES = 36_000;

    public OpsProperties {
        if (historyInterval != null && historyInterval.toMillis() < 10) {
            throw new IllegalArgumentException("replcache.ops.history-interval must be at least 10ms, got " + historyInterval);
        }
        if (historyInterval != null && historyWindow != null
                && (historyWindow.compareTo(historyInterval) < 0
                || historyWindow.toMillis() / historyInterval.toMillis() > MAX_SAMPLES)) {
            throw new IllegalArgumentException("replcache.ops.history-window must hold between 1 and " + MAX_SAMPLES
                    + " samples of replcache.ops.history-interval, got " + historyWindow + " / " + historyInterval);
        }
        if (topologyTimeout != null && (topologyTimeout.isNegative() || topologyTimeout.isZero())) {
            throw new IllegalArgumentException("replcache.ops.topology-timeout must be positive, got " + topologyTimeout);
        }
    }

    /** Samples kept per series. */
    public int historySamples() {
        return (int) Math.max(1, historyWindow.toMillis() / historyInterval.toMillis());
    }
}
