package dev.replcache.ops;

import dev.replcache.replication.MasterLink;
import java.util.Locale;
import java.util.function.Supplier;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * {@code replicationReadiness}, in the readiness group: a master is ready; a replica is ready
 * once its first sync with the master completed, except while it loads a snapshot (a full
 * resync's last step). After that it stays ready when its link drops: it serves (possibly
 * stale) reads, as a Redis replica does with {@code replica-serve-stale-data yes};
 * {@code replication} in the health endpoint shows the link.
 */
final class ReplicationReadinessIndicator implements HealthIndicator {

    private final Supplier<MasterLink> masterLink;

    /** @param masterLink the node's link to its master, null on a master */
    ReplicationReadinessIndicator(Supplier<MasterLink> masterLink) {
        this.masterLink = masterLink;
    }

    @Override
    public Health health() {
        MasterLink link = masterLink.get();
        if (link == null) {
            return Health.up().withDetail("role", "master").build();
        }
        MasterLink.State state = link.state();
        Health.Builder b = new Health.Builder()
                .withDetail("role", "replica")
                .withDetail("linkState", state.name().toLowerCase(Locale.ROOT));
        if (!link.everSynced()) {
            return b.outOfService().withDetail("reason", "waiting for the first sync with the master").build();
        }
        if (link.diverged() != null) {
            return b.outOfService().withDetail("reason", "the data diverged from the master's stream ("
                    + link.diverged() + "); waiting for a full resync").build();
        }
        if (state == MasterLink.State.LOADING_SNAPSHOT) {
            return b.outOfService().withDetail("reason", "loading a snapshot from the master").build();
        }
        return b.up().build();
    }
}
