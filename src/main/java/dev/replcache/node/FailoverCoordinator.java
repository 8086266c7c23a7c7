package dev.replcache.node;

import dev.replcache.config.ReplicationProperties.HostPort;
import dev.replcache.keyspace.MillisClock;
import dev.replcache.replication.MasterLink;
import dev.replcache.replication.ReplicationMaster;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Coordinated failover on the master, as Redis's FAILOVER command:
 * <ol>
 *   <li>pick the target (the replica named, else the one that acked the most), refuse when there is none;</li>
 *   <li>pause client writes (and removals by time), so the offset stops at {@code X};</li>
 *   <li>ask for acks until the target acked {@code X}, or abort at the timeout and resume writes;</li>
 *   <li>follow the target with {@code PSYNC replId X FAILOVER}: the target, holding exactly
 *       {@code X}, promotes itself (keeping our id as replId2) and continues us partially;</li>
 *   <li>resume: client writes now get READONLY with the new master's address.</li>
 * </ol>
 * No acknowledged write is lost: every write acknowledged before the pause is below {@code X},
 * and the target takes over only at {@code X}. If the target refuses or the handshake fails
 * before it answers, this node becomes the master again with its history unchanged.
 */
public final class FailoverCoordinator implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FailoverCoordinator.class);
    private static final long POLL_MS = 2;
    /** The handshake gets at least this long even when catching up used the whole timeout. */
    private static final long MIN_HANDSHAKE_MS = 1_000;

    /** A completed failover: the new master, the offset handed over, how long writes were paused. */
    public record Result(String newMaster, long offset, long pausedMs) {
    }

    private final CacheNode node;
    private final MillisClock clock;
    private final AtomicBoolean running = new AtomicBoolean();
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "replcache-failover");
        t.setDaemon(true);
        return t;
    });

    FailoverCoordinator(CacheNode node, MillisClock clock) {
        this.node = node;
        this.clock = clock;
    }

    boolean running() {
        return running.get();
    }

    CompletableFuture<Result> start(HostPort to, long timeoutMs) {
        if (timeoutMs <= 0) {
            throw new InvalidRequestException("failover: timeoutMs must be > 0");
        }
        LinkDriver l = node.currentLink();
        if (l != null) {
            throw new FailoverException("ERR FAILOVER is not valid when server is a replica", false);
        }
        if (!running.compareAndSet(false, true)) {
            throw new FailoverException("ERR FAILOVER already in progress", false);
        }
        Target target;
        try {
            target = chooseTarget(to);
        } catch (RuntimeException e) {
            running.set(false);
            throw e;
        }
        CompletableFuture<Result> done = new CompletableFuture<>();
        try {
            thread.execute(() -> {
                try {
                    done.complete(run(target, timeoutMs));
                } catch (RuntimeException e) {
                    done.completeExceptionally(e);
                } finally {
                    running.set(false);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            running.set(false);
            throw new FailoverException("ERR the node is shutting down", false);
        }
        return done;
    }

    /** The replica a failover hands over to: where it is, and the handover key it gave this master. */
    private record Target(HostPort address, String handoverKey) {
        @Override
        public String toString() {
            return address.toString();
        }
    }

    private Target chooseTarget(HostPort to) {
        List<ReplicationMaster.OnlineReplica> online = node.master().onlineReplicas();
        if (online.isEmpty()) {
            throw new FailoverException("ERR FAILOVER requires connected replicas", false);
        }
        ReplicationMaster.OnlineReplica chosen;
        if (to != null) {
            chosen = online.stream().filter(r -> r.address().equals(to.toString())).findFirst()
                    .orElseThrow(() -> new FailoverException("ERR FAILOVER target " + to + " is not an online replica of "
                            + "this master (replicas: " + online.stream().map(ReplicationMaster.OnlineReplica::address).toList()
                            + ")", false));
        } else {
            chosen = online.stream().filter(r -> !r.address().isEmpty())
                    .max(Comparator.comparingLong(ReplicationMaster.OnlineReplica::ackOffset))
                    .orElseThrow(() -> new FailoverException("ERR FAILOVER: no online replica announced an address", false));
        }
        try {
            return new Target(HostPort.parse(chosen.address(), "the replica's announced address"), chosen.handoverKey());
        } catch (IllegalArgumentException e) {
            throw new FailoverException("ERR FAILOVER target has no usable address: " + e.getMessage(), false);
        }
    }

    private Result run(Target target, long timeoutMs) {
        // Before the pause: a cold gRPC client cost ~1.6 s of a 2 s pause in the first benchmark run.
        long warmStart = clock.millis();
        node.warmUpConnection(target.address(), Math.min(timeoutMs, 2_000));
        log.info("Failover to {}: connection to the target checked in {} ms; pausing writes", target,
                clock.millis() - warmStart);
        long start = clock.millis();
        long deadline = start + timeoutMs;
        node.keyspace().pauseWrites();
        long offset = node.replicationLog().offset();
        log.info("Failover to {}: writes paused at offset {}, waiting for the target to ack it", target, offset);
        try {
            if (!awaitAck(target, offset, deadline)) {
                throw new FailoverException("ERR FAILOVER target " + target + " did not ack offset " + offset + " within "
                        + timeoutMs + " ms; aborted, writes resumed", true);
            }
            LinkDriver driver = node.followForFailover(target.address(), target.handoverKey());
            long handshakeDeadline = Math.max(deadline, clock.millis() + MIN_HANDSHAKE_MS);
            String failure = awaitHandshake(driver.link(), handshakeDeadline);
            if (failure != null) {
                node.revertFailover(driver);
                throw new FailoverException("ERR FAILOVER to " + target + " aborted: " + failure + "; writes resumed", true);
            }
            long pausedMs = clock.millis() - start;
            log.info("Failover to {} done: it took over at offset {}; writes were paused for {} ms", target, offset, pausedMs);
            return new Result(target.toString(), offset, pausedMs);
        } finally {
            node.keyspace().resumeWrites();
        }
    }

    /**
     * Asks for acks until the target acked {@code offset} with an Ack of its own (what it claimed
     * in its PSYNC does not count: a peer could claim anything); false at the deadline.
     */
    private boolean awaitAck(Target target, long offset, long deadline) {
        // At once, then every 50 ms. (It started at Long.MIN_VALUE with `now - lastAsk >= 50`, which
        // overflows: no ack was ever asked for, and the pause lasted until the replica's periodic ack.)
        long nextAsk = clock.millis();
        while (clock.millis() < deadline) {
            for (ReplicationMaster.OnlineReplica r : node.master().onlineReplicas()) {
                if (r.address().equals(target.address().toString()) && r.acked() && r.ackOffset() >= offset) {
                    return true;
                }
            }
            long now = clock.millis();
            if (now >= nextAsk) {
                nextAsk = now + 50;
                node.requestAcks();
            }
            sleep();
        }
        return false;
    }

    /**
     * Waits for the target's answer to the PSYNC FAILOVER: null once it took over, else why not.
     * A refusal ends it at once (the target did not promote); a lost stream does not: the target
     * may have promoted already, so the link asks again until the deadline, which the target
     * answers by continuing us.
     */
    private String awaitHandshake(MasterLink link, long deadline) {
        while (clock.millis() < deadline) {
            if (!link.failoverPending()) {
                return null;
            }
            String dropped = link.lastDropReason();
            if (dropped != null && dropped.contains("failover refused")) {
                return dropped;
            }
            sleep();
        }
        return link.failoverPending() ? "the target did not answer within the timeout" : null;
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FailoverException("ERR FAILOVER interrupted", true);
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
