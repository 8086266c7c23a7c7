package dev.replcache.node;

import dev.replcache.config.ReplicationProperties.HostPort;
import dev.replcache.replication.MasterMessage;
import dev.replcache.replication.ReplicaMessage;

/**
 * The node's port to open a replication stream to a master; the gRPC transport implements it.
 * Inbound flow control is manual: the transport delivers a bounded window of messages and one
 * more per {@link Connection#requestMore()}, so a replica busy loading a snapshot or applying
 * entries slows its master's sending instead of buffering without bound.
 */
public interface MasterConnector {

    /** Opens a Sync stream; {@code listener} is called from transport threads. */
    Connection connect(HostPort master, Listener listener);

    /**
     * Sets up and checks a connection to {@code master} ahead of a handover (a failover), so that
     * the handshake that follows, while writes are paused, does not pay for a cold client (class
     * loading, TLS). Best effort, bounded by {@code timeoutMs}; never throws.
     */
    default void warmUp(HostPort master, long timeoutMs) {
    }

    /** One open stream. */
    interface Connection {
        void send(ReplicaMessage message);

        /** One inbound message was handled: the transport may deliver one more. */
        void requestMore();

        /** Ends the stream (idempotent). */
        void close(String reason);
    }

    /** Inbound events of one stream. */
    interface Listener {
        void onMessage(MasterMessage message);

        /** The stream ended or failed; no more calls follow. */
        void onClosed(String reason);
    }
}
