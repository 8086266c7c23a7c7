package dev.replcache.replication.lease;

/**
 * What a {@code coordination.k8s.io/v1} Lease says, as the election reads it.
 *
 * @param holder      the holder's identity (a node's run id: a restarted node is a new holder), or
 *                    empty when the lease was released
 * @param holderName  the holder's stable name (its pod), for people and for tie-breaks
 * @param address     the holder's replication address ({@code host:port}), where the others follow it
 * @param durationMs  how long the holder's claim lasts without a renewal ({@code leaseDurationSeconds})
 * @param transitions how many times the lease changed hands ({@code leaseTransitions}): the epoch
 * @param version     the store's version of this record ({@code resourceVersion}), for compare-and-swap;
 *                    it changes with every write, renewals included
 */
public record LeaseRecord(String holder, String holderName, String address, long durationMs, long transitions,
                          String version) {

    /** True when nobody holds the lease (it was released at a clean handover or stop). */
    public boolean released() {
        return holder == null || holder.isEmpty();
    }
}
