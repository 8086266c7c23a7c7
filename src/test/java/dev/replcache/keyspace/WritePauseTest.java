package dev.replcache.keyspace;

import static dev.replcache.keyspace.TestKeys.b;
import static dev.replcache.keyspace.TestKeys.bs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The master side of a failover: writes paused at an exact offset, nothing removed by time meanwhile. */
class WritePauseTest extends KeyspaceTestBase {

    @Test
    void everyClientWriteIsRefusedWhilePausedAndNothingIsLogged() {
        ks.set(b("s"), b("1"));
        ks.hset(b("h"), Map.of(b("f"), b("1")));
        log.drain();
        ks.pauseWrites();
        assertThat(ks.writesPaused()).isTrue();
        List<Consumer<Keyspace>> writes = List.of(
                k -> k.set(b("s"), b("2")),
                k -> k.getDel(b("s")),
                k -> k.mset(Map.of(b("a"), b("1"))),
                k -> k.incrBy(b("n"), 1),
                k -> k.append(b("s"), b("x")),
                k -> k.del(bs("s")),
                k -> k.pexpire(b("s"), 1000),
                k -> k.persist(b("s")),
                k -> k.hset(b("h"), Map.of(b("f"), b("2"))),
                k -> k.hdel(b("h"), bs("f")),
                k -> k.hincrBy(b("h"), b("n"), 1),
                Keyspace::flushAll);
        for (Consumer<Keyspace> write : writes) {
            assertThatThrownBy(() -> write.accept(ks)).isInstanceOfSatisfying(KeyspaceException.class,
                    e -> assertThat(e.kind()).isEqualTo(KeyspaceException.Kind.PAUSED));
        }
        assertThat(log.drain()).isEmpty();
        assertThat(ks.get(b("s"))).isEqualTo(b("1")); // reads go on

        ks.resumeWrites();
        ks.set(b("s"), b("2"));
        assertThat(log.drain()).hasSize(1);
    }

    @Test
    void expiredKeysAreHiddenNotDeletedWhilePausedThenDeletedAfter() {
        ks.set(b("k"), b("v"), SetCondition.ALWAYS, Ttl.inMillis(100), false);
        log.drain();
        ks.pauseWrites();
        clock.advance(200);
        assertThat(ks.get(b("k"))).isNull();
        assertThat(ks.activeExpireCycle()).isZero();
        assertThat(ks.contents()).containsKey(b("k"));
        assertThat(log.drain()).as("the offset stays where the pause put it").isEmpty();

        ks.resumeWrites();
        assertThat(ks.get(b("k"))).isNull();
        assertThat(ks.contents()).doesNotContainKey(b("k"));
        assertThat(log.drain()).hasSize(1); // its DEL, now
    }

    /**
     * Issue 11 row 3: a client write that passed the node's role check just before a demotion
     * landed on the new replica and was logged into its stream. The role is now decided under
     * the write lock: once setRole(REPLICA) returns, no client write is logged, from any thread.
     */
    @Test
    void noClientWriteLandsAfterADemotionReturns() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
        List<Thread> writers = new java.util.ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int id = t;
            Thread w = new Thread(() -> {
                for (int i = 0; !stop.get(); i++) {
                    try {
                        ks.set(b("w" + id + ":" + (i % 100)), b("v" + i));
                    } catch (KeyspaceException e) {
                        assertThat(e.kind()).isEqualTo(KeyspaceException.Kind.READONLY);
                        assertThat(e.getMessage()).isEqualTo("READONLY You can't write against a read only replica.");
                        refused.incrementAndGet();
                    }
                }
            });
            writers.add(w);
            w.start();
        }
        while (log.entries().size() < 1_000) {
            Thread.onSpinWait(); // writes are flowing on every thread
        }
        ks.setRole(KeyspaceRole.REPLICA);
        int loggedAtDemotion = log.entries().size();
        while (refused.get() < 1_000) {
            Thread.onSpinWait(); // the writers go on, and are refused
        }
        stop.set(true);
        for (Thread w : writers) {
            w.join();
        }
        assertThat(log.entries()).as("nothing logged after the demotion returned").hasSize(loggedAtDemotion);
        // Entries from a master still apply on the replica.
        ks.apply(new CommandEntry.Set(b("from-master"), b("v"), Entry.NO_EXPIRY));
        assertThat(ks.get(b("from-master"))).isEqualTo(b("v"));
    }

    private static void awaitParked(Thread t) {
        while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING) {
            Thread.onSpinWait();
        }
    }

    /**
     * Issue 11 row 7: the active expiry cycle decided "may I delete" before it took the write
     * lock, so a DEL could be logged after pauseWrites() returned. Ordered with the lock's queue:
     * a write holds the lock, the pause queues first, the cycle (past its first check) second.
     */
    @Test
    void theExpiryCycleLogsNoDelAfterAPauseThatWonTheLock() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(1);
        List<CommandEntry> logged = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        Keyspace k = new Keyspace(KeyspaceConfig.DEFAULTS, clock, new java.util.SplittableRandom(3), entry -> {
            logged.add(entry);
            if (entry instanceof CommandEntry.Set set && set.key().equals(b("holder"))) {
                holding.countDown();
                try {
                    release.await(); // the write holds the lock here
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        k.set(b("k"), b("v"), SetCondition.ALWAYS, Ttl.inMillis(100), false);
        clock.advance(200);

        Thread writer = new Thread(() -> k.set(b("holder"), b("x")));
        writer.start();
        holding.await();
        Thread pause = new Thread(k::pauseWrites);
        pause.start();
        awaitParked(pause);
        int[] removed = {-1};
        Thread cycle = new Thread(() -> removed[0] = k.activeExpireCycle());
        cycle.start();
        awaitParked(cycle);
        release.countDown();
        for (Thread t : List.of(writer, pause, cycle)) {
            t.join();
        }

        assertThat(k.writesPaused()).isTrue();
        assertThat(removed[0]).isZero();
        assertThat(logged).noneMatch(e -> e instanceof CommandEntry.Del);
        assertThat(k.contents()).containsKey(b("k"));
    }
}
