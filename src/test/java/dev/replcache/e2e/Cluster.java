package dev.replcache.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.replcache.keyspace.Bytes;
import dev.replcache.keyspace.Entry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The nodes one end-to-end test starts, each in its own data directory, all stopped at the end. */
final class Cluster implements AutoCloseable {

    private final Path dir;
    private final List<TestNode> nodes = new ArrayList<>();

    Cluster(Path dir) {
        this.dir = dir;
    }

    TestNode start(String name, String... props) {
        TestNode n = TestNode.start(name, dir.resolve(name), props);
        nodes.add(n);
        return n;
    }

    TestNode start(String name, Object[] beans, String... props) {
        TestNode n = TestNode.start(name, dir.resolve(name), beans, props);
        nodes.add(n);
        return n;
    }

    /** Same history, same offset, then the same data (entries with absolute expiries). */
    static void awaitInSync(TestNode master, TestNode replica) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            assertThat(replica.node().replicationLog().replId()).as(replica.name + " replId")
                    .isEqualTo(master.node().replicationLog().replId());
            assertThat(replica.node().replicationLog().offset()).as(replica.name + " offset")
                    .isEqualTo(master.node().replicationLog().offset());
        });
        Map<Bytes, Entry> expected = master.node().keyspace().contents();
        Map<Bytes, Entry> actual = replica.node().keyspace().contents();
        assertThat(actual.size()).as(replica.name + " keys").isEqualTo(expected.size());
        assertThat(actual).as(replica.name + " data").isEqualTo(expected);
    }

    @Override
    public void close() {
        for (TestNode n : nodes) {
            n.close();
        }
    }
}
