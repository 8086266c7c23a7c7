package dev.replcache.node;

import static dev.replcache.node.NodeFixture.persistence;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.replcache.keyspace.Bytes;
import dev.replcache.keyspace.Entry;
import dev.replcache.keyspace.HashValue;
import dev.replcache.keyspace.Keyspace;
import dev.replcache.keyspace.SetCondition;
import dev.replcache.keyspace.Ttl;
import dev.replcache.keyspace.rdb.RdbInfo;
import dev.replcache.keyspace.rdb.RdbReader;
import dev.replcache.keyspace.rdb.RedisTools;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Saving the dump file: its contents and aux fields, writes going on meanwhile, one save at a time. */
class SaveTest extends NodeTestBase {

    private Persistence persistenceOf(CacheNode n, Duration keySaveDelay, Duration shutdownTimeout) {
        Persistence p = persistence(n, dir, clock, keySaveDelay, shutdownTimeout);
        open.add(p);
        return p;
    }

    private static Bytes b(String s) {
        return Bytes.utf8(s);
    }

    private static Map<Bytes, Entry> read(Path file, RdbInfo[] info) throws Exception {
        Map<Bytes, Entry> keys = new TreeMap<>();
        try (InputStream in = Files.newInputStream(file)) {
            info[0] = RdbReader.read(in, keys::put);
        }
        return keys;
    }

    @Test
    void theFileCarriesTheNodesReplIdAndOffsetAsRedisWritesThemAndRedisCheckRdbAcceptsIt() throws Exception {
        CacheNode n = newNode();
        Keyspace ks = n.writableKeyspace();
        for (int i = 0; i < 100; i++) {
            ks.set(b("key:" + i), b("value-" + i));
        }
        ks.hset(b("hash"), Map.of(b("f1"), b("v1"), b("f2"), b("12345")));
        ks.set(b("ttl"), b("x"), SetCondition.ALWAYS, Ttl.inMillis(3_600_000), false);
        long offset = n.replicationLog().offset();
        String replId = n.replicationLog().replId().value();

        Persistence.Saved saved = persistenceOf(n, Duration.ZERO, Duration.ofSeconds(30)).save();

        Path file = dir.resolve("dump.rdb");
        assertThat(saved.file()).isEqualTo(file.toString());
        assertThat(saved.replId()).isEqualTo(replId);
        assertThat(saved.offset()).isEqualTo(offset);
        assertThat(saved.keys()).isEqualTo(102);
        assertThat(saved.bytes()).isEqualTo(Files.size(file));
        assertThat(saved.reason()).isEqualTo("requested");
        assertThat(saved.savedAtMs()).isEqualTo(NodeFixture.START_MS);
        RdbInfo[] info = new RdbInfo[1];
        assertThat(read(file, info)).isEqualTo(n.keyspace().contents().entrySet().stream()
                .collect(TreeMap::new, (m, e) -> m.put(e.getKey(), new Entry(e.getValue().value(),
                        e.getValue().expireAtMs(), 0)), Map::putAll));
        assertThat(info[0].replId()).hasValue(replId);
        assertThat(info[0].replOffset()).hasValue(offset);
        assertThat(Long.toUnsignedString(info[0].checksum(), 16)).isEqualTo(saved.checksum());
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("dump.rdb");
        }

        RedisTools.CheckResult check = RedisTools.checkRdb(file);
        assertThat(check.output()).contains("RDB looks OK").contains("Checksum OK")
                .contains("AUX FIELD repl-id = '" + replId + "'")
                .contains("AUX FIELD repl-offset = '" + offset + "'")
                .contains("[info] 102 keys read");
        assertThat(check.exitCode()).as(check.output()).isZero();
    }

    @Test
    void writesGoOnDuringASaveWhichHoldsExactlyTheDataAtItsCutAndASecondSaveIsRefused() throws Exception {
        CacheNode n = newNode();
        Keyspace ks = n.writableKeyspace();
        for (int i = 0; i < 400; i++) {
            ks.set(b("key:" + i), b("before-" + i));
        }
        ks.hset(b("hash"), Map.of(b("f"), b("before")));
        Map<Bytes, Entry> atCut = new HashMap<>(n.keyspace().contents());
        long offsetAtCut = n.replicationLog().offset();
        // The save stops before its first key until the writes below are done: they must not wait for it.
        Persistence p = persistenceOf(n, Duration.ZERO, Duration.ofSeconds(30));
        CountDownLatch saving = new CountDownLatch(1);
        CountDownLatch writesDone = new CountDownLatch(1);
        p.beforeEachKeyForTests(() -> {
            saving.countDown();
            try {
                writesDone.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        });

        CompletableFuture<Persistence.Saved> first = CompletableFuture.supplyAsync(p::save);
        assertThat(saving.await(30, TimeUnit.SECONDS)).as("the save started writing keys").isTrue();
        assertThat(p.status().inProgress()).isTrue();
        assertThat(p.status().inProgressOffset()).as("cut, before any write below").isEqualTo(offsetAtCut);

        assertThatThrownBy(p::save).isInstanceOf(SaveInProgressException.class)
                .hasMessage("Background save already in progress");
        // Writes while the save is held: each returns (none waits for the save's lock or its end).
        for (int i = 0; i < 400; i += 2) {
            ks.set(b("key:" + i), b("after-" + i));
            ks.set(b("new:" + i), b("x"));
        }
        ks.hset(b("hash"), Map.of(b("f"), b("after")));
        ks.del(java.util.List.of(b("key:1")));
        assertThat(first).as("the save still runs after the writes").isNotDone();
        writesDone.countDown();

        Persistence.Saved saved = first.get(60, TimeUnit.SECONDS);

        assertThat(saved.offset()).isEqualTo(offsetAtCut);
        RdbInfo[] info = new RdbInfo[1];
        Map<Bytes, Entry> inFile = read(dir.resolve("dump.rdb"), info);
        assertThat(inFile).hasSize(atCut.size());
        for (Map.Entry<Bytes, Entry> e : atCut.entrySet()) {
            assertThat(inFile.get(e.getKey()).value()).as("%s", e.getKey()).isEqualTo(e.getValue().value());
        }
        assertThat(((HashValue) inFile.get(b("hash")).value()).fields()).containsEntry(b("f"), b("before"));
        assertThat(p.status().inProgress()).isFalse();
        assertThat(p.status().streamBytesSinceLastSave()).isEqualTo(n.replicationLog().offset() - offsetAtCut);
        // And the next save is accepted.
        assertThat(p.save().offset()).isEqualTo(n.replicationLog().offset());
    }

    @Test
    void aShutdownSaveOverItsTimeoutIsAbandonedAndThePreviousFileStays() throws Exception {
        CacheNode n = newNode();
        n.writableKeyspace().set(b("old"), b("1"));
        persistenceOf(n, Duration.ZERO, Duration.ofSeconds(30)).save();
        byte[] previous = Files.readAllBytes(dir.resolve("dump.rdb"));
        for (int i = 0; i < 200; i++) {
            n.writableKeyspace().set(b("k" + i), b("v"));
        }
        // 50 ms per key: 10 s for the file, against a 300 ms timeout.
        Persistence slow = persistenceOf(n, Duration.ofMillis(50), Duration.ofMillis(300));
        slow.stopWrites();

        slow.shutdown(); // returns after its 300 ms; the file below shows the save did not finish

        assertThat(Files.readAllBytes(dir.resolve("dump.rdb"))).isEqualTo(previous);
        assertThat(dir.resolve("dump.rdb.tmp")).doesNotExist();
        assertThat(dir.resolve("dump.rdb.clean-shutdown")).doesNotExist();
        assertThatThrownBy(slow::save).isInstanceOf(NodeStoppingException.class);
    }

    @Test
    void onShutdownFalseWritesNothing() {
        CacheNode n = newNode();
        n.writableKeyspace().set(b("k"), b("v"));
        Persistence p = new Persistence(n, NodeFixture.dump(dir), new Persistence.Settings(Duration.ZERO, false,
                Duration.ofSeconds(5), Duration.ZERO, Duration.ZERO), clock);
        open.add(p);
        p.stopWrites();
        p.shutdown();
        assertThat(dir.resolve("dump.rdb")).doesNotExist();
    }
}
