package dev.replcache.node;

import dev.replcache.config.ReplicationProperties.HostPort;
import dev.replcache.replication.MasterLink;
import dev.replcache.replication.MasterMessage;
import dev.replcache.replication.ReplicaMessage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link MasterLink} on its own thread: every call into the link (connects, messages,
 * timers, disconnects) is serialized on one single-thread executor, as the link requires; the
 * transport's callbacks hop onto it. Stale callbacks of an older connection are ignored by
 * generation number.
 */
final class LinkDriver implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LinkDriver.class);

    private final MasterLink link;
    private final HostPort master;
    private final MasterConnector connector;
    private final ExecutorService thread;
    private MasterConnector.Connection connection; // link thread only
    private long generation; // link thread only
    private volatile boolean closed;
    private long lastProgressLogNanos; // link thread only

    LinkDriver(MasterLink link, HostPort master, MasterConnector connector) {
        this.link = link;
        this.master = master;
        this.connector = connector;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "replcache-link-" + master);
            t.setDaemon(true);
            return t;
        });
    }

    MasterLink link() {
        return link;
    }

    HostPort master() {
        return master;
    }

    /** Timers: connect when due, periodic acks, timeouts. Called by the node's ticker. */
    void tick() {
        submit(() -> {
            if (connection == null && link.shouldConnect()) {
                connect();
            } else if (connection != null) {
                handle(link.tick());
                logProgress();
            }
        });
    }

    /** Drops the current stream (operators: Redis's CLIENT KILL TYPE master); the link reconnects. */
    void disconnect(String reason) {
        submit(() -> drop(reason));
    }

    private void connect() {
        long gen = ++generation;
        log.info("Replication link connecting: master={}", master);
        connection = connector.connect(master, new MasterConnector.Listener() {
            @Override
            public void onMessage(MasterMessage message) {
                submit(() -> {
                    if (gen != generation || connection == null) {
                        return;
                    }
                    MasterLink.State before = link.state();
                    handle(link.onMessage(message));
                    logTransition(before, message);
                    if (connection != null && gen == generation) {
                        connection.requestMore();
                    }
                });
            }

            @Override
            public void onClosed(String reason) {
                submit(() -> {
                    if (gen == generation && connection != null) {
                        connection = null;
                        log.warn("Replication link down: master={} state={} reason=\"{}\"", master,
                                link.state().name().toLowerCase(java.util.Locale.ROOT), reason);
                        link.onDisconnected(reason);
                    }
                });
            }
        });
        handle(link.onConnected());
    }

    /** A long full sync reports its progress every five seconds. */
    private void logProgress() {
        MasterLink.SyncProgress p = link.syncProgress();
        long now = System.nanoTime();
        if (!p.inProgress() || now - lastProgressLogNanos < 5_000_000_000L) {
            return;
        }
        lastProgressLogNanos = now;
        log.info("Full sync progress: master={} received={} total={} percent={}", master, p.bytesReceived(),
                p.bytesTotal(), p.bytesTotal() > 0 ? p.bytesReceived() * 100 / p.bytesTotal() : 0);
    }

    private void logTransition(MasterLink.State before, MasterMessage message) {
        MasterLink.State after = link.state();
        if (before == after) {
            return;
        }
        if (message instanceof MasterMessage.Continue c) {
            log.info("Replication link up: master={} sync=partial offset={} replId={}", master, c.offset(), c.replId());
        } else if (message instanceof MasterMessage.FullResync f) {
            log.info("Full sync started: master={} snapshot={} bytes={} offset={} replId={}",
                    master, f.snapshotId(), f.sizeEstimate(), f.offset(), f.replId());
        } else if (message instanceof MasterMessage.SnapshotEnd end && after == MasterLink.State.STREAMING) {
            log.info("Full sync done: master={} snapshot={} bytes={} ms={}", master, end.snapshotId(), end.totalBytes(),
                    link.lastFullSyncMillis());
            log.info("Replication link up: master={} sync=full", master);
        }
    }

    private void handle(MasterLink.Reaction reaction) {
        if (connection == null) {
            return;
        }
        for (ReplicaMessage m : reaction.send()) {
            connection.send(m);
        }
        if (reaction.dropReason() != null) {
            drop(reaction.dropReason());
        }
    }

    private void drop(String reason) {
        if (connection == null) {
            return;
        }
        MasterConnector.Connection c = connection;
        connection = null;
        generation++;
        log.warn("Replication link down: master={} state={} reason=\"{}\"", master,
                link.state().name().toLowerCase(java.util.Locale.ROOT), reason);
        c.close(reason);
        link.onDisconnected(reason);
    }

    private void submit(Runnable task) {
        if (closed) {
            return;
        }
        try {
            thread.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    // A bug in the link must not kill its thread: drop the stream and reconnect.
                    log.error("Replication link failed", e);
                    drop("internal error: " + e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            // closing
        }
    }

    @Override
    public void close() {
        submit(() -> drop("link closed"));
        closed = true;
        thread.shutdown();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
