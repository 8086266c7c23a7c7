package dev.replcache.replication;

/**
 * The master side's bounds.
 *
 * @param snapshotChunkBytes largest snapshot chunk sent (well under gRPC's 4 MiB message limit)
 * @param entriesBatchBytes  largest batch of stream bytes sent in one message
 * @param timeoutMs          a replica silent this long is dropped (Redis's {@code repl-timeout})
 * @param pingIntervalMs     heartbeat period towards replicas
 * @param syncBufferBytes    how far the backlog may grow past its size to keep the stream from a
 *                           snapshot's offset while a full sync is in flight; past it the sync is
 *                           abandoned (Redis's {@code client-output-buffer-limit replica})
 * @param slowReplicas       what to do about a replica that cannot keep up
 * @param maxHelloFieldBytes longest Hello field (replica id, announced address, auth token), in
 *                           UTF-8 bytes; a longer one is a protocol error
 */
public record MasterConfig(int snapshotChunkBytes, int entriesBatchBytes, long timeoutMs, long pingIntervalMs,
                           int syncBufferBytes, SlowReplicaPolicy slowReplicas, long handshakeTimeoutMs,
                           int maxSessions, int maxHelloFieldBytes) {

    /** A stream has this long for its Hello and PSYNC before it is closed. */
    public static final long DEFAULT_HANDSHAKE_TIMEOUT_MS = 5_000;
    /** Replication streams a master keeps open at once, handshakes included. */
    public static final int DEFAULT_MAX_SESSIONS = 64;
    /** {@code replcache.replication.max-hello-field-size}'s default. */
    public static final int DEFAULT_MAX_HELLO_FIELD_BYTES = 1024;

    public static final MasterConfig DEFAULTS = new MasterConfig(1 << 20, 256 * 1024, 60_000, 1_000, 64 << 20);

    public MasterConfig {
        if (snapshotChunkBytes < 1 || entriesBatchBytes < 1 || timeoutMs < 1 || pingIntervalMs < 1 || syncBufferBytes < 0
                || handshakeTimeoutMs < 1 || maxSessions < 1 || maxHelloFieldBytes < 1) {
            throw new IllegalArgumentException("master replication bounds must be positive");
        }
        java.util.Objects.requireNonNull(slowReplicas, "slowReplicas");
    }

    public MasterConfig(int snapshotChunkBytes, int entriesBatchBytes, long timeoutMs, long pingIntervalMs,
                        int syncBufferBytes, SlowReplicaPolicy slowReplicas) {
        this(snapshotChunkBytes, entriesBatchBytes, timeoutMs, pingIntervalMs, syncBufferBytes, slowReplicas,
                DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_MAX_SESSIONS, DEFAULT_MAX_HELLO_FIELD_BYTES);
    }

    /** With Redis's default policy for slow replicas. */
    public MasterConfig(int snapshotChunkBytes, int entriesBatchBytes, long timeoutMs, long pingIntervalMs,
                        int syncBufferBytes) {
        this(snapshotChunkBytes, entriesBatchBytes, timeoutMs, pingIntervalMs, syncBufferBytes, SlowReplicaPolicy.DEFAULTS);
    }
}
