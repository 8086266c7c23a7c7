package dev.replcache.ops;

import dev.replcache.node.CacheNode;
import dev.replcache.replication.MasterLink;
import dev.replcache.replication.ReplicaInfo;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recent past of replication, for the status page's lag chart: every interval (1 s) it
 * samples this node's offset, each replica's lag (bytes and ms, on a master) and the link's lag
 * (on a replica), and keeps a window (10 minutes) per series in fixed rings. A replica that is
 * gone keeps its series until its last sample leaves the window, so a disconnect shows as a
 * gap. Memory is bounded: samples per series times a few longs, per replica seen in the window.
 */
public final class ReplicationHistory implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReplicationHistory.class);

    /** Columnar series, as the page draws them: times and one array per value. */
    public record Series(long[] t, Map<String, long[]> values) {
    }

    /** One replica's lag history; {@code connected} while the master still has its session. */
    public record ReplicaSeries(String id, String address, String state, boolean connected, Series series) {
    }

    /**
     * What {@code GET /v1/replication/history} returns.
     *
     * @param offset   this node's offset ({@code offset})
     * @param link     on a replica: {@code lagBytes} behind the master as last heard, and {@code state}
     *                 (1 = streaming); null when this node never was a replica in the window
     * @param replicas on a master (or a cascading replica): each replica's {@code lagBytes}, {@code lagMs}
     *                 and {@code ackOffset}
     */
    public record View(long intervalMs, long windowMs, long nowMs, Series offset, Series link,
                       List<ReplicaSeries> replicas) {
    }

    private final CacheNode node;
    private final ReplicaGauges gauges;
    private final Clock clock;
    private final long intervalMs;
    private final int capacity;

    // Guarded by this.
    private final Ring offset;
    private Ring link;
    private final Map<String, ReplicaRing> replicas = new LinkedHashMap<>();
    private ScheduledExecutorService scheduler;

    /**
     * @param gauges per-replica meters whose series follow the replicas; refreshed on every sample (may be null)
     */
    ReplicationHistory(CacheNode node, ReplicaGauges gauges, Clock clock, long intervalMs, int capacity) {
        this.node = Objects.requireNonNull(node, "node");
        this.gauges = gauges;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.intervalMs = intervalMs;
        this.capacity = capacity;
        this.offset = new Ring(capacity, 1);
    }

    /** Starts sampling on its own daemon thread. */
    public synchronized void start() {
        if (scheduler != null) {
            return;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "replcache-ops-sampler");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleAtFixedRate(this::sampleSafely, 0, intervalMs, TimeUnit.MILLISECONDS);
    }

    private void sampleSafely() {
        try {
            sample();
        } catch (RuntimeException e) {
            log.warn("Replication history sample failed", e); // next interval tries again
        }
    }

    /** Takes one sample now (the scheduler calls it; tests may too). */
    public void sample() {
        List<ReplicaInfo> infos = node.master().replicas();
        MasterLink ml = node.masterLink();
        long nodeOffset = node.replicationLog().offset();
        long now = clock.millis();
        synchronized (this) {
            offset.add(now, nodeOffset);
            if (ml != null) {
                if (link == null) {
                    link = new Ring(capacity, 2);
                }
                long seen = ml.masterOffsetSeen();
                link.add(now, seen < 0 ? -1 : Math.max(0, seen - nodeOffset),
                        ml.state() == MasterLink.State.STREAMING ? 1 : 0);
            }
            for (ReplicaRing r : replicas.values()) {
                r.connected = false;
            }
            for (ReplicaInfo info : infos) {
                if (info.id().isEmpty()) {
                    continue; // before Hello
                }
                ReplicaRing r = replicas.computeIfAbsent(info.id(), id -> new ReplicaRing(capacity));
                r.address = info.address();
                r.state = info.state().name().toLowerCase(Locale.ROOT);
                r.connected = true;
                r.ring.add(now, info.lagBytes(), info.lagMs(), info.ackOffset());
            }
            long oldest = now - (long) capacity * intervalMs;
            for (Iterator<ReplicaRing> it = replicas.values().iterator(); it.hasNext(); ) {
                ReplicaRing r = it.next();
                if (!r.connected && r.ring.lastTime() < oldest) {
                    it.remove();
                }
            }
            if (link != null && ml == null && link.lastTime() < oldest) {
                link = null;
            }
        }
        if (gauges != null) {
            gauges.refresh();
        }
    }

    public synchronized View view() {
        List<ReplicaSeries> rs = new ArrayList<>();
        for (Map.Entry<String, ReplicaRing> e : replicas.entrySet()) {
            ReplicaRing r = e.getValue();
            rs.add(new ReplicaSeries(e.getKey(), r.address, r.state, r.connected,
                    r.ring.series("lagBytes", "lagMs", "ackOffset")));
        }
        return new View(intervalMs, (long) capacity * intervalMs, clock.millis(), offset.series("offset"),
                link == null ? null : link.series("lagBytes", "streaming"), rs);
    }

    @Override
    public synchronized void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            scheduler = null;
        }
    }

    private static final class ReplicaRing {
        final Ring ring;
        String address = "";
        String state = "";
        boolean connected;

        ReplicaRing(int capacity) {
            this.ring = new Ring(capacity, 3);
        }
    }

    /** A fixed ring of (time, values...) samples; the oldest is overwritten. Not thread-safe. */
    static final class Ring {
        private final long[] t;
        private final long[][] v;
        private int head; // oldest
        private int size;

        Ring(int capacity, int columns) {
            this.t = new long[capacity];
            this.v = new long[columns][capacity];
        }

        void add(long time, long... values) {
            int slot = (head + size) % t.length;
            if (size == t.length) {
                head = (head + 1) % t.length;
            } else {
                size++;
            }
            t[slot] = time;
            for (int c = 0; c < v.length; c++) {
                v[c][slot] = values[c];
            }
        }

        long lastTime() {
            return size == 0 ? Long.MIN_VALUE : t[(head + size - 1) % t.length];
        }

        Series series(String... names) {
            long[] times = new long[size];
            Map<String, long[]> values = new LinkedHashMap<>();
            for (int c = 0; c < v.length; c++) {
                values.put(names[c], new long[size]);
            }
            for (int i = 0; i < size; i++) {
                int slot = (head + i) % t.length;
                times[i] = t[slot];
                for (int c = 0; c < v.length; c++) {
                    values.get(names[c])[i] = v[c][slot];
                }
            }
            return new Series(times, values);
        }
    }
}
