package dev.replcache.replication.lease;

import java.util.Optional;

/**
 * The lease in a field, with the API server's compare-and-swap on a version that changes with
 * every write. {@link #as} gives each node its own view that can be cut off from the store.
 */
public final class InMemoryLeaseStore {

    private LeaseRecord record;
    private long versions;

    /** The lease as stored, or null. */
    public synchronized LeaseRecord current() {
        return record;
    }

    /** One node's connection to the store. */
    public Connection as(String node) {
        return new Connection(node);
    }

    /** A node's way to the store: {@link #reachable} false makes every call fail, as a partition does. */
    public final class Connection implements LeaseStore {
        private final String node;
        public volatile boolean reachable = true;

        Connection(String node) {
            this.node = node;
        }

        private void check() throws LeaseStoreException {
            if (!reachable) {
                throw new LeaseStoreException(node + " cannot reach the API server", null);
            }
        }

        @Override
        public Optional<LeaseRecord> get() throws LeaseStoreException {
            check();
            synchronized (InMemoryLeaseStore.this) {
                return Optional.ofNullable(record);
            }
        }

        @Override
        public LeaseRecord create(LeaseRecord desired) throws LeaseStoreException {
            check();
            synchronized (InMemoryLeaseStore.this) {
                if (record != null) {
                    throw new LeaseConflictException("the lease exists");
                }
                record = withVersion(desired);
                return record;
            }
        }

        @Override
        public LeaseRecord replace(LeaseRecord desired, String expectedVersion) throws LeaseStoreException {
            check();
            synchronized (InMemoryLeaseStore.this) {
                if (record == null || !record.version().equals(expectedVersion)) {
                    throw new LeaseConflictException("the lease was modified");
                }
                record = withVersion(desired);
                return record;
            }
        }

        private LeaseRecord withVersion(LeaseRecord r) {
            return new LeaseRecord(r.holder(), r.holderName(), r.address(), r.durationMs(), r.transitions(),
                    Long.toString(++versions));
        }
    }
}
