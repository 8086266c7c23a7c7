package dev.replcache.replication;

import java.util.Locale;

/**
 * What a master does about a replica that cannot keep up. The master never buffers per
 * replica (entries are read from the backlog when the stream can take them), so a slow replica
 * costs no memory beyond the backlog; the policy decides whether it is cut off early or whether
 * writers are slowed so that it can catch up.
 *
 * <p>Lag here is the master's offset minus the replica's acked offset, in bytes.
 *
 * @param mode              {@link Mode#DISCONNECT} or {@link Mode#THROTTLE}
 * @param hardLimitBytes    disconnect: a replica this far behind is dropped at once (Redis's
 *                          {@code client-output-buffer-limit replica} hard limit); 0 = off
 * @param softLimitBytes    disconnect: a replica this far behind for {@code softLimitMs} is
 *                          dropped (the soft limit); 0 = off
 * @param softLimitMs       see {@code softLimitBytes}
 * @param throttleStartBytes throttle: writers are slowed once a replica is this far behind;
 *                          the delay grows linearly to {@code throttleMaxDelayMs} at twice it
 * @param throttleMaxDelayMs throttle: the most a write is delayed
 */
public record SlowReplicaPolicy(Mode mode, long hardLimitBytes, long softLimitBytes, long softLimitMs,
                                long throttleStartBytes, long throttleMaxDelayMs) {

    public enum Mode {
        DISCONNECT, THROTTLE;

        public static Mode parse(String text) {
            try {
                return valueOf(text.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("slow replica policy '" + text + "' is not disconnect or throttle");
            }
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Redis's defaults for replicas: 256 MB hard, 64 MB for 60 s soft. */
    public static final SlowReplicaPolicy DEFAULTS =
            new SlowReplicaPolicy(Mode.DISCONNECT, 256L << 20, 64L << 20, 60_000, 8L << 20, 50);

    public SlowReplicaPolicy {
        if (mode == null || hardLimitBytes < 0 || softLimitBytes < 0 || softLimitMs < 0 || throttleStartBytes < 1
                || throttleMaxDelayMs < 0) {
            throw new IllegalArgumentException("slow replica limits must be >= 0 (throttle start > 0)");
        }
    }

    /** Throttle: how long to delay a write while the slowest online replica is {@code lagBytes} behind. */
    long throttleDelayMs(long lagBytes) {
        if (mode != Mode.THROTTLE || lagBytes <= throttleStartBytes) {
            return 0;
        }
        double over = Math.min(1.0, (double) (lagBytes - throttleStartBytes) / throttleStartBytes);
        return Math.max(1, Math.round(over * throttleMaxDelayMs));
    }
}
