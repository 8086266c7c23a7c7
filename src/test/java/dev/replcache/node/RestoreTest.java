package dev.replcache.node;

import static dev.replcache.node.NodeFixture.dump;
import static dev.replcache.node.NodeFixture.persistence;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.replcache.keyspace.Bytes;
import dev.replcache.keyspace.CommandEntry;
import dev.replcache.keyspace.SetCondition;
import dev.replcache.keyspace.Ttl;
import dev.replcache.replication.ReplicationId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Loading the dump file at start: into the node's keyspace in its role (expiry), at the file's
 * replication position, and never silently past a file that cannot be read.
 */
class RestoreTest extends NodeTestBase {

    private static Bytes b(String s) {
        return Bytes.utf8(s);
    }

    /** A master with a key for good and one that expires in a second, saved (not at a shutdown). */
    private Persistence.Saved saveTwoKeys() {
        CacheNode writer = newNode();
        writer.writableKeyspace().set(b("live"), b("v1"));
        writer.writableKeyspace().set(b("soon"), b("v2"), SetCondition.ALWAYS, Ttl.inMillis(1_000), false);
        Persistence p = persistence(writer, dir, clock);
        open.add(p);
        return p.save();
    }

    @Test
    void aMasterLoadsTheFileAndExpiresItsKeysNormallyLoggingTheDels() {
        Persistence.Saved saved = saveTwoKeys();
        clock.advance(5_000);

        CacheNode master = newNode();
        Persistence.Restored restored = Persistence.restore(master, dump(dir), false, false, clock);

        assertThat(restored.loaded()).isTrue();
        assertThat(restored.keys()).isEqualTo(2);
        assertThat(master.replicationLog().offset()).isEqualTo(saved.offset());
        // Loaded as stored, expired or not...
        assertThat(master.keyspace().contents()).containsKeys(b("live"), b("soon"));
        // ...then expired by the master's own clock, with a DEL in its stream for its replicas.
        assertThat(master.keyspace().activeExpireCycle()).isEqualTo(1);
        assertThat(master.keyspace().contents()).containsOnlyKeys(b("live"));
        assertThat(master.replicationLog().offset()).isGreaterThan(saved.offset());
        assertThat(master.keyspace().get(b("live"))).isEqualTo(b("v1"));
    }

    @Test
    void aReplicaLoadsTheFileAndHidesExpiredKeysUntilTheMastersDel() {
        Persistence.Saved saved = saveTwoKeys();
        clock.advance(5_000);

        CacheNode replica = newNode();
        Persistence.Restored restored = Persistence.restore(replica, dump(dir), true, false, clock);

        assertThat(restored.hasHistory()).isTrue();
        assertThat(replica.replicationLog().replId().value()).isEqualTo(saved.replId());
        assertThat(replica.replicationLog().offset()).isEqualTo(saved.offset());
        assertThat(replica.replicationLog().backlogSizeBytes()).isZero();
        // Hidden on reads, never deleted by the replica's clock.
        assertThat(replica.keyspace().get(b("soon"))).isNull();
        assertThat(replica.keyspace().pttl(b("soon"))).isEqualTo(-2);
        assertThat(replica.keyspace().activeExpireCycle()).isZero();
        assertThat(replica.keyspace().contents()).containsKeys(b("live"), b("soon"));
        assertThat(replica.replicationLog().offset()).isEqualTo(saved.offset());
        // The master's DEL removes it.
        replica.keyspace().apply(new CommandEntry.Del(List.of(b("soon"))));
        assertThat(replica.keyspace().contents()).containsOnlyKeys(b("live"));
    }

    @Test
    void aMastersCleanShutdownFileKeepsItsReplIdOnceAnyOtherFileStartsANewOne() throws Exception {
        CacheNode first = newNode();
        first.writableKeyspace().set(b("k"), b("v"));
        ReplicationId id = first.replicationLog().replId();
        long offset = first.replicationLog().offset();
        Persistence p = persistence(first, dir, clock);
        p.stopWrites();
        assertThatThrownBy(() -> first.writableKeyspace()).isInstanceOf(NodeStoppingException.class);
        p.shutdown();
        assertThat(dir.resolve("dump.rdb.clean-shutdown")).exists();

        CacheNode second = newNode();
        Persistence.Restored restored = Persistence.restore(second, dump(dir), false, false, clock);

        assertThat(restored.keptReplId()).isTrue();
        assertThat(second.replicationLog().replId()).isEqualTo(id);
        assertThat(second.replicationLog().offset()).isEqualTo(offset);
        assertThat(second.replicationLog().replId2()).isEqualTo(ReplicationId.NONE);
        assertThat(second.keyspace().get(b("k"))).isEqualTo(b("v"));
        // The marker vouches for one start only: it is gone, so a crash now and a restart from the
        // same file cannot reuse the id for a different history.
        assertThat(dir.resolve("dump.rdb.clean-shutdown")).doesNotExist();

        CacheNode third = newNode();
        Persistence.Restored again = Persistence.restore(third, dump(dir), false, false, clock);

        assertThat(again.keptReplId()).isFalse();
        assertThat(third.replicationLog().replId()).isNotEqualTo(id);
        assertThat(third.replicationLog().replId2()).isEqualTo(id);
        assertThat(third.replicationLog().secondReplOffset()).isEqualTo(offset);
        assertThat(third.replicationLog().offset()).isEqualTo(offset);
    }

    @Test
    void aMarkerForAnotherFileIsNotTrusted() throws Exception {
        CacheNode first = newNode();
        first.writableKeyspace().set(b("k"), b("v"));
        Persistence p = persistence(first, dir, clock);
        p.stopWrites();
        p.shutdown();
        // The file is replaced after the clean shutdown (an operator copies another one in).
        CacheNode other = newNode();
        other.writableKeyspace().set(b("other"), b("x"));
        Persistence op = persistence(other, dir, clock);
        open.add(op);
        op.save();

        CacheNode loaded = newNode();
        Persistence.restore(loaded, dump(dir), false, false, clock);

        assertThat(loaded.replicationLog().replId2()).isEqualTo(other.replicationLog().replId());
        assertThat(loaded.keyspace().get(b("other"))).isEqualTo(b("x"));
    }

    /** A node restarted as a replica from a master's saved file, following some master. */
    private CacheNode replicaStartedFromADump() {
        CacheNode source = newNode();
        source.writableKeyspace().set(b("k"), b("v"));
        Persistence sp = persistence(source, dir, clock);
        open.add(sp);
        sp.save();
        CacheNode replica = newNode();
        Persistence.restore(replica, dump(dir), true, false, clock);
        replica.replicaOf(NodeFixture.SOME_MASTER, true);
        return replica;
    }

    /**
     * Found by the simulation (seed 34985): a replica that followed a promotion (its log keeps the
     * old id as replId2) forgot it in a clean restart, so a master later restarted from an older
     * dump of that old history looked foreign to it, and its full resync rewound the replica.
     */
    @Test
    void aCleanRestartKeepsReplId2ForAReplicaToo() {
        CacheNode replica = replicaStartedFromADump();
        ReplicationId before = replica.replicationLog().replId();
        long at = replica.replicationLog().offset();
        // Its master was promoted and continued it under a new id (CONTINUE with a new replId).
        ReplicationId promoted = ReplicationId.random(new java.util.SplittableRandom(9));
        replica.replicationLog().adoptNewId(promoted);
        Persistence rp = persistence(replica, dir, clock);
        rp.stopWrites();
        rp.shutdown();

        CacheNode again = newNode();
        Persistence.restore(again, dump(dir), true, false, clock);

        assertThat(again.replicationLog().replId()).isEqualTo(promoted);
        assertThat(again.replicationLog().replId2()).isEqualTo(before);
        assertThat(again.replicationLog().secondReplOffset()).isEqualTo(at);
    }

    @Test
    void aReplicasShutdownFileLoadsAsAMasterUnderANewReplId() throws java.io.IOException {
        CacheNode replica = replicaStartedFromADump();
        ReplicationId masterId = replica.replicationLog().replId();
        long offset = replica.replicationLog().offset();
        Persistence rp = persistence(replica, dir, clock);
        rp.stopWrites();
        rp.shutdown();
        // The marker keeps the replica's position (and replId2) for its own restart, but says it was a
        // replica: only a master vouches that the file holds all its id produced.
        assertThat(dir.resolve("dump.rdb.clean-shutdown")).content().contains("role=replica");

        CacheNode master = newNode();
        Persistence.restore(master, dump(dir), false, false, clock);

        assertThat(master.replicationLog().replId()).isNotEqualTo(masterId);
        assertThat(master.replicationLog().replId2()).isEqualTo(masterId);
        assertThat(master.replicationLog().secondReplOffset()).isEqualTo(offset);
        assertThat(master.keyspace().get(b("k"))).isEqualTo(b("v"));
        master.writableKeyspace().set(b("new"), b("write"));
    }

    @Test
    void noFileStartsEmptyWithAFreshHistory() {
        CacheNode n = newNode();
        ReplicationId before = n.replicationLog().replId();

        Persistence.Restored restored = Persistence.restore(n, dump(dir), true, false, clock);

        assertThat(restored.loaded()).isFalse();
        assertThat(restored.hasHistory()).isFalse();
        assertThat(n.replicationLog().replId()).isEqualTo(before);
        assertThat(n.replicationLog().offset()).isZero();
    }

    /** Not an RDB file; an RDB file cut short; a bit flipped inside (the checksum catches it). */
    private void writeBadFile(String kind) throws IOException {
        saveTwoKeys();
        Path file = dir.resolve("dump.rdb");
        byte[] good = Files.readAllBytes(file);
        switch (kind) {
            case "garbage" -> Files.writeString(file, "this is not an RDB file");
            case "truncated" -> Files.write(file, Arrays.copyOf(good, good.length / 2));
            case "flipped" -> {
                byte[] bad = good.clone();
                bad[bad.length - 12] ^= 0x01;
                Files.write(file, bad);
            }
            default -> throw new AssertionError(kind);
        }
    }

    @Test
    void aCorruptFileFailsTheStartWithAMessageNamingTheFileAndTheWayOut() throws IOException {
        for (String kind : List.of("garbage", "truncated", "flipped")) {
            writeBadFile(kind);
            CacheNode n = newNode();
            Path file = dir.resolve("dump.rdb").toAbsolutePath();

            assertThatThrownBy(() -> Persistence.restore(n, dump(dir), false, false, clock))
                    .as(kind)
                    .isInstanceOf(DumpFileException.class)
                    .hasMessageContaining("Cannot load the dump file " + file)
                    .hasMessageContaining("replcache.snapshot.ignore-corrupt=true");
            assertThat(file).as("a file the node cannot read is left where it is").exists();
        }
    }

    /** Issue 11 row 13: Redis takes a zero CRC64 trailer as "not checksummed"; a flipped bit then loads. */
    @Test
    void aFileWithoutAChecksumIsRefusedUnlessTheOperatorAllowsIt() throws IOException {
        saveTwoKeys();
        Path file = dir.resolve("dump.rdb");
        byte[] unchecked = Files.readAllBytes(file);
        Arrays.fill(unchecked, unchecked.length - 8, unchecked.length, (byte) 0);
        int value = indexOf(unchecked, "v1".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        unchecked[value] ^= 0x01; // "v1" becomes "w1": a flipped bit, which nothing detects now
        Files.write(file, unchecked);

        assertThatThrownBy(() -> Persistence.restore(newNode(), dump(dir), false, false, clock))
                .isInstanceOf(DumpFileException.class)
                .hasMessageContaining("no checksum").hasMessageContaining("replcache.snapshot.allow-no-checksum=true");
        assertThat(file).exists();

        CacheNode allowed = newNode();
        Persistence.Restored restored = Persistence.restore(allowed, new DumpFile(file, true), false, false, clock);
        assertThat(restored.loaded()).isTrue();
        assertThat(allowed.keyspace().get(b("live"))).as("loaded as it is, flipped bit and all").isEqualTo(b("w1"));
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        throw new AssertionError("not found");
    }

    @Test
    void ignoreCorruptMovesTheFileAsideAndStartsEmpty() throws IOException {
        writeBadFile("flipped");
        byte[] bad = Files.readAllBytes(dir.resolve("dump.rdb"));
        CacheNode n = newNode();

        Persistence.Restored restored = Persistence.restore(n, dump(dir), false, true, clock);

        assertThat(restored.loaded()).isFalse();
        assertThat(n.keyspace().dbSize()).isZero();
        assertThat(dir.resolve("dump.rdb")).doesNotExist();
        Path aside = dir.resolve("dump.rdb.corrupt-20260101T000000Z");
        assertThat(aside).exists();
        assertThat(Files.readAllBytes(aside)).isEqualTo(bad);
    }

    @Test
    void leftoversOfAnEarlierRunAreRemovedAndTheDumpKept() throws IOException {
        saveTwoKeys();
        for (String name : List.of("dump.rdb.tmp", "sync-snapshot-3.rdb", "sync-snapshot-4.rdb.tmp",
                "incoming-snapshot-1.rdb.tmp", "replica-sync.rdb")) {
            Files.writeString(dir.resolve(name), "x");
        }
        Files.writeString(dir.resolve("notes.txt"), "not ours");

        Persistence.restore(newNode(), dump(dir), false, false, clock);

        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("dump.rdb", "notes.txt");
        }
    }

    /**
     * An RDB 10 file with no aux fields at all (as other tools, or old Redis versions, write one):
     * SELECTDB 0, RESIZEDB, string keys, EOF and the CRC64 trailer.
     */
    private static byte[] rdbWithoutAuxFields(Map<String, String> strings) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.writeBytes("REDIS0010".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        out.write(0xFE);
        out.write(0);
        out.write(0xFB);
        out.write(strings.size());
        out.write(0);
        strings.forEach((k, v) -> {
            out.write(0); // string
            out.write(k.length());
            out.writeBytes(k.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.write(v.length());
            out.writeBytes(v.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        });
        out.write(0xFF);
        long crc = dev.replcache.keyspace.rdb.Crc64.of(out.toByteArray());
        for (int i = 0; i < 8; i++) {
            out.write((int) (crc >>> (8 * i)) & 0xFF);
        }
        return out.toByteArray();
    }

    @Test
    void aFileWithoutAReplicationPositionLoadsUnderAFreshHistory() throws IOException {
        Files.write(dir.resolve("dump.rdb"), rdbWithoutAuxFields(Map.of("a", "1", "b", "two")));

        CacheNode replica = newNode();
        Persistence.Restored restored = Persistence.restore(replica, dump(dir), true, false, clock);

        assertThat(restored.loaded()).isTrue();
        assertThat(restored.hasHistory()).as("nothing to offer for a partial resync").isFalse();
        assertThat(replica.keyspace().get(b("a"))).isEqualTo(b("1"));
        assertThat(replica.keyspace().get(b("b"))).isEqualTo(b("two"));
        assertThat(replica.replicationLog().offset()).isZero();
    }
}
