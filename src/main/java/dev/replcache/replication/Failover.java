package dev.replcache.replication;

import java.util.Objects;

/**
 * A coordinated failover on the master (Redis's FAILOVER), as a state machine stepped with the
 * facts of the moment: the monotonic time, the offset the target acked, and the target's answer
 * to the handshake as the old master's link saw it. Each step returns the one action the node
 * must take; the node pauses writes before it starts the machine.
 *
 * <pre>
 *   WAIT_FOR_SYNC --target acked X--> FAILOVER_IN_PROGRESS --took over--> NO_FAILOVER (DONE)
 *        |                                 |        \--refused--> NO_FAILOVER (REVERT)
 *     deadline                          deadline
 *        v                                 v
 *   NO_FAILOVER (RESUME)             OUTCOME_UNKNOWN --took over--> DONE; --refused--> REVERT
 * </pre>
 *
 * <p>The rule that keeps one master per history: once the handshake went out the target may
 * have promoted itself, so the old master never takes writes again on its own. A lost answer
 * is not a refusal: at the deadline the machine reports the outcome as unknown and keeps the
 * node a replica of the target (refusing writes, asking again) until the target says it took
 * over (the node follows it) or that it refused (only then may the node become the master again,
 * with its history unchanged). An operator may end the wait by naming a master
 * ({@link #abandon()}), which gives the node a new replId if it becomes a master.
 *
 * <p>Not thread-safe: stepped from one thread.
 */
public final class Failover {

    /** Redis's {@code master_failover_state}, and the one state Redis does not have. */
    public enum State {
        NO_FAILOVER("no-failover"),
        /** Writes paused at X; waiting for the target to ack X. */
        WAIT_FOR_SYNC("waiting-for-sync"),
        /** PSYNC FAILOVER sent to the target; waiting for its answer. */
        FAILOVER_IN_PROGRESS("failover-in-progress"),
        /** The answer did not come in time: the target may or may not have taken over. */
        OUTCOME_UNKNOWN("failover-outcome-unknown");

        private final String redisName;

        State(String redisName) {
            this.redisName = redisName;
        }

        /** The name INFO replication and {@code /v1/replication} show. */
        public String redisName() {
            return redisName;
        }
    }

    /** The target's answer to the handshake, as the old master's link saw it. */
    public enum Answer {
        /** Nothing yet (or the stream was lost before an answer). */
        NONE,
        /** The target continued or full-synced us: it is the master now. */
        TOOK_OVER,
        /** The target refused to take over (and the link asks no more). */
        REFUSED
    }

    /** What the node must do after a step. */
    public enum Action {
        NONE,
        /** Ask the replicas for their offsets (GETACK). */
        ASK_FOR_ACKS,
        /** Follow the target with PSYNC FAILOVER (the handshake goes out: no way back on our own). */
        HAND_OVER,
        /** The target never acked X: nothing went out, resume writes as the master. */
        RESUME,
        /** The target took over: resume (client writes now get READONLY with its address). */
        DONE,
        /** The target refused: become the master again with the history unchanged, resume writes. */
        REVERT,
        /** Tell the client the outcome is unknown; stay a replica of the target and keep asking. */
        REPORT_UNKNOWN
    }

    /** How often to ask the replicas for acks while waiting for the target's. */
    static final long ASK_INTERVAL_MS = 50;

    private final String target;
    private final long offset;
    private final long startedAtMs;
    private final long deadlineMs;
    private final long minHandshakeMs;
    private State state = State.WAIT_FOR_SYNC;
    private long nextAskMs;
    private long handshakeDeadlineMs = -1;
    private long endedAtMs = -1;
    private Action outcome = Action.NONE;

    /**
     * Writes are paused at {@code offset} now ({@code nowMs}); the target has until
     * {@code timeoutMs} from now to ack it, and the handshake at least {@code minHandshakeMs}.
     */
    public Failover(String target, long offset, long nowMs, long timeoutMs, long minHandshakeMs) {
        if (timeoutMs <= 0 || minHandshakeMs < 0 || offset < 0) {
            throw new IllegalArgumentException("failover: timeout must be > 0, offset and handshake time >= 0");
        }
        this.target = Objects.requireNonNull(target, "target");
        this.offset = offset;
        this.startedAtMs = nowMs;
        this.deadlineMs = nowMs + timeoutMs;
        this.minHandshakeMs = minHandshakeMs;
        this.nextAskMs = nowMs;
    }

    /**
     * One step.
     *
     * @param targetAckOffset the offset the target acked with an Ack of its own, -1 for none
     *                        (what it claimed in its PSYNC does not count: a peer could claim anything)
     * @param answer          the handshake's answer so far (NONE before the handshake)
     */
    public Action step(long nowMs, long targetAckOffset, Answer answer) {
        return switch (state) {
            case NO_FAILOVER -> Action.NONE;
            case WAIT_FOR_SYNC -> waitForSync(nowMs, targetAckOffset);
            case FAILOVER_IN_PROGRESS, OUTCOME_UNKNOWN -> awaitAnswer(nowMs, Objects.requireNonNull(answer, "answer"));
        };
    }

    private Action waitForSync(long now, long targetAckOffset) {
        if (targetAckOffset >= offset) {
            state = State.FAILOVER_IN_PROGRESS;
            handshakeDeadlineMs = Math.max(deadlineMs, now + minHandshakeMs);
            return Action.HAND_OVER;
        }
        if (now >= deadlineMs) {
            return end(now, Action.RESUME);
        }
        if (now >= nextAskMs) {
            nextAskMs = now + ASK_INTERVAL_MS;
            return Action.ASK_FOR_ACKS;
        }
        return Action.NONE;
    }

    private Action awaitAnswer(long now, Answer answer) {
        if (answer == Answer.TOOK_OVER) {
            return end(now, Action.DONE);
        }
        if (answer == Answer.REFUSED) {
            return end(now, Action.REVERT);
        }
        if (state == State.FAILOVER_IN_PROGRESS && now >= handshakeDeadlineMs) {
            state = State.OUTCOME_UNKNOWN;
            return Action.REPORT_UNKNOWN;
        }
        return Action.NONE;
    }

    private Action end(long now, Action action) {
        state = State.NO_FAILOVER;
        endedAtMs = now;
        outcome = action;
        return action;
    }

    /**
     * The operator named a master (or none) while the outcome was unknown: the machine stops
     * waiting. Refused before then: the handshake's answer is on its way.
     */
    public void abandon() {
        if (state != State.OUTCOME_UNKNOWN) {
            throw new IllegalStateException("only a failover whose outcome is unknown can be abandoned, not " + state);
        }
        state = State.NO_FAILOVER;
        outcome = Action.NONE;
    }

    public State state() {
        return state;
    }

    /** True once the handshake may have reached the target: the node must not take writes on its own. */
    public boolean handedOver() {
        return handshakeDeadlineMs >= 0;
    }

    /** How the machine ended: DONE, REVERT, RESUME, or NONE while running or when abandoned. */
    public Action outcome() {
        return outcome;
    }

    public String target() {
        return target;
    }

    /** X: the offset writes were paused at, where the target takes over. */
    public long offset() {
        return offset;
    }

    /** From the pause to the end, or to {@code nowMs} while running. */
    public long pausedMs(long nowMs) {
        return (endedAtMs >= 0 ? endedAtMs : nowMs) - startedAtMs;
    }

    /** When the target must have acked X. */
    public long deadlineMs() {
        return deadlineMs;
    }

    @Override
    public String toString() {
        return "Failover[" + state.redisName() + " to " + target + " at offset " + offset + "]";
    }
}
