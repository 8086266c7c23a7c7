package dev.replcache.replication;

import dev.replcache.keyspace.CommandEntry;
import dev.replcache.keyspace.EntryCodec;
import java.io.ByteArrayOutputStream;

/**
 * The replication stream's byte format: each entry is a frame, an unsigned LEB128 varint length
 * followed by the {@link EntryCodec} bytes. Offsets count these bytes. Because frames carry
 * their length, the stream can be cut into batches anywhere (a 16 MiB value spans several
 * messages), and a replica knows when it holds a whole entry before decoding it.
 */
public final class StreamFrames {

    private StreamFrames() {
    }

    /** One entry as stream bytes. */
    public static byte[] frame(CommandEntry entry) {
        byte[] body = EntryCodec.encode(entry);
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 5);
        int len = body.length;
        while ((len & ~0x7f) != 0) {
            out.write((len & 0x7f) | 0x80);
            len >>>= 7;
        }
        out.write(len);
        out.write(body, 0, body.length);
        return out.toByteArray();
    }
}
