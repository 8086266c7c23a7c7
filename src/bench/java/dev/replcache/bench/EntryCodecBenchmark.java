package dev.replcache.bench;

import dev.replcache.keyspace.Bytes;
import dev.replcache.keyspace.CommandEntry;
import dev.replcache.keyspace.EntryCodec;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Cost of the replication stream's entry codec per entry: encode (each entry to an array of its
 * exact size, as the write path frames it) and decode (walk a batch, as a replica does), for a
 * typical mix: SET of a 16-byte key and 100-byte value with an expiry, DEL of one key, HSET of
 * three fields. Prints figures; asserts nothing (benchmarks are not tests).
 *
 * <p>Run: {@code ./mvnw -q test-compile && java -cp target/test-classes:target/classes
 * dev.replcache.bench.EntryCodecBenchmark [entries]}.
 */
public final class EntryCodecBenchmark {

    private static final int POOL = 1 << 16; // distinct entries, cycled: measures the codec, not generation
    private static final int BATCH_ENTRIES = 1000; // entries per Entries message, ~50 KiB
    private static final int WARMUP_ROUNDS = 3;
    private static final int MEASURED_ROUNDS = 5;

    private static volatile Object sink;

    private EntryCodecBenchmark() {
    }

    public static void main(String[] args) {
        int total = args.length > 0 ? Integer.parseInt(args[0]) : 2_000_000;
        SplittableRandom random = new SplittableRandom(42);
        System.out.printf("EntryCodecBenchmark: %,d entries per round, %d warm-up + %d measured rounds, %s, %d cpus%n",
                total, WARMUP_ROUNDS, MEASURED_ROUNDS, System.getProperty("java.vm.name") + " " + Runtime.version(),
                Runtime.getRuntime().availableProcessors());

        run("mix (SET+PX 16B/100B, DEL 1 key, HSET 3 fields)", mixedPool(random), total);
        run("SET 16-byte key, 100-byte value, expiry", pool(random, 0), total);
        run("DEL one 16-byte key", pool(random, 1), total);
        run("HSET 3 fields (8-byte names, 16-byte values)", pool(random, 2), total);
    }

    private static void run(String label, CommandEntry[] pool, int total) {
        // The batches a replica receives for `total` entries (decode input), built once.
        List<byte[]> batches = new ArrayList<>();
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
        long encodedBytes = 0;
        for (int i = 0; i < total; i++) {
            out.writeBytes(EntryCodec.encode(pool[i & (POOL - 1)]));
            if ((i + 1) % BATCH_ENTRIES == 0 || i == total - 1) {
                batches.add(out.toByteArray());
                encodedBytes += out.size();
                out.reset();
            }
        }

        long[] encodeNs = new long[MEASURED_ROUNDS];
        long[] decodeNs = new long[MEASURED_ROUNDS];
        for (int round = -WARMUP_ROUNDS; round < MEASURED_ROUNDS; round++) {
            long e = encodeRound(pool, total);
            long d = decodeRound(batches, total);
            if (round >= 0) {
                encodeNs[round] = e;
                decodeNs[round] = d;
            }
        }
        Arrays.sort(encodeNs);
        Arrays.sort(decodeNs);
        double bytesPerEntry = (double) encodedBytes / total;
        System.out.printf("%n%s%n  %.1f bytes/entry encoded%n", label, bytesPerEntry);
        report("encode", encodeNs, total, encodedBytes);
        report("decode", decodeNs, total, encodedBytes);
    }

    private static long encodeRound(CommandEntry[] pool, int total) {
        // As the write path does: each entry to one array of exactly its size.
        long start = System.nanoTime();
        long size = 0;
        for (int i = 0; i < total; i++) {
            size += EntryCodec.encode(pool[i & (POOL - 1)]).length;
        }
        long elapsed = System.nanoTime() - start;
        sink = size;
        return elapsed;
    }

    private static long decodeRound(List<byte[]> batches, int total) {
        long start = System.nanoTime();
        int decoded = 0;
        CommandEntry last = null;
        for (byte[] batch : batches) {
            EntryCodec.Reader reader = new EntryCodec.Reader(batch);
            while (reader.hasMore()) {
                last = reader.next();
                decoded++;
            }
        }
        long elapsed = System.nanoTime() - start;
        if (decoded != total) {
            throw new AssertionError("decoded " + decoded + " of " + total);
        }
        sink = last;
        return elapsed;
    }

    private static void report(String what, long[] sortedNs, int total, long bytes) {
        long best = sortedNs[0];
        long median = sortedNs[sortedNs.length / 2];
        System.out.printf("  %s: %6.1f ns/entry median (%5.1f best), %7.1f MB/s median, %5.2f M entries/s%n",
                what, (double) median / total, (double) best / total,
                bytes / 1e6 / (median / 1e9), total / 1e6 / (median / 1e9));
    }

    private static CommandEntry[] mixedPool(SplittableRandom random) {
        CommandEntry[] pool = new CommandEntry[POOL];
        for (int i = 0; i < POOL; i++) {
            pool[i] = entry(random, i % 3);
        }
        return pool;
    }

    private static CommandEntry[] pool(SplittableRandom random, int kind) {
        CommandEntry[] pool = new CommandEntry[POOL];
        for (int i = 0; i < POOL; i++) {
            pool[i] = entry(random, kind);
        }
        return pool;
    }

    private static CommandEntry entry(SplittableRandom random, int kind) {
        long now = 1_750_000_000_000L;
        return switch (kind) {
            case 0 -> new CommandEntry.Set(bytes(random, 16), bytes(random, 100), now + random.nextInt(3_600_000));
            case 1 -> CommandEntry.Del.of(bytes(random, 16));
            default -> {
                Map<Bytes, Bytes> fields = new LinkedHashMap<>();
                for (int f = 0; f < 3; f++) {
                    fields.put(bytes(random, 8), bytes(random, 16));
                }
                yield new CommandEntry.HSet(bytes(random, 16), fields);
            }
        };
    }

    private static Bytes bytes(SplittableRandom random, int length) {
        byte[] b = new byte[length];
        random.nextBytes(b);
        return Bytes.of(b);
    }
}
