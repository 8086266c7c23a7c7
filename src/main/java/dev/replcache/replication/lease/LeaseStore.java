package dev.replcache.replication.lease;

import java.util.Optional;

/**
 * Where the lease lives: the Kubernetes API in production, a map in the simulation. Every call
 * is one round trip that may fail; writes are compare-and-swap on the record's version.
 */
public interface LeaseStore {

    /** The lease as stored now, or empty when it does not exist. */
    Optional<LeaseRecord> get() throws LeaseStoreException;

    /**
     * Creates the lease.
     *
     * @return the record as stored (with its version)
     * @throws LeaseConflictException when it exists already
     */
    LeaseRecord create(LeaseRecord desired) throws LeaseStoreException;

    /**
     * Replaces the lease if it is still at {@code expectedVersion}.
     *
     * @return the record as stored (with its new version)
     * @throws LeaseConflictException when somebody wrote it since
     */
    LeaseRecord replace(LeaseRecord desired, String expectedVersion) throws LeaseStoreException;

    /** The store could not be reached or did not answer in time. */
    class LeaseStoreException extends Exception {
        public LeaseStoreException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Somebody else wrote the lease first. */
    class LeaseConflictException extends LeaseStoreException {
        public LeaseConflictException(String message) {
            super(message, null);
        }
    }
}
