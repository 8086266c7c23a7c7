package dev.replcache.replication;

import dev.replcache.keyspace.CommandEntry;
import dev.replcache.keyspace.EntryCodec;

/**
 * The replication stream's byte format: each entry is a frame, an unsigned LEB128 varint length
 * followed by the {@link EntryCodec} bytes. Offsets count these bytes. Because frames carry
 * their length, the stream can be cut into batches anywhere (a 16 MiB value spans several
 * messages), and a replica knows when it holds a whole entry before decoding it.
 */
public final class StreamFrames {

    private StreamFrames() {
    }

    /** One entry as stream bytes: its length as a varint, then its encoding. */
    public static byte[] frame(CommandEntry entry) {
        return EntryCodec.encodeWithLengthPrefix(entry);
    }
}
