package dev.replcache.keyspace;

/** Who owns time-based removals in this keyspace. */
public enum KeyspaceRole {
    /** Expires keys (lazily and actively) and evicts under max-memory, logging a DEL for each. */
    MASTER,
    /** Never deletes by its own clock and never evicts: it hides logically expired keys and waits for the master's DEL. */
    REPLICA
}
