package dev.replcache.replication;

/**
 * The master side's bounds.
 *
 * @param snapshotChunkBytes largest snapshot chunk sent (well under gRPC's 4 MiB message limit)
 * @param entriesBatchBytes  largest batch of stream bytes sent in one message
 * @param timeoutMs          a replica silent this long is dropped (Redis's {@code repl-timeout})
 * @param pingIntervalMs     heartbeat period towards replicas
 */
public record MasterConfig(int snapshotChunkBytes, int entriesBatchBytes, long timeoutMs, long pingIntervalMs) {

    public static final MasterConfig DEFAULTS = new MasterConfig(1 << 20, 256 * 1024, 60_000, 1_000);

    public MasterConfig {
        if (snapshotChunkBytes < 1 || entriesBatchBytes < 1 || timeoutMs < 1 || pingIntervalMs < 1) {
            throw new IllegalArgumentException("master replication bounds must be positive");
        }
    }
}
