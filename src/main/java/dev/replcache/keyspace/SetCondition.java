package dev.replcache.keyspace;

/** The NX/XX part of SET. */
public enum SetCondition {
    /** Always set. */
    ALWAYS,
    /** NX: only if the key does not exist. */
    IF_ABSENT,
    /** XX: only if the key exists. */
    IF_PRESENT
}
