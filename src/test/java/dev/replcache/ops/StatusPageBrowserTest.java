package dev.replcache.ops;

import dev.replcache.e2e.TestNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page in headless Chromium against a master with a replica (separate nodes): what
 * it shows after its scripts fetched the node's JSON. Screenshots are kept in
 * {@code target/status-page.png} (master) and {@code target/status-page-replica.png}.
 */
class StatusPageBrowserTest {

    private static final tools.jackson.databind.json.JsonMapper JSON =
            tools.jackson.databind.json.JsonMapper.builder().build();

    private static final int BUDGET_MS = 5_000;

    @TempDir
    Path tmp;

    private TestNode master;
    private TestNode replica;

    @AfterEach
    void stop() {
        if (replica != null) {
            replica.close();
        }
        if (master != null) {
            master.close();
        }
    }

    /** The element with this id as Chromium serialized it: its start tag through its matching end tag. */
    static String element(String dom, String id) {
        Matcher start = Pattern.compile("<(\\w+)\\s[^>]*?\\bid=\"" + Pattern.quote(id) + "\"[^>]*>").matcher(dom);
        assertThat(start.find()).as("element #%s in the page", id).isTrue();
        String tag = start.group(1);
        Matcher tags = Pattern.compile("<(/?)" + tag + "\\b[^>]*>").matcher(dom);
        int depth = 0;
        tags.region(start.start(), dom.length());
        while (tags.find()) {
            depth += tags.group(1).isEmpty() ? 1 : -1;
            if (depth == 0) {
                return dom.substring(start.start(), tags.end());
            }
        }
        throw new AssertionError("element #" + id + " is not closed");
    }

    static String startTag(String dom, String id) {
        String e = element(dom, id);
        return e.substring(0, e.indexOf('>') + 1);
    }

    static String text(String dom, String id) {
        return element(dom, id).replaceAll("<[^>]*>", "").trim();
    }

    @Test
    void theMastersPageShowsItsRoleOffsetsAndTheReplicaInTheTopologyAndTheReplicasPageItsLink() throws Exception {
        Chromium chromium = Chromium.find(tmp.resolve("chromium"));
        master = TestNode.start("master", tmp.resolve("master"));
        for (int i = 0; i < 500; i++) {
            assertThat(master.send("PUT", "/v1/keys/key-" + i, "value-" + i).statusCode()).isEqualTo(204);
        }
        replica = TestNode.start("replica", tmp.resolve("replica"), "replcache.replication.master=" + master.grpcAddress());
        long offset = master.node().replicationLog().offset();
        String replicaId = replica.node().nodeId();
        String replicaAddress = "127.0.0.1:" + replica.grpcPort();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(replica.node().replicationLog().offset()).isEqualTo(offset);
            assertThat(master.node().master().replicas()).singleElement()
                    .satisfies(r -> assertThat(r.ackOffset()).isEqualTo(offset));
        });
        // A few lag samples of the replica, so the chart has a line to draw.
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            tools.jackson.databind.JsonNode replicas = JSON.readTree(master.send("GET", "/v1/replication/history", null)
                    .body()).get("replicas");
            return replicas.size() == 1 && replicas.get(0).get("series").get("t").size() >= 3;
        });

        Path target = Path.of("target");
        Files.createDirectories(target);
        String dom = chromium.dumpDom(master.url("/"), BUDGET_MS);
        Files.writeString(target.resolve("status-page.html"), dom); // what the assertions read, for a failing run
        assertThat(element(dom, "role")).contains("badge master");
        assertThat(text(dom, "role")).isEqualTo("master");
        assertThat(element(dom, "offset")).contains("data-value=\"" + offset + "\"");
        assertThat(text(dom, "repl-id")).isEqualTo(master.node().replicationLog().replId().value());
        assertThat(text(dom, "node-id")).isEqualTo(master.node().nodeId());
        assertThat(text(dom, "sync-stats")).startsWith("full 1, partial ok 0");
        assertThat(startTag(dom, "link")).contains("hidden");
        assertThat(startTag(dom, "lease")).as("no lease card under failover.mode=manual").contains("hidden");
        assertThat(dom).doesNotContain("id=\"error\" class=\"error\">"); // the error line stays hidden
        // The topology: this node, and below it the replica with its state, offsets and lag.
        String topology = element(dom, "topology");
        assertThat(topology).contains("data-id=\"" + master.node().nodeId() + "\"");
        Matcher child = Pattern.compile("<li class=\"node replica\" data-id=\"" + replicaId + "\" data-address=\""
                + Pattern.quote(replicaAddress) + "\" data-offset=\"" + offset + "\">(.*?)</li>", Pattern.DOTALL).matcher(topology);
        assertThat(child.find()).as("the replica in the topology: %s", topology).isTrue();
        String replicaItem = child.group(1).replaceAll("<[^>]*>", "");
        assertThat(replicaItem).contains("replica " + replicaAddress).contains("online")
                .contains(String.format("acked %,d", offset)).contains("lag 0 B / 0 ms")
                .contains("link to " + master.grpcAddress() + " up");
        // The lag chart has the replica's line and legend.
        assertThat(element(dom, "lag-chart")).contains("<polyline").contains("data-series=\"replica " + replicaAddress + "\"");
        assertThat(text(dom, "lag-legend")).contains("replica " + replicaAddress + ": 0 B");

        // The replica's own page: its role and its link to the master.
        String replicaDom = chromium.dumpDom(replica.url("/"), BUDGET_MS);
        Files.writeString(target.resolve("status-page-replica.html"), replicaDom);
        assertThat(text(replicaDom, "role")).isEqualTo("replica");
        assertThat(element(replicaDom, "offset")).contains("data-value=\"" + offset + "\"");
        assertThat(startTag(replicaDom, "link")).doesNotContain("hidden");
        assertThat(text(replicaDom, "master-address")).isEqualTo(master.grpcAddress());
        assertThat(text(replicaDom, "link-status")).isEqualTo("up");
        assertThat(text(replicaDom, "link-syncs")).isEqualTo("full 1, partial 0");
        assertThat(text(replicaDom, "lag-legend")).contains("this replica behind its master: 0 B");

        chromium.screenshot(master.url("/"), target.resolve("status-page.png"), BUDGET_MS);
        chromium.screenshot(replica.url("/"), target.resolve("status-page-replica.png"), BUDGET_MS);
        assertThat(Files.size(target.resolve("status-page.png"))).isGreaterThan(10_000);
    }

    @Test
    void underLeaseModeThePageShowsTheLeaseItsHolderAndItsEpoch() throws Exception {
        Chromium chromium = Chromium.find(tmp.resolve("chromium"));
        io.fabric8.kubernetes.client.server.mock.KubernetesMockServer api =
                new io.fabric8.kubernetes.client.server.mock.KubernetesMockServer(new io.fabric8.mockwebserver.Context(),
                        new io.fabric8.mockwebserver.MockWebServer(), new java.util.HashMap<>(),
                        new io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher(), false);
        api.init(java.net.InetAddress.getLoopbackAddress(), 0);
        try {
            // A set of one: no sibling to wait for, so it takes the lease at its first round.
            master = TestNode.start("solo", tmp.resolve("solo"), "replcache.failover.mode=lease",
                    "replcache.failover.name=solo", "replcache.failover.api-url=" + api.url("/"),
                    "replcache.failover.namespace=test", "replcache.failover.retry-period=200ms",
                    "replcache.failover.renew-deadline=1s", "replcache.failover.lease-duration=2s",
                    "logging.level.io.fabric8=WARN");
            await().atMost(Duration.ofSeconds(20)).until(() -> master.send("PUT", "/v1/keys/k", "v").statusCode() == 204);
            String dom = chromium.dumpDom(master.url("/"), BUDGET_MS);
            Files.writeString(Path.of("target").resolve("status-page-lease.html"), dom);
            assertThat(startTag(dom, "lease")).doesNotContain("hidden");
            assertThat(text(dom, "lease-holder")).startsWith("solo at 127.0.0.1:" + master.grpcPort());
            assertThat(text(dom, "lease-this")).isEqualTo("this node: takes writes");
            assertThat(element(dom, "lease-epoch")).contains("data-value=\"0\"");
            assertThat(text(dom, "lease-self")).startsWith("solo, priority 100");
            // Created, or (a slow first answer the client gave up on) found already ours and renewed.
            assertThat(text(dom, "lease-transition")).startsWith("acquired: ").contains("the lease");
        } finally {
            if (master != null) {
                master.close();
                master = null;
            }
            api.destroy();
        }
    }
}
