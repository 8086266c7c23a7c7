package dev.replcache.ops;

import dev.replcache.node.CacheNode;
import dev.replcache.replication.ReplicaInfo;
import dev.replcache.replication.ReplicaSession;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * A master's per-replica gauges: ack offset and lag in bytes and seconds, one series per
 * replica ({@code replica} = its id, {@code address} = its announced address), plus the count
 * of replicas per sync state. Values are read live at scrape time (from a view at most
 * {@link #VIEW_TTL_NANOS} old, so one scrape asks the master once); the set of series follows
 * the replicas as they come and go, refreshed by {@link #refresh()} (the history sampler calls
 * it every interval).
 */
final class ReplicaGauges {

    private static final long VIEW_TTL_NANOS = 200_000_000L;

    private final CacheNode node;
    private final MultiGauge ackOffset;
    private final MultiGauge lagBytes;
    private final MultiGauge lagSeconds;
    private volatile Map<String, ReplicaInfo> view = Map.of();
    private volatile long viewAtNanos = System.nanoTime() - 2 * VIEW_TTL_NANOS;
    private List<String> registered = List.of(); // guarded by this

    ReplicaGauges(CacheNode node, MeterRegistry registry) {
        this.node = node;
        this.ackOffset = MultiGauge.builder("replcache.replica.ack.offset")
                .description("Offset a replica last acked (it has applied every stream byte before it)")
                .register(registry);
        this.lagBytes = MultiGauge.builder("replcache.replica.lag")
                .description("Master offset minus the replica's acked offset")
                .baseUnit("bytes")
                .register(registry);
        this.lagSeconds = MultiGauge.builder("replcache.replica.lag.seconds")
                .description("How long ago the oldest stream byte the replica has not acked was produced")
                .baseUnit("seconds")
                .register(registry);
        for (ReplicaSession.State state : ReplicaSession.State.values()) {
            String tag = state.name().toLowerCase(Locale.ROOT);
            Gauge.builder("replcache.replicas", this, g -> g.countIn(state))
                    .description("Replicas connected to this node, by sync state")
                    .tag("state", tag)
                    .register(registry);
        }
        refresh();
    }

    private double countIn(ReplicaSession.State state) {
        int n = 0;
        for (ReplicaInfo r : current().values()) {
            if (r.state() == state) {
                n++;
            }
        }
        return n;
    }

    /** The replicas by id, re-read when older than the TTL. Sessions before Hello have no id yet. */
    Map<String, ReplicaInfo> current() {
        long now = System.nanoTime();
        if (now - viewAtNanos < VIEW_TTL_NANOS) {
            return view;
        }
        Map<String, ReplicaInfo> byId = new LinkedHashMap<>();
        for (ReplicaInfo r : node.master().replicas()) {
            if (!r.id().isEmpty()) {
                // A replica that reconnects may briefly have two sessions: the newer one wins.
                byId.put(r.id(), r);
            }
        }
        view = Map.copyOf(byId);
        viewAtNanos = now;
        return view;
    }

    /** Adds series for new replicas and removes those of replicas that are gone. */
    synchronized void refresh() {
        viewAtNanos -= 2 * VIEW_TTL_NANOS; // membership from a fresh view
        Map<String, ReplicaInfo> now = current();
        List<String> keys = new ArrayList<>();
        for (ReplicaInfo r : now.values()) {
            keys.add(r.id() + '\0' + r.address());
        }
        if (keys.equals(registered)) {
            return;
        }
        List<MultiGauge.Row<?>> ack = new ArrayList<>();
        List<MultiGauge.Row<?>> bytes = new ArrayList<>();
        List<MultiGauge.Row<?>> seconds = new ArrayList<>();
        for (ReplicaInfo r : now.values()) {
            Tags tags = Tags.of("replica", r.id(), "address", r.address());
            String id = r.id();
            ack.add(row(tags, id, info -> info.ackOffset()));
            bytes.add(row(tags, id, info -> info.lagBytes()));
            seconds.add(row(tags, id, info -> info.lagMs() / 1000.0));
        }
        ackOffset.register(ack, true);
        lagBytes.register(bytes, true);
        lagSeconds.register(seconds, true);
        registered = keys;
    }

    /** NaN while the replica has not acked yet (a full sync in progress) or is gone. */
    private MultiGauge.Row<ReplicaGauges> row(Tags tags, String id, ToDoubleFunction<ReplicaInfo> value) {
        return MultiGauge.Row.of(tags, this, g -> {
            ReplicaInfo info = g.current().get(id);
            return info == null || info.ackOffset() < 0 ? Double.NaN : value.applyAsDouble(info);
        });
    }
}
