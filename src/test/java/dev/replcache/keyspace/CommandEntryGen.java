package dev.replcache.keyspace;

import dev.replcache.testing.Gen;
import java.io.ByteArrayOutputStream;
import java.util.List;

/** Generators of arbitrary {@link CommandEntry} values, for the codec and replay properties. */
final class CommandEntryGen {

    private CommandEntryGen() {
    }

    /**
     * Arbitrary binary strings: mostly short (one-byte length varint), sometimes longer than 127
     * bytes (two-byte varint), empty included.
     */
    static Bytes bytes(Gen gen) {
        return gen.weighted(12, 1) == 0 ? Bytes.of(gen.bytes(0, 24)) : Bytes.of(gen.bytes(120, 400));
    }

    /** Expiry times: none, realistic, in the past, negative, and the extremes of long. */
    static long expiry(Gen gen) {
        return switch (gen.intBetween(0, 3)) {
            case 0 -> Entry.NO_EXPIRY;
            case 1 -> gen.longBetween(1_600_000_000_000L, 2_000_000_000_000L);
            case 2 -> gen.anyLong();
            default -> gen.pick(0L, 1L, -2L, Long.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE + 1, Long.MAX_VALUE - 1);
        };
    }

    static CommandEntry entry(Gen gen) {
        return switch (gen.intBetween(0, 8)) {
            case 0 -> new CommandEntry.Set(bytes(gen), bytes(gen), expiry(gen));
            case 1 -> new CommandEntry.Append(bytes(gen), bytes(gen));
            case 2 -> new CommandEntry.Del(gen.listOf(0, 5, CommandEntryGen::bytes));
            case 3 -> new CommandEntry.PExpireAt(bytes(gen), expiry(gen));
            case 4 -> new CommandEntry.Persist(bytes(gen));
            case 5 -> new CommandEntry.HSet(bytes(gen), gen.mapOf(6, CommandEntryGen::bytes, CommandEntryGen::bytes));
            case 6 -> new CommandEntry.HDel(bytes(gen), gen.listOf(0, 5, CommandEntryGen::bytes));
            case 7 -> new CommandEntry.MSet(gen.mapOf(6, CommandEntryGen::bytes, CommandEntryGen::bytes));
            default -> new CommandEntry.FlushAll();
        };
    }

    static List<CommandEntry> entryList(Gen gen) {
        return gen.listOf(0, 12, CommandEntryGen::entry);
    }

    static byte[] encodeAll(List<CommandEntry> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (CommandEntry e : entries) {
            out.writeBytes(EntryCodec.encode(e));
        }
        return out.toByteArray();
    }
}
