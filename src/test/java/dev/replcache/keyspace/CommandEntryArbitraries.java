package dev.replcache.keyspace;

import java.io.ByteArrayOutputStream;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/** jqwik generators of arbitrary {@link CommandEntry} values, for the codec properties. */
final class CommandEntryArbitraries {

    private CommandEntryArbitraries() {
    }

    /**
     * Arbitrary binary strings: mostly short (one-byte length varint), sometimes longer than 127
     * bytes (two-byte varint), empty included.
     */
    static Arbitrary<Bytes> bytes() {
        Arbitrary<byte[]> small = Arbitraries.bytes().array(byte[].class).ofMaxSize(24);
        Arbitrary<byte[]> large = Arbitraries.bytes().array(byte[].class).ofMinSize(120).ofMaxSize(400);
        return Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(12, small),
                        net.jqwik.api.Tuple.of(1, large))
                .map(Bytes::of);
    }

    /** Expiry times: none, realistic, in the past, negative, and the extremes of long. */
    static Arbitrary<Long> expiries() {
        return Arbitraries.oneOf(
                Arbitraries.just(Entry.NO_EXPIRY),
                Arbitraries.longs().between(1_600_000_000_000L, 2_000_000_000_000L),
                Arbitraries.longs(),
                Arbitraries.of(0L, 1L, -2L, Long.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE + 1, Long.MAX_VALUE - 1));
    }

    static Arbitrary<CommandEntry> entries() {
        Arbitrary<CommandEntry> set = Combinators.combine(bytes(), bytes(), expiries()).as(CommandEntry.Set::new);
        Arbitrary<CommandEntry> append = Combinators.combine(bytes(), bytes()).as(CommandEntry.Append::new);
        Arbitrary<CommandEntry> del = bytes().list().ofMaxSize(5).map(CommandEntry.Del::new);
        Arbitrary<CommandEntry> pexpireAt = Combinators.combine(bytes(), expiries()).as(CommandEntry.PExpireAt::new);
        Arbitrary<CommandEntry> persist = bytes().map(CommandEntry.Persist::new);
        Arbitrary<CommandEntry> hset = Combinators.combine(bytes(), Arbitraries.maps(bytes(), bytes()).ofMaxSize(6))
                .as(CommandEntry.HSet::new);
        Arbitrary<CommandEntry> hdel = Combinators.combine(bytes(), bytes().list().ofMaxSize(5))
                .as(CommandEntry.HDel::new);
        Arbitrary<CommandEntry> flushAll = Arbitraries.just(new CommandEntry.FlushAll());
        return Arbitraries.oneOf(set, append, del, pexpireAt, persist, hset, hdel, flushAll);
    }

    static Arbitrary<List<CommandEntry>> entryLists() {
        return entries().list().ofMaxSize(12);
    }

    static byte[] encodeAll(List<CommandEntry> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (CommandEntry e : entries) {
            EntryCodec.encode(e, out);
        }
        return out.toByteArray();
    }
}
