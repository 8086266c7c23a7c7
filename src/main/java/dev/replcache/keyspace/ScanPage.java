package dev.replcache.keyspace;

import java.util.List;

/**
 * One page of SCAN.
 *
 * @param nextCursor cursor for the next call; 0 when the scan is complete
 * @param keys       keys of this page that match the pattern
 */
public record ScanPage(long nextCursor, List<Bytes> keys) {
    public ScanPage {
        keys = List.copyOf(keys);
    }
}
