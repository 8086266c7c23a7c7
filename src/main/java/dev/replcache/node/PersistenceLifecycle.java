package dev.replcache.node;

import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.ContextClosedEvent;

/**
 * Ties {@link Persistence} to the Spring context's life, in the order a clean shutdown needs:
 * <ol>
 *   <li>{@link ContextClosedEvent}, published before any lifecycle bean stops: client writes are
 *       refused and replicas get to ack the last offset, while the gRPC server (and so the
 *       replication streams) and the HTTP server still run;</li>
 *   <li>the gRPC server stops (phase {@link SmartLifecycle#DEFAULT_PHASE}), then HTTP (Spring
 *       Boot's graceful shutdown and web server phases, below it);</li>
 *   <li>this bean stops, in a lower phase still: the final save, bounded by
 *       {@code replcache.snapshot.shutdown-timeout};</li>
 *   <li>the node closes (bean destruction).</li>
 * </ol>
 * At start the order is reversed: periodic saves start before the servers listen.
 */
final class PersistenceLifecycle implements SmartLifecycle, ApplicationListener<ContextClosedEvent> {

    /** Below Spring Boot's web server phase ({@code DEFAULT_PHASE - 2048}) and its graceful shutdown's. */
    static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private final Persistence persistence;
    private final ApplicationContext context;
    private volatile boolean running;

    PersistenceLifecycle(Persistence persistence, ApplicationContext context) {
        this.persistence = persistence;
        this.context = context;
    }

    @Override
    public void start() {
        persistence.start();
        running = true;
    }

    @Override
    public void stop() {
        if (running) {
            running = false;
            persistence.shutdown();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    @Override
    public void onApplicationEvent(ContextClosedEvent event) {
        if (event.getApplicationContext() == context && running) {
            persistence.stopWrites();
        }
    }
}
