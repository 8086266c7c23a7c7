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
 * The Redis protocol (RESP2/RESP3) server under {@code replcache.resp.*}: redis-cli, Jedis,
 * Lettuce and Spring Data Redis talk to the node here. Names follow Redis's settings where Redis
 * has one. The password is the HTTP API's bearer token ({@code replcache.http.auth-token}); key
 * and value sizes are {@code replcache.limits.*}, as for every transport.
 *
 * @param port                     listening port (Redis's {@code port}); 0 = no RESP server
 * @param address                  address to bind (Redis's {@code bind})
 * @param protoMaxBulkLen          longest bulk string a request may carry (Redis's
 *                                 {@code proto-max-bulk-len}); the server also never accepts one
 *                                 longer than the larger of {@code replcache.limits.max-key-bytes}
 *                                 and {@code max-value-bytes}. A longer one is a protocol error
 *                                 and closes the connection, as in Redis
 * @param maxMultibulkLen          most arguments in one request (Redis checks only INT_MAX); more
 *                                 is a protocol error that closes the connection
 * @param clientQueryBufferLimit   most bytes of one unfinished request buffered per connection
 *                                 (Redis's {@code client-query-buffer-limit}, 1gb there); past it the
 *                                 connection is closed
 * @param timeout                  close a connection idle this long (Redis's {@code timeout});
 *                                 0 = never
 * @param maxclients               most connections at once (Redis's {@code maxclients}); one more
 *                                 gets {@code -ERR max number of clients reached}
 * @param ioThreads                network threads that read, run and answer commands
 *                                 (Redis's {@code io-threads}); 0 = one per CPU
 * @param tls                      serve TLS only, with the certificate, key, trust certificates
 *                                 and client-auth of {@code replcache.grpc.tls.*}
 * @param shutdownGracePeriod      at shutdown, how long open connections may finish what they
 *                                 sent before they are closed
 */
@Validated
@ConfigurationProperties("replcache.resp")
public record RespProperties(
        @DefaultValue("6379") @Min(0) @Max(65535) int port,
        @DefaultValue("0.0.0.0") @NotNull String address,
        @DefaultValue("512MB") @NotNull DataSize protoMaxBulkLen,
        @DefaultValue("1048576") @Min(1) int maxMultibulkLen,
        @DefaultValue("64MB") @NotNull DataSize clientQueryBufferLimit,
        @DefaultValue("0s") @NotNull Duration timeout,
        @DefaultValue("10000") @Min(1) int maxclients,
        @DefaultValue("0") @Min(0) @Max(1024) int ioThreads,
        @DefaultValue("false") boolean tls,
        @DefaultValue("2s") @NotNull Duration shutdownGracePeriod) {

    public RespProperties {
        if (protoMaxBulkLen != null && (protoMaxBulkLen.toBytes() < 1 || protoMaxBulkLen.toBytes() > Integer.MAX_VALUE)) {
            throw new IllegalArgumentException("replcache.resp.proto-max-bulk-len must be between 1B and 2GB, got "
                    + protoMaxBulkLen);
        }
        if (clientQueryBufferLimit != null
                && (clientQueryBufferLimit.toBytes() < 1024 || clientQueryBufferLimit.toBytes() > Integer.MAX_VALUE)) {
            throw new IllegalArgumentException("replcache.resp.client-query-buffer-limit must be between 1KB and 2GB, got "
                    + clientQueryBufferLimit);
        }
        if (timeout != null && timeout.isNegative()) {
            throw new IllegalArgumentException("replcache.resp.timeout must be >= 0, got " + timeout);
        }
        if (shutdownGracePeriod != null && shutdownGracePeriod.isNegative()) {
            throw new IllegalArgumentException("replcache.resp.shutdown-grace-period must be >= 0, got "
                    + shutdownGracePeriod);
        }
    }
}
