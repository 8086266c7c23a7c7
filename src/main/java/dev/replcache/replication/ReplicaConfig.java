package dev.replcache.replication;

/**
 * The replica side's bounds.
 *
 * @param ackIntervalMs  how often the replica acks its offset (Redis: every second)
 * @param timeoutMs      a master silent this long is considered gone (Redis's {@code repl-timeout})
 * @param reconnectMinMs first reconnect delay; doubles per failed attempt
 * @param reconnectMaxMs cap of the reconnect delay
 * @param maxFrameBytes  largest stream frame accepted (a bound on what a master can make us buffer)
 * @param authToken      shared secret sent in Hello; empty for none
 * @param allowEmptyResync let a master of another history with an empty dataset, or one far smaller
 *                       than ours, replace our data (off by default: no silent wipe)
 * @param minResyncKeysRatio a master of another history must hold at least this share of our keys
 *                       for its full resync to be taken (0 = only an empty one is refused)
 * @param allowRewindingResync let a master that holds our history only up to an offset below ours
 *                       (restarted from an older dump, or a lagging node promoted) take back the
 *                       writes past it (off by default: no silent rewind)
 */
public record ReplicaConfig(long ackIntervalMs, long timeoutMs, long reconnectMinMs, long reconnectMaxMs,
                            int maxFrameBytes, String authToken, boolean allowEmptyResync, double minResyncKeysRatio,
                            boolean allowRewindingResync) {

    /** {@code replcache.replication.min-resync-keys-ratio}'s default: a master with under 1% of our keys is refused. */
    public static final double DEFAULT_MIN_RESYNC_KEYS_RATIO = 0.01;

    public static final ReplicaConfig DEFAULTS = new ReplicaConfig(1_000, 60_000, 100, 5_000, 64 << 20, "");

    public ReplicaConfig(long ackIntervalMs, long timeoutMs, long reconnectMinMs, long reconnectMaxMs,
                         int maxFrameBytes, String authToken, boolean allowEmptyResync) {
        this(ackIntervalMs, timeoutMs, reconnectMinMs, reconnectMaxMs, maxFrameBytes, authToken, allowEmptyResync,
                DEFAULT_MIN_RESYNC_KEYS_RATIO, false);
    }

    /** The same bounds with the operator's permission to take wiping and rewinding full resyncs. */
    public ReplicaConfig allowingResyncs(boolean allowEmpty, boolean allowRewinding) {
        return new ReplicaConfig(ackIntervalMs, timeoutMs, reconnectMinMs, reconnectMaxMs, maxFrameBytes, authToken,
                allowEmpty, minResyncKeysRatio, allowRewinding);
    }

    public ReplicaConfig(long ackIntervalMs, long timeoutMs, long reconnectMinMs, long reconnectMaxMs,
                         int maxFrameBytes, String authToken) {
        this(ackIntervalMs, timeoutMs, reconnectMinMs, reconnectMaxMs, maxFrameBytes, authToken, false);
    }

    public ReplicaConfig {
        if (ackIntervalMs < 1 || timeoutMs < 1 || reconnectMinMs < 1 || reconnectMaxMs < reconnectMinMs || maxFrameBytes < 16) {
            throw new IllegalArgumentException("replica replication bounds must be positive and reconnectMax >= reconnectMin");
        }
        authToken = authToken == null ? "" : authToken;
        if (!(minResyncKeysRatio >= 0 && minResyncKeysRatio <= 1)) {
            throw new IllegalArgumentException("min-resync-keys-ratio must be in [0, 1], got " + minResyncKeysRatio);
        }
    }
}
