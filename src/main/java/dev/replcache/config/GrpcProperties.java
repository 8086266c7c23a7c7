package dev.replcache.config;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * The gRPC server under {@code replcache.grpc.*}.
 *
 * @param port                  listening port; 0 = any free port (tests)
 * @param address               address to bind
 * @param maxInboundMessageSize largest request message; it must hold a max-size value plus its key
 * @param shutdownGracePeriod   how long in-flight calls may finish at shutdown before they are cancelled
 * @param executor              where calls run: {@code direct} on the network threads (no hand-off:
 *                              right for short in-memory commands), or {@code pool} on gRPC's
 *                              default thread pool (for deployments with long calls)
 */
@Validated
@ConfigurationProperties("replcache.grpc")
public record GrpcProperties(
        @DefaultValue("9090") @Min(0) @Max(65535) int port,
        @DefaultValue("0.0.0.0") @NotNull String address,
        @DefaultValue("32MB") @NotNull DataSize maxInboundMessageSize,
        @DefaultValue("10s") @NotNull Duration shutdownGracePeriod,
        @DefaultValue("direct") @NotNull Executor executor) {

    /** Where gRPC calls run. */
    public enum Executor {
        /** On the Netty event loop that read the call: no thread hand-off per call. */
        DIRECT,
        /** On gRPC's default cached thread pool: one hand-off per call. */
        POOL
    }

    public GrpcProperties {
        if (maxInboundMessageSize != null
                && (maxInboundMessageSize.toBytes() < 1024 || maxInboundMessageSize.toBytes() > Integer.MAX_VALUE)) {
            throw new IllegalArgumentException(
                    "replcache.grpc.max-inbound-message-size must be between 1KB and 2GB, got " + maxInboundMessageSize);
        }
    }
}
