package dev.replcache.node;

import dev.replcache.config.ReplicationProperties.HostPort;
import dev.replcache.keyspace.MillisClock;
import dev.replcache.replication.Failover;
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
 * Runs a coordinated failover on the master, as Redis's FAILOVER command, by stepping the core's
 * {@link Failover} state machine on its own thread with the facts of the moment:
 * <ol>
 *   <li>pick the target (the replica named, else the one that acked the most), refuse when there is none;</li>
 *   <li>pause client writes (and removals by time), so the offset stops at {@code X};</li>
 *   <li>ask for acks until the target acked {@code X}, or abort at the timeout and resume writes;</li>
 *   <li>follow the target with {@code PSYNC replId X FAILOVER}: the target, holding exactly
 *       {@code X}, promotes itself (keeping our id as replId2) and continues us partially;</li>
 *   <li>resume: client writes now get READONLY with the new master's address.</li>
 * </ol>
 * No acknowledged write is lost: every write acknowledged before the pause is below {@code X},
 * and the target takes over only at {@code X}. Once the handshake went out, only the target's
 * refusal makes this node the master again; a lost answer leaves it the target's replica, the
 * outcome reported unknown, asking again until the target answers (or an operator names a master).
 */
public final class FailoverCoordinator implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FailoverCoordinator.class);
    private static final long POLL_MS = 2;
    /** While the outcome is unknown the answer may take long: ask less often. */
    private static final long UNKNOWN_POLL_MS = 20;
    /** The handshake gets at least this long even when catching up used the whole timeout. */
    private static final long MIN_HANDSHAKE_MS = 1_000;

    /** A completed failover: the new master, the offset handed over, how long writes were paused. */
    public record Result(String newMaster, long offset, long pausedMs) {
    }

    private final CacheNode node;
    private final MillisClock clock;
    private final AtomicBoolean running = new AtomicBoolean();
    /** The running machine's state, for views (the machine itself is the failover thread's). */
    private volatile Failover.State state = Failover.State.NO_FAILOVER;
    /** An operator named a master while the outcome was unknown: stop waiting. */
    private final AtomicBoolean abandoned = new AtomicBoolean();
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "replcache-failover");
        t.setDaemon(true);
        return t;
    });

    FailoverCoordinator(CacheNode node, MillisClock clock) {
        this.node = node;
        this.clock = clock;
    }

    Failover.State state() {
        return state;
    }

    /**
     * Whether a role change by an operator must wait: true until the handshake's answer is due.
     * Once the outcome is unknown an operator may end the wait (it calls {@link #abandon()}).
     */
    boolean blocksRoleChange() {
        return running.get() && state != Failover.State.OUTCOME_UNKNOWN;
    }

    /** An operator named a master while the outcome was unknown: the failover stops waiting. */
    void abandon() {
        if (running.get() && state == Failover.State.OUTCOME_UNKNOWN) {
            abandoned.set(true);
        }
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
        abandoned.set(false);
        CompletableFuture<Result> done = new CompletableFuture<>();
        try {
            thread.execute(() -> {
                try {
                    run(target, timeoutMs, done);
                } catch (RuntimeException e) {
                    done.completeExceptionally(e);
                } finally {
                    state = Failover.State.NO_FAILOVER;
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

    /** Steps the machine until it ends; {@code done} gets the client's answer, which may come first. */
    private void run(Target target, long timeoutMs, CompletableFuture<Result> done) {
        // Before the pause: a cold gRPC client cost ~1.6 s of a 2 s pause in the first benchmark run.
        long warmStart = clock.millis();
        node.warmUpConnection(target.address(), Math.min(timeoutMs, 2_000));
        log.info("Failover to {}: connection to the target checked in {} ms; pausing writes", target,
                clock.millis() - warmStart);
        node.keyspace().pauseWrites();
        boolean paused = true;
        Failover f = new Failover(target.toString(), node.replicationLog().offset(), clock.millis(), timeoutMs,
                MIN_HANDSHAKE_MS);
        state = f.state();
        log.info("Failover to {}: writes paused at offset {}, waiting for the target to ack it", target, f.offset());
        LinkDriver driver = null;
        try {
            while (true) {
                if (abandoned.get() && f.state() == Failover.State.OUTCOME_UNKNOWN) {
                    f.abandon();
                    log.warn("Failover to {}: the operator named a master while the outcome was unknown; "
                            + "stopped waiting for the target's answer", target);
                    return;
                }
                Failover.Answer answer = driver == null ? Failover.Answer.NONE : driver.link().failoverAnswer();
                Failover.Action action = f.step(clock.millis(), targetAck(target), answer);
                state = f.state();
                switch (action) {
                    case NONE -> { }
                    case ASK_FOR_ACKS -> node.requestAcks();
                    case HAND_OVER -> driver = node.followForFailover(target.address(), target.handoverKey());
                    case RESUME -> {
                        done.completeExceptionally(new FailoverException("ERR FAILOVER target " + target
                                + " did not ack offset " + f.offset() + " within " + timeoutMs
                                + " ms; aborted, writes resumed", true));
                        return;
                    }
                    case REVERT -> {
                        node.revertFailover(driver);
                        String why = driver.link().failoverRefused();
                        log.warn("Failover to {} refused by the target: {}", target, why);
                        done.completeExceptionally(new FailoverException("ERR FAILOVER to " + target + " aborted: " + why
                                + "; writes resumed", true));
                        return;
                    }
                    case DONE -> {
                        long pausedMs = f.pausedMs(clock.millis());
                        log.info("Failover to {} done: it took over at offset {}; writes were paused for {} ms", target,
                                f.offset(), pausedMs);
                        done.complete(new Result(target.toString(), f.offset(), pausedMs)); // no-op after an unknown
                        return;
                    }
                    case REPORT_UNKNOWN -> {
                        // A replica of the target now: the keyspace refuses client writes by its role.
                        node.keyspace().resumeWrites();
                        paused = false;
                        log.warn("Failover to {}: no answer to the handshake in time; the outcome is unknown. This node "
                                + "stays a replica of {} (writes refused) and keeps asking until it answers", target, target);
                        done.completeExceptionally(FailoverException.outcomeUnknown("ERR FAILOVER to " + target
                                + ": outcome unknown, the target did not answer the handshake in time; this node stays "
                                + "its replica (writes refused) and follows it once it answers that it took over, or "
                                + "becomes the master again if it refuses"));
                    }
                }
                sleep(f.state() == Failover.State.OUTCOME_UNKNOWN ? UNKNOWN_POLL_MS : POLL_MS);
            }
        } finally {
            if (paused) {
                node.keyspace().resumeWrites();
            }
        }
    }

    /** The offset the target acked with an Ack of its own, -1 when it has not (or is not online). */
    private long targetAck(Target target) {
        long acked = -1;
        for (ReplicationMaster.OnlineReplica r : node.master().onlineReplicas()) {
            if (r.address().equals(target.address().toString()) && r.acked()) {
                acked = Math.max(acked, r.ackOffset());
            }
        }
        return acked;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
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
