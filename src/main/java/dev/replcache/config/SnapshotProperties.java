package dev.replcache.config;

import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * The node's dump file under {@code replcache.snapshot.*}: an RDB file in the data directory,
 * written on demand ({@code POST /v1/snapshot}, Redis's BGSAVE), every {@code interval} (Redis's
 * {@code save}), and at a clean shutdown; loaded at start.
 *
 * @param file            the file's name in {@code replcache.data-dir} (Redis's {@code dbfilename})
 * @param interval        save this often when the dataset changed since the last save; 0 = never
 * @param onShutdown      save when the node stops cleanly (SIGTERM, context close)
 * @param shutdownTimeout the shutdown save gets this long; past it, it is abandoned and the
 *                        previous file stays
 * @param ignoreCorrupt   a dump file that cannot be loaded is moved aside ({@code <file>.corrupt-<time>})
 *                        and the node starts empty; false = the start fails, naming the file
 * @param maxLoadMemory   the most heap (estimated as the keyspace counts memory) loading one snapshot
 *                        may take: the dump file at start, or a master's snapshot on a replica, whose
 *                        old dataset keeps serving meanwhile. Over it the file is refused (the start
 *                        fails naming it; a replica drops the sync and retries) instead of the JVM
 *                        running out of memory. 0 = three quarters of the JVM's maximum heap less
 *                        the dataset in service. Keys and values in the file are also bounded by
 *                        {@code replcache.limits.max-key-bytes} and {@code max-value-bytes}.
 * @param allowNoChecksum load a dump file whose CRC64 trailer is zero (Redis writes one with
 *                        {@code rdbchecksum no}): nothing then detects corruption in it. Off: such a
 *                        file fails the start like a corrupt one (or is moved aside with ignore-corrupt)
 * @param keySaveDelay    for tests only: a pause before each key is written, so that a save
 *                        takes a while (Redis's {@code rdb-key-save-delay}); 0 = none
 */
@Validated
@ConfigurationProperties("replcache.snapshot")
public record SnapshotProperties(
        @DefaultValue("dump.rdb") @NotNull String file,
        @DefaultValue("0") @NotNull Duration interval,
        @DefaultValue("true") boolean onShutdown,
        @DefaultValue("60s") @NotNull Duration shutdownTimeout,
        @DefaultValue("false") boolean ignoreCorrupt,
        @DefaultValue("0") @NotNull DataSize maxLoadMemory,
        @DefaultValue("false") boolean allowNoChecksum,
        @DefaultValue("0") @NotNull Duration keySaveDelay) {

    public SnapshotProperties {
        if (file != null && (file.isBlank() || file.contains("/") || file.contains("\\") || file.equals(".")
                || file.equals(".."))) {
            throw new IllegalArgumentException("replcache.snapshot.file must be a file name (it goes in "
                    + "replcache.data-dir), got '" + file + "'");
        }
        if (interval != null && interval.isNegative()) {
            throw new IllegalArgumentException("replcache.snapshot.interval must be >= 0 (0 = off), got " + interval);
        }
        if (shutdownTimeout != null && (shutdownTimeout.isNegative() || shutdownTimeout.isZero())) {
            throw new IllegalArgumentException("replcache.snapshot.shutdown-timeout must be > 0, got " + shutdownTimeout);
        }
        if (maxLoadMemory != null && maxLoadMemory.isNegative()) {
            throw new IllegalArgumentException("replcache.snapshot.max-load-memory must be >= 0 (0 = from the heap), got "
                    + maxLoadMemory);
        }
        if (keySaveDelay != null && keySaveDelay.isNegative()) {
            throw new IllegalArgumentException("replcache.snapshot.key-save-delay must be >= 0, got " + keySaveDelay);
        }
    }
}
