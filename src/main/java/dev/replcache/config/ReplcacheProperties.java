package dev.replcache.config;

import dev.replcache.keyspace.EvictionPolicy;
import dev.replcache.keyspace.KeyspaceConfig;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * The node's settings under {@code replcache.*}: data, memory, request limits and keyspace
 * tuning. Every bound has a default here and in {@code application.yml}; a bad value stops
 * the start with a message naming the property.
 *
 * @param dataDir        directory for snapshots and other node files
 * @param maxMemory      estimated dataset size at which eviction starts (as Redis's
 *                       {@code maxmemory}); 0 = unlimited
 * @param evictionPolicy Redis's {@code maxmemory-policy} names: noeviction, allkeys-lru,
 *                       volatile-lru, allkeys-random, volatile-random, volatile-ttl
 */
@Validated
@ConfigurationProperties("replcache")
public record ReplcacheProperties(
        @DefaultValue("./data") @NotNull Path dataDir,
        @DefaultValue("0") @NotNull DataSize maxMemory,
        @DefaultValue("noeviction") @NotNull EvictionPolicy evictionPolicy,
        @DefaultValue @Valid Limits limits,
        @DefaultValue @Valid KeyspaceTuning keyspace,
        @DefaultValue @Valid Expiry expiry) {

    public ReplcacheProperties {
        if (maxMemory != null && maxMemory.isNegative()) {
            throw new IllegalArgumentException("replcache.max-memory must be >= 0, got " + maxMemory);
        }
    }

    /**
     * Sizes a client request may have.
     *
     * @param maxKeyBytes   longest key (and hash field); longer gets HTTP 413 / RESOURCE_EXHAUSTED
     * @param maxValueBytes largest value; larger gets HTTP 413 / RESOURCE_EXHAUSTED
     * @param maxBatchKeys  most keys in one MGET/MSET/DEL or fields in one HSET
     */
    public record Limits(
            @DefaultValue("64KB") @NotNull DataSize maxKeyBytes,
            @DefaultValue("16MB") @NotNull DataSize maxValueBytes,
            @DefaultValue("10000") @Min(1) int maxBatchKeys) {

        public Limits {
            if (maxKeyBytes != null && (maxKeyBytes.toBytes() < 1 || maxKeyBytes.toBytes() > Integer.MAX_VALUE)) {
                throw new IllegalArgumentException("replcache.limits.max-key-bytes must be between 1B and 2GB, got " + maxKeyBytes);
            }
            if (maxValueBytes != null && (maxValueBytes.toBytes() < 0 || maxValueBytes.toBytes() > Integer.MAX_VALUE - 8)) {
                throw new IllegalArgumentException("replcache.limits.max-value-bytes must be between 0B and 2GB, got " + maxValueBytes);
            }
        }
    }

    /**
     * @param segments        keyspace segments (power of two): SCAN page and snapshot copy-on-write unit
     * @param evictionSamples keys sampled per eviction (Redis's {@code maxmemory-samples})
     */
    public record KeyspaceTuning(
            @DefaultValue("256") @Min(1) @Max(KeyspaceConfig.MAX_SEGMENTS) int segments,
            @DefaultValue("5") @Min(1) @Max(64) int evictionSamples) {

        public KeyspaceTuning {
            if (Integer.bitCount(segments) != 1) {
                throw new IllegalArgumentException("replcache.keyspace.segments must be a power of two, got " + segments);
            }
        }
    }

    /**
     * The active expiry cycle (Redis's {@code activeExpireCycle}, run {@code hz} times a second).
     *
     * @param cycleInterval time between cycles
     * @param keysPerLoop   keys with a TTL sampled per loop
     * @param maxLoops      loops per cycle at most, which bounds the work of one cycle
     */
    public record Expiry(
            @DefaultValue("100ms") @NotNull Duration cycleInterval,
            @DefaultValue("20") @Min(1) @Max(10_000) int keysPerLoop,
            @DefaultValue("16") @Min(1) @Max(10_000) int maxLoops) {

        public Expiry {
            if (cycleInterval != null && (cycleInterval.isNegative() || cycleInterval.isZero())) {
                throw new IllegalArgumentException("replcache.expiry.cycle-interval must be > 0, got " + cycleInterval);
            }
        }
    }
}
