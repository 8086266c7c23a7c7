package dev.replcache.replication;

/**
 * What a master knows of one replica.
 *
 * @param id        the replica's id (from Hello)
 * @param address   where it says it can be reached
 * @param state     its sync state
 * @param ackOffset last acked offset (-1 before the first ack)
 * @param lagBytes  master offset minus ack offset
 * @param lagMs     how long ago the oldest byte it has not acked was produced
 * @param acked     the ack offset came from an Ack on this stream (what WAIT counts), not only from
 *                  the offset its PSYNC asked to continue from
 * @param respPort  the port of its Redis protocol server, 0 = none
 */
public record ReplicaInfo(String id, String address, ReplicaSession.State state, long ackOffset, long lagBytes,
                          long lagMs, boolean acked, int respPort) {
}
