package dev.replcache.config;

import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Replication under {@code replcache.replication.*}, with Redis's names where Redis has one.
 *
 * @param master            {@code host:port} of the master's gRPC endpoint; empty = this node starts as a master
 * @param backlogSize       replication backlog ring (Redis's {@code repl-backlog-size})
 * @param ackInterval       how often a replica acks its offset
 * @param timeout           a silent link is dead after this long, on either side (Redis's {@code repl-timeout})
 * @param pingInterval      master heartbeat to replicas (Redis's {@code repl-ping-replica-period})
 * @param snapshotChunkSize largest snapshot chunk on the wire
 * @param entriesBatchSize  largest batch of stream bytes on the wire
 * @param reconnectMinDelay first reconnect delay of a replica; doubles per failure
 * @param reconnectMaxDelay cap of the reconnect delay
 * @param maxFrameSize      largest stream entry a replica accepts
 * @param syncBufferLimit   how far the backlog may grow to keep the stream from a snapshot's offset
 *                          during a full sync; past it the sync is abandoned and retried (Redis's
 *                          {@code client-output-buffer-limit replica})
 * @param authToken         shared secret replicas must present (Redis's {@code masterauth}); empty = none
 * @param announceAddress   {@code host:port} this node announces to its master; empty = its gRPC address
 * @param tickInterval      how often the node drives timers (acks, pings, timeouts, reconnects)
 * @param shutdownTimeout   at a clean shutdown, how long client writes are refused while the node
 *                          waits for its replicas to ack its last offset (Redis's {@code shutdown-timeout})
 */
@Validated
@ConfigurationProperties("replcache.replication")
public record ReplicationProperties(
        @DefaultValue("") String master,
        @DefaultValue("16MB") @NotNull DataSize backlogSize,
        @DefaultValue("1s") @NotNull Duration ackInterval,
        @DefaultValue("60s") @NotNull Duration timeout,
        @DefaultValue("1s") @NotNull Duration pingInterval,
        @DefaultValue("1MB") @NotNull DataSize snapshotChunkSize,
        @DefaultValue("256KB") @NotNull DataSize entriesBatchSize,
        @DefaultValue("100ms") @NotNull Duration reconnectMinDelay,
        @DefaultValue("5s") @NotNull Duration reconnectMaxDelay,
        @DefaultValue("64MB") @NotNull DataSize maxFrameSize,
        @DefaultValue("64MB") @NotNull DataSize syncBufferLimit,
        @DefaultValue("") String authToken,
        @DefaultValue("") String announceAddress,
        @DefaultValue("100ms") @NotNull Duration tickInterval,
        @DefaultValue("10s") @NotNull Duration shutdownTimeout) {

    public ReplicationProperties {
        master = master == null ? "" : master.trim();
        authToken = authToken == null ? "" : authToken;
        announceAddress = announceAddress == null ? "" : announceAddress.trim();
        if (!master.isEmpty()) {
            HostPort.parse(master, "replcache.replication.master");
        }
        requireRange(backlogSize, 1024, Integer.MAX_VALUE - 8, "backlog-size");
        requireRange(snapshotChunkSize, 1024, 3L << 20, "snapshot-chunk-size"); // under gRPC's 4 MiB default
        requireRange(entriesBatchSize, 1024, 3L << 20, "entries-batch-size");
        requireRange(maxFrameSize, 1024, Integer.MAX_VALUE - 8, "max-frame-size");
        requireRange(syncBufferLimit, 0, Integer.MAX_VALUE - 8, "sync-buffer-limit");
        requirePositive(ackInterval, "ack-interval");
        requirePositive(timeout, "timeout");
        requirePositive(pingInterval, "ping-interval");
        requirePositive(reconnectMinDelay, "reconnect-min-delay");
        requirePositive(tickInterval, "tick-interval");
        if (shutdownTimeout != null && shutdownTimeout.isNegative()) {
            throw new IllegalArgumentException("replcache.replication.shutdown-timeout must be >= 0, got " + shutdownTimeout);
        }
        if (reconnectMaxDelay != null && reconnectMinDelay != null && reconnectMaxDelay.compareTo(reconnectMinDelay) < 0) {
            throw new IllegalArgumentException("replcache.replication.reconnect-max-delay must be >= reconnect-min-delay");
        }
    }

    private static void requireRange(DataSize size, long min, long max, String name) {
        if (size != null && (size.toBytes() < min || size.toBytes() > max)) {
            throw new IllegalArgumentException("replcache.replication." + name + " must be between " + min + " and "
                    + max + " bytes, got " + size);
        }
    }

    private static void requirePositive(Duration d, String name) {
        if (d != null && (d.isNegative() || d.isZero())) {
            throw new IllegalArgumentException("replcache.replication." + name + " must be > 0, got " + d);
        }
    }

    /** A {@code host:port} pair. */
    public record HostPort(String host, int port) {

        public HostPort {
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("host must not be empty");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port must be between 1 and 65535, got " + port);
            }
        }

        /** Parses {@code host:port} (or {@code [v6]:port}); the message names {@code property}. */
        public static HostPort parse(String text, String property) {
            int colon = text.lastIndexOf(':');
            if (colon <= 0 || colon == text.length() - 1) {
                throw new IllegalArgumentException(property + " must be host:port, got '" + text + "'");
            }
            String host = text.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            try {
                return new HostPort(host, Integer.parseInt(text.substring(colon + 1)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(property + " must be host:port, got '" + text + "': " + e.getMessage());
            }
        }

        @Override
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }
}
