package dev.replcache.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.replcache.keyspace.Bytes;
import dev.replcache.keyspace.Keyspace;
import dev.replcache.keyspace.KeyspaceConfig;
import dev.replcache.keyspace.WriteLog;
import dev.replcache.replication.ReplicationId;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11 row 1: a promotion (or a REPLICAOF) while a full sync's snapshot loads was undone by
 * the load: LinkDriver.close() waits 5 s and returns, the node takes writes as a master, and then
 * the load installed the old master's data and (replId, offset). A load now installs only for
 * the link that started it.
 */
class LoadAfterPromotionTest {

    @TempDir
    Path dir;

    private CacheNode node;

    @AfterEach
    void close() {
        if (node != null) {
            node.close();
        }
    }

    private Keyspace oldMastersData(NodeFixture.Clock clock) {
        Keyspace loaded = new Keyspace(KeyspaceConfig.DEFAULTS.withSegments(16), clock, new SplittableRandom(1), WriteLog.DISCARD);
        loaded.set(Bytes.utf8("from-the-old-master"), Bytes.utf8("x"));
        return loaded;
    }

    @Test
    void aLoadThatFinishesAfterAPromotionIsDiscardedWithItsDumpFile() {
        NodeFixture.Clock clock = new NodeFixture.Clock();
        node = NodeFixture.node(dir, clock);
        node.replicaOf(NodeFixture.SOME_MASTER, true);
        long loadingLink = node.linkGeneration(); // a full sync of this link is loading its snapshot...

        node.promote(); // ...when the operator promotes the node, and clients write to it
        ReplicationId promoted = node.replicationLog().replId();
        node.writableKeyspace().set(Bytes.utf8("acknowledged"), Bytes.utf8("1"));
        long offset = node.replicationLog().offset();

        AtomicBoolean dumpFileKept = new AtomicBoolean();
        ReplicationId oldMaster = ReplicationId.random(new SplittableRandom(9));
        assertThatThrownBy(() -> node.installFromLink(loadingLink, oldMastersData(clock), oldMaster, 42,
                () -> dumpFileKept.set(true)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("discarded");

        assertThat(dumpFileKept).as("the snapshot is not kept as the dump file either").isFalse();
        assertThat(node.role()).isEqualTo("master");
        assertThat(node.replicationLog().replId()).isEqualTo(promoted);
        assertThat(node.replicationLog().offset()).isEqualTo(offset);
        assertThat(node.keyspace().get(Bytes.utf8("acknowledged"))).isEqualTo(Bytes.utf8("1"));
        assertThat(node.keyspace().get(Bytes.utf8("from-the-old-master"))).isNull();
    }

    @Test
    void theCurrentLinksLoadInstalls() {
        NodeFixture.Clock clock = new NodeFixture.Clock();
        node = NodeFixture.node(dir, clock);
        node.replicaOf(NodeFixture.SOME_MASTER, true);
        ReplicationId master = ReplicationId.random(new SplittableRandom(9));
        AtomicBoolean kept = new AtomicBoolean();

        node.installFromLink(node.linkGeneration(), oldMastersData(clock), master, 42, () -> kept.set(true));

        assertThat(kept).isTrue();
        assertThat(node.replicationLog().replId()).isEqualTo(master);
        assertThat(node.replicationLog().offset()).isEqualTo(42);
        assertThat(node.keyspace().get(Bytes.utf8("from-the-old-master"))).isEqualTo(Bytes.utf8("x"));
    }
}
