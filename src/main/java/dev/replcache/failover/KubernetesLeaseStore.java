package dev.replcache.failover;

import dev.replcache.replication.lease.LeaseRecord;
import dev.replcache.replication.lease.LeaseStore;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Map;
import java.util.Optional;

/**
 * The lease as a {@code coordination.k8s.io/v1} Lease: {@code holderIdentity},
 * {@code leaseDurationSeconds} and {@code leaseTransitions} as Kubernetes' own electors write them
 * (so {@code kubectl get lease} reads right), the holder's name and replication address in
 * annotations, and compare-and-swap on {@code resourceVersion}.
 */
final class KubernetesLeaseStore implements LeaseStore {

    static final String ADDRESS = "replcache.dev/master-address";
    static final String HOLDER_NAME = "replcache.dev/holder-name";

    private final KubernetesClient client;
    private final String namespace;
    private final String name;
    /** The Lease as last read (one elector thread uses the store): its acquireTime is kept on renewals. */
    private volatile Lease lastRead;

    KubernetesLeaseStore(KubernetesClient client, String namespace, String name) {
        this.client = client;
        this.namespace = namespace;
        this.name = name;
    }

    String describe() {
        return namespace + "/" + name + " at " + client.getMasterUrl();
    }

    @Override
    public Optional<LeaseRecord> get() throws LeaseStoreException {
        try {
            Lease lease = client.leases().inNamespace(namespace).withName(name).get();
            lastRead = lease;
            return Optional.ofNullable(lease).map(KubernetesLeaseStore::toRecord);
        } catch (KubernetesClientException e) {
            throw failure("read", e);
        }
    }

    @Override
    public LeaseRecord create(LeaseRecord desired) throws LeaseStoreException {
        try {
            return toRecord(client.leases().inNamespace(namespace).resource(toLease(desired, null, null)).create());
        } catch (KubernetesClientException e) {
            throw failure("create", e);
        }
    }

    @Override
    public LeaseRecord replace(LeaseRecord desired, String expectedVersion) throws LeaseStoreException {
        try {
            Lease current = lastRead;
            ZonedDateTime acquired = current != null && current.getSpec() != null
                    && desired.holder().equals(current.getSpec().getHolderIdentity()) ? current.getSpec().getAcquireTime() : null;
            // update() with a resourceVersion is a compare-and-swap: 409 Conflict when it moved on.
            return toRecord(client.leases().inNamespace(namespace).resource(toLease(desired, expectedVersion, acquired)).update());
        } catch (KubernetesClientException e) {
            throw failure("update", e);
        }
    }

    private LeaseStoreException failure(String what, KubernetesClientException e) {
        if (e.getCode() == 409) {
            return new LeaseConflictException("lease " + namespace + "/" + name + " was written by another node (409 Conflict)");
        }
        if (e.getCode() == 404 && "update".equals(what)) {
            return new LeaseConflictException("lease " + namespace + "/" + name + " was deleted");
        }
        String code = e.getCode() > 0 ? " (HTTP " + e.getCode() + ")" : "";
        return new LeaseStoreException("cannot " + what + " lease " + namespace + "/" + name + code + ": "
                + e.getMessage(), e);
    }

    private Lease toLease(LeaseRecord r, String resourceVersion, ZonedDateTime acquired) {
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC); // for people reading the Lease; nobody decides by it
        LeaseSpec spec = new LeaseSpec();
        spec.setHolderIdentity(r.holder());
        spec.setLeaseDurationSeconds((int) Math.max(1, (r.durationMs() + 999) / 1000));
        spec.setLeaseTransitions((int) r.transitions());
        spec.setRenewTime(now);
        spec.setAcquireTime(acquired != null ? acquired : now);
        Lease lease = new Lease();
        lease.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace)
                .withResourceVersion(resourceVersion)
                .withAnnotations(Map.of(ADDRESS, r.address(), HOLDER_NAME, r.holderName()))
                .withLabels(Map.of("app.kubernetes.io/managed-by", "replcache"))
                .build());
        lease.setSpec(spec);
        return lease;
    }

    private static LeaseRecord toRecord(Lease lease) {
        LeaseSpec spec = lease.getSpec() == null ? new LeaseSpec() : lease.getSpec();
        Map<String, String> annotations = lease.getMetadata().getAnnotations() == null ? Map.of()
                : lease.getMetadata().getAnnotations();
        String holder = spec.getHolderIdentity() == null ? "" : spec.getHolderIdentity();
        long durationMs = spec.getLeaseDurationSeconds() == null ? 15_000 : spec.getLeaseDurationSeconds() * 1000L;
        long transitions = spec.getLeaseTransitions() == null ? 0 : spec.getLeaseTransitions();
        return new LeaseRecord(holder, annotations.getOrDefault(HOLDER_NAME, holder),
                annotations.getOrDefault(ADDRESS, ""), durationMs, transitions, lease.getMetadata().getResourceVersion());
    }
}
