package dev.replcache.keyspace;

/**
 * Where the keyspace appends the entry of every write it applies. It is called while the
 * keyspace's write lock is held, right after the change, so the order of the log is exactly
 * the order in which writes were applied (docs/architecture.md, "Snapshots without fork"). Implementations must be quick
 * and must not call back into the keyspace.
 */
@FunctionalInterface
public interface WriteLog {

    void append(CommandEntry entry);

    /** A log that drops everything, for keyspaces nobody replicates (tests, loading). */
    WriteLog DISCARD = entry -> { };
}
