package dev.replcache.replication;

/**
 * The master's answer to {@code PSYNC replId offset}: one pure function, as Redis's
 * {@code masterTryPartialResynchronization}, returning the outcome and the reason, so that
 * every refusal can be logged and counted.
 */
public final class PsyncDecision {

    /** What the master does. */
    public enum Outcome {
        /** Stream from the replica's offset: it lacks only what the backlog holds. */
        CONTINUE,
        /** Send a snapshot, then the stream from the snapshot's offset. */
        FULL_RESYNC
    }

    /** Why; each has a metric label and a log text. */
    public enum Reason {
        /** The replica follows our current history and the backlog holds its offset. */
        CONTINUE_CURRENT_ID("replid matches and the backlog holds the offset"),
        /** The replica follows the history we had before our promotion, up to where we switched. */
        CONTINUE_PREVIOUS_ID("replid matches our previous replid (replid2) and the backlog holds the offset"),
        /** The replica has no history ({@code ?} or a negative offset). */
        NO_HISTORY("replica has no replication history"),
        /** The replica follows another history than ours. */
        REPLID_MISMATCH("replid is neither our replid nor our replid2"),
        /** The replica followed our previous history past the point where we left it. */
        PAST_SECOND_OFFSET("offset is past where our previous history ended (second_replid_offset)"),
        /** The backlog no longer holds the offset (the gap was too large). */
        OFFSET_BEFORE_BACKLOG("offset is older than the backlog's first byte"),
        /** The replica claims bytes we never produced. */
        OFFSET_AHEAD_OF_MASTER("offset is ahead of the master's offset");

        private final String description;

        Reason(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }

        /** Label for metrics: {@code offset_before_backlog}. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * The decision.
     *
     * @param outcome continue or full resync
     * @param reason  why
     */
    public record Result(Outcome outcome, Reason reason) {
        public boolean isContinue() {
            return outcome == Outcome.CONTINUE;
        }
    }

    /**
     * The master's history as PSYNC needs it.
     *
     * @param replId           current replication id
     * @param replId2          previous id kept after a promotion, or {@link ReplicationId#NONE}
     * @param secondReplOffset last offset valid for {@code replId2} (-1 when none)
     * @param backlogFirst     first offset the backlog holds
     * @param masterOffset     the master's offset (next byte to produce)
     */
    public record History(ReplicationId replId, ReplicationId replId2, long secondReplOffset,
                          long backlogFirst, long masterOffset) {
    }

    private PsyncDecision() {
    }

    /**
     * @param requestedId     the replica's replication id ({@link ReplicationId#NONE} for none)
     * @param requestedOffset the replica's offset: the next byte it needs (= bytes it has applied)
     */
    public static Result decide(ReplicationId requestedId, long requestedOffset, History master) {
        if (requestedId.isNone() || requestedOffset < 0) {
            return full(Reason.NO_HISTORY);
        }
        Reason continueReason;
        if (requestedId.equals(master.replId())) {
            continueReason = Reason.CONTINUE_CURRENT_ID;
        } else if (!master.replId2().isNone() && requestedId.equals(master.replId2())) {
            if (requestedOffset > master.secondReplOffset()) {
                return full(Reason.PAST_SECOND_OFFSET);
            }
            continueReason = Reason.CONTINUE_PREVIOUS_ID;
        } else {
            return full(Reason.REPLID_MISMATCH);
        }
        if (requestedOffset < master.backlogFirst()) {
            return full(Reason.OFFSET_BEFORE_BACKLOG);
        }
        if (requestedOffset > master.masterOffset()) {
            return full(Reason.OFFSET_AHEAD_OF_MASTER);
        }
        return new Result(Outcome.CONTINUE, continueReason);
    }

    private static Result full(Reason reason) {
        return new Result(Outcome.FULL_RESYNC, reason);
    }
}
