package dev.replcache.bench;

import static dev.replcache.bench.ReplicationBench.fmt;
import static dev.replcache.bench.ReplicationBench.log;
import static dev.replcache.bench.ReplicationBench.pct;

import dev.replcache.bench.ReplicationBench.Resp;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Replication lag as a client of a replica sees it, at a steady write rate that is the same for
 * ReplCache and Redis (issue 13's lag row: "at the same rate"). Both are driven over RESP with one
 * client code, so nothing but the servers differs.
 *
 * <p>While {@code lanes} writers SET random keys on the master, paced to {@code rate} SETs per
 * second in all, a probe SETs {@code lagprobe} to a new sequence number every 10 ms and then asks
 * each replica {@code GET lagprobe} back to back until it sees that number. The lag of one probe
 * on one replica is the time from the master's OK to the first GET that returns the number; its
 * resolution is one GET round trip (about 0.1 ms on loopback), not a sampling interval. A probe
 * that waits longer than 10 ms also counts the probes its wait kept from going out
 * ({@link #record}), so a stall weighs by its length, as over time.
 *
 * <pre>
 * probelag MASTER_RESP_PORT rate seconds valueSize keyspace lanes REPLICA_RESP_PORT...
 * </pre>
 *
 * The first 2 s of load are a warm-up and are not measured.
 */
final class LagProbeBench {

    static final String PROBE_KEY = "lagprobe";
    static final long PROBE_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /** A writer this far behind its schedule skips the SETs it missed rather than bursting. */
    static final long MAX_BEHIND_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    static final long WARMUP_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** A probe not visible after this long counts as this long (and is reported as missed). */
    static final long PROBE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(5);

    private LagProbeBench() {
    }

    static void main(String[] args, Map<String, Object> out) throws Exception {
        if (args.length < 8) {
            ReplicationBench.usage();
        }
        List<Integer> replicas = new ArrayList<>();
        for (int i = 7; i < args.length; i++) {
            replicas.add(Integer.parseInt(args[i]));
        }
        run(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]),
                Integer.parseInt(args[5]), Integer.parseInt(args[6]), replicas, out);
    }

    static void run(int masterPort, int rate, int seconds, int valueSize, int keyspace, int lanes, List<Integer> replicaPorts,
                    Map<String, Object> out) throws Exception {
        if (rate <= 0 || seconds <= 0 || lanes <= 0 || keyspace <= 0 || replicaPorts.isEmpty()) {
            throw new IllegalArgumentException("rate, seconds, lanes and keyspace must be > 0, and one replica at least");
        }
        long start = System.nanoTime();
        long measureFrom = start + WARMUP_NANOS;
        long end = measureFrom + TimeUnit.SECONDS.toNanos(seconds);
        AtomicLong measuredWrites = new AtomicLong();
        AtomicLong writeErrors = new AtomicLong();
        List<Thread> writers = new ArrayList<>();
        for (int lane = 0; lane < lanes; lane++) {
            int seed = lane;
            Thread t = new Thread(() -> write(masterPort, rate, lanes, seed, valueSize, keyspace, start, measureFrom, end,
                    measuredWrites, writeErrors), "writer-" + lane);
            t.start();
            writers.add(t);
        }
        List<Long> lagMicros = new ArrayList<>();
        List<Long> probeWriteMicros = new ArrayList<>();
        long missed = 0;
        List<Resp> readers = new ArrayList<>();
        try (Resp master = new Resp(masterPort)) {
            for (int port : replicaPorts) {
                // A read timeout just past the probe timeout: a replica that stops answering ends the
                // run with an error instead of holding the probe for Resp's default 300 s.
                readers.add(new Resp(port, 5_000, (int) TimeUnit.NANOSECONDS.toMillis(PROBE_TIMEOUT_NANOS) + 1_000));
            }
            long seq = 0;
            // Never behind: the slots a long wait skipped are counted by record(), not sent in a burst.
            Pacer probes = new Pacer(System.nanoTime(), PROBE_PERIOD_NANOS, 0);
            while (System.nanoTime() < end) {
                probes.awaitSlot();
                String value = Long.toString(++seq);
                long sent = System.nanoTime();
                master.call("SET", PROBE_KEY, value);
                long acked = System.nanoTime();
                boolean measured = sent >= measureFrom;
                long[] seen = awaitValue(readers, value, acked);
                if (!measured) {
                    continue;
                }
                for (long t : seen) {
                    if (t < 0) {
                        missed++;
                    }
                    record(lagMicros, t < 0 ? PROBE_TIMEOUT_NANOS : t - acked);
                }
                probeWriteMicros.add(TimeUnit.NANOSECONDS.toMicros(acked - sent));
            }
        } finally {
            for (Resp r : readers) {
                r.close();
            }
            for (Thread t : writers) {
                t.join();
            }
        }
        double measuredSeconds = (end - measureFrom) / 1e9;
        out.put("replicas", replicaPorts.size());
        out.put("target_rate", rate);
        out.put("rate", Math.round(measuredWrites.get() / measuredSeconds));
        out.put("write_errors", writeErrors.get());
        out.put("probes", probeWriteMicros.size());
        out.put("samples", lagMicros.size()); // probes, plus the slots long waits kept them from
        out.put("missed", missed);
        out.put("lag_ms_p50", ms(pct(lagMicros, 50)));
        out.put("lag_ms_p99", ms(pct(lagMicros, 99)));
        out.put("lag_ms_p999", ms(pct(lagMicros, 99.9)));
        out.put("lag_ms_max", ms(pct(lagMicros, 100)));
        out.put("probe_set_ms_p50", ms(pct(probeWriteMicros, 50)));
        out.put("probe_set_ms_p99", ms(pct(probeWriteMicros, 99)));
        log("probe lag at %d SETs/s (target %d): p50 %s ms, p99 %s ms, max %s ms over %d probes, %d missed",
                out.get("rate"), rate, out.get("lag_ms_p50"), out.get("lag_ms_p99"), out.get("lag_ms_max"),
                probeWriteMicros.size(), missed);
    }

    /**
     * Asks the replicas in turn until each returned {@code value}: per replica the time it first
     * did, or -1 after the timeout. Round-robin, so one slow replica does not delay the others'.
     */
    private static long[] awaitValue(List<Resp> replicas, String value, long since) throws IOException {
        long[] seen = new long[replicas.size()];
        Arrays.fill(seen, -1);
        int pending = replicas.size();
        while (pending > 0) {
            for (int i = 0; i < replicas.size(); i++) {
                if (seen[i] >= 0) {
                    continue;
                }
                Object got = replicas.get(i).call("GET", PROBE_KEY);
                long now = System.nanoTime();
                if (value.equals(got)) {
                    seen[i] = now;
                    pending--;
                } else if (now - since > PROBE_TIMEOUT_NANOS) {
                    return seen; // the rest stay -1: missed
                }
            }
        }
        return seen;
    }

    /**
     * One probe's lag, and the probes that would have gone out meanwhile: while this one waited,
     * the 10 ms schedule skipped a slot every period, and a probe sent in a skipped slot would
     * have shown at the same moment. Without them a 130 ms stall would count once, not 13 times
     * (coordinated omission).
     */
    static void record(List<Long> lagMicros, long lagNanos) {
        lagMicros.add(TimeUnit.NANOSECONDS.toMicros(lagNanos));
        for (long l = lagNanos - PROBE_PERIOD_NANOS; l > 0; l -= PROBE_PERIOD_NANOS) {
            lagMicros.add(TimeUnit.NANOSECONDS.toMicros(l));
        }
    }

    /** One writer lane: SETs paced to its share of the rate, until {@code end}. */
    private static void write(int port, int rate, int lanes, int seed, int valueSize, int keyspace, long start,
                              long measureFrom, long end, AtomicLong measuredWrites, AtomicLong errors) {
        SplittableRandom random = new SplittableRandom(seed);
        String value = "v".repeat(valueSize);
        long interval = Math.round(lanes * 1e9 / rate);
        // A late SET does not move the schedule (the rate stays the target), unless the lane fell
        // far behind: then it skips rather than bursting to catch up.
        Pacer pacer = new Pacer(start + random.nextLong(interval), interval, MAX_BEHIND_NANOS); // lanes out of step
        try (Resp master = new Resp(port)) {
            while (System.nanoTime() < end) {
                pacer.awaitSlot();
                String key = ReplicationBench.key(random.nextInt(keyspace));
                try {
                    master.call("SET", key, value);
                    if (System.nanoTime() >= measureFrom) {
                        measuredWrites.incrementAndGet();
                    }
                } catch (IOException e) {
                    if (errors.incrementAndGet() <= 3) {
                        log("writer: %s", e.getMessage());
                    }
                }
            }
        } catch (IOException e) {
            log("writer could not connect: %s", e.getMessage());
            errors.incrementAndGet();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A fixed schedule of slots; a caller more than {@code maxBehindNanos} late skips the slots it missed. */
    static final class Pacer {
        private final long intervalNanos;
        private final long maxBehindNanos;
        private long next;

        Pacer(long firstNanos, long intervalNanos, long maxBehindNanos) {
            this.next = firstNanos;
            this.intervalNanos = intervalNanos;
            this.maxBehindNanos = maxBehindNanos;
        }

        /** Sleeps until the next slot is due. */
        void awaitSlot() throws InterruptedException {
            long now = System.nanoTime();
            if (now < next) {
                TimeUnit.NANOSECONDS.sleep(next - now);
            }
            next += intervalNanos;
            now = System.nanoTime();
            if (now - next > maxBehindNanos) {
                next = now;
            }
        }
    }

    private static String ms(String micros) {
        return micros.equals("n/a") ? micros : fmt(Long.parseLong(micros) / 1000.0);
    }
}
