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

    /** One entry as stream bytes: its length as a varint, then its encoding, in one array. */
    public static byte[] frame(CommandEntry entry) {
        // Sized up front and written in place: this runs for every write, inside the keyspace's write lock.
        int bodyLength = EntryCodec.encodedSize(entry);
        int prefix = 1;
        for (int len = bodyLength >>> 7; len != 0; len >>>= 7) {
            prefix++;
        }
        byte[] frame = new byte[prefix + bodyLength];
        int pos = 0;
        int len = bodyLength;
        while ((len & ~0x7f) != 0) {
            frame[pos++] = (byte) ((len & 0x7f) | 0x80);
            len >>>= 7;
        }
        frame[pos] = (byte) len;
        EntryCodec.encodeInto(entry, frame, prefix);
        return frame;
    }
}
