package dev.replcache.node;

import dev.replcache.keyspace.Keyspace;
import dev.replcache.keyspace.KeyspaceConfig;
import dev.replcache.keyspace.MillisClock;
import dev.replcache.keyspace.WriteLog;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ReplCache node: the keyspace, the request limits and the threads that drive the core
 * (the active expiry cycle). Transports go through it: {@link #keyspace()} for reads,
 * {@link #writableKeyspace()} for writes, {@link #limits()} to check input.
 */
public final class CacheNode implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CacheNode.class);

    private final Keyspace keyspace;
    private final RequestLimits limits;
    private final Duration expiryCycleInterval;
    private ScheduledExecutorService scheduler;
    private ScheduledFuture<?> expiryTask;

    public CacheNode(KeyspaceConfig keyspaceConfig, RequestLimits limits, Duration expiryCycleInterval,
                     MillisClock clock, WriteLog writeLog) {
        this.keyspace = new Keyspace(keyspaceConfig, clock, new SplittableRandom(), writeLog);
        this.limits = Objects.requireNonNull(limits, "limits");
        this.expiryCycleInterval = Objects.requireNonNull(expiryCycleInterval, "expiryCycleInterval");
    }

    /** The keyspace, for reads. */
    public Keyspace keyspace() {
        return keyspace;
    }

    /**
     * The keyspace, for a client write. The one place where a node refuses writes it must not
     * take (a replica's, once replication lands).
     */
    public Keyspace writableKeyspace() {
        return keyspace;
    }

    public RequestLimits limits() {
        return limits;
    }

    /** Starts the active expiry cycle. */
    public synchronized void start() {
        if (scheduler != null) {
            return;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "replcache-expiry");
            t.setDaemon(true);
            return t;
        });
        long periodMs = Math.max(1, expiryCycleInterval.toMillis());
        expiryTask = scheduler.scheduleWithFixedDelay(this::runExpiryCycle, periodMs, periodMs, TimeUnit.MILLISECONDS);
        log.info("Node started: keyspace segments={}, max-memory={} bytes, eviction-policy={}",
                keyspace.config().segments(), keyspace.config().maxMemoryBytes(),
                keyspace.config().evictionPolicy().redisName());
    }

    private void runExpiryCycle() {
        try {
            keyspace.activeExpireCycle();
        } catch (RuntimeException e) {
            // A bug in a cycle must not kill the schedule: log it and try again next cycle.
            log.error("Active expiry cycle failed", e);
        }
    }

    @Override
    public synchronized void close() {
        if (scheduler != null) {
            expiryTask.cancel(false);
            scheduler.shutdownNow();
            scheduler = null;
        }
    }
}
