package dev.replcache.keyspace;

/**
 * Outcome of SET.
 *
 * @param applied  false when NX/XX prevented the write
 * @param previous the previous value when GET was asked and the key existed, else null
 */
public record SetResult(boolean applied, Bytes previous) {

    /** Written, with no previous value asked for. */
    public static final SetResult WRITTEN = new SetResult(true, null);
}
