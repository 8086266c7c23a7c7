package dev.replcache.node;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** A data directory, a manual clock, and the nodes (and other closeables) a test opened, closed after it. */
abstract class NodeTestBase {

    @TempDir
    Path dir;

    final NodeFixture.Clock clock = new NodeFixture.Clock();
    final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    CacheNode newNode() {
        CacheNode n = NodeFixture.node(dir, clock);
        open.add(n);
        return n;
    }
}
