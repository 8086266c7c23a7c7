package dev.replcache.keyspace;

import java.util.ArrayList;
import java.util.List;

/**
 * A list-backed {@link WriteLog}. The keyspace appends under its write lock; readers that run
 * concurrently with writers must read under that lock too (as {@link #size()} in an
 * {@code openSnapshot} offset supplier does), or after the writers stopped.
 */
final class RecordingWriteLog implements WriteLog {

    private final List<CommandEntry> entries = new ArrayList<>();

    @Override
    public synchronized void append(CommandEntry entry) {
        entries.add(entry);
    }

    /** A copy of what was logged so far. */
    synchronized List<CommandEntry> entries() {
        return List.copyOf(entries);
    }

    /** The entries logged since the last call (or since start), then forgets them. */
    synchronized List<CommandEntry> drain() {
        List<CommandEntry> copy = List.copyOf(entries);
        entries.clear();
        return copy;
    }

    synchronized int size() {
        return entries.size();
    }
}
