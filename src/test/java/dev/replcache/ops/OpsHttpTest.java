package dev.replcache.ops;

import dev.replcache.e2e.TestNode;

import static dev.replcache.ops.HealthGroupsTest.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.replcache.keyspace.Bytes;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The status page's files and the JSON behind it over HTTP, on separate nodes: the page and its
 * two assets (and nothing else: other paths stay problem+json 404s), the lag history, the
 * topology with a sub-replica and a replica that cannot be asked, {@code /actuator/replication}
 * and {@code /actuator/info}.
 */
class OpsHttpTest {

    @TempDir
    Path tmp;

    private final List<TestNode> nodes = new ArrayList<>();

    @AfterEach
    void stop() {
        for (int i = nodes.size() - 1; i >= 0; i--) {
            nodes.get(i).close();
        }
    }

    private TestNode start(String name, String... props) {
        TestNode n = TestNode.start(name, tmp.resolve(name), props);
        nodes.add(n);
        return n;
    }

    private static void awaitCaughtUp(TestNode master, TestNode replica) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(replica.node().replicationView().master()).isNotNull();
            assertThat(replica.node().replicationView().master().ready()).isTrue();
            assertThat(replica.node().replicationLog().offset()).isEqualTo(master.node().replicationLog().offset());
        });
    }

    @Test
    void thePageAndItsAssetsAreServedAndOtherPathsStayProblems() {
        TestNode n = start("node");
        HttpResponse<String> page = n.get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
        assertThat(page.body()).contains("<script src=\"/status.js\"></script>").contains("id=\"topology\"");
        HttpResponse<String> script = n.get("/status.js");
        assertThat(script.statusCode()).isEqualTo(200);
        assertThat(script.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/javascript"));
        assertThat(script.body()).contains("/v1/replication/topology");
        HttpResponse<String> css = n.get("/status.css");
        assertThat(css.statusCode()).isEqualTo(200);
        assertThat(css.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/css"));

        for (String path : List.of("/index.html", "/static/index.html", "/nope", "/status.js/x")) {
            HttpResponse<String> missing = n.get(path);
            assertThat(missing.statusCode()).as(path).isEqualTo(404);
            assertThat(missing.headers().firstValue("Content-Type")).as(path)
                    .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
        }
        HttpResponse<String> post = n.send("POST", "/", "x");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
        HttpResponse<String> postElsewhere = n.send("POST", "/nope", "x");
        assertThat(postElsewhere.statusCode()).isEqualTo(404);
    }

    @Test
    void historyAndTopologyShowReplicasSubReplicasAndNodesThatCannotBeAsked() throws Exception {
        TestNode master = start("master");
        for (int i = 0; i < 50; i++) {
            master.node().writableKeyspace().set(Bytes.utf8("k" + i), Bytes.utf8("v" + i));
        }
        TestNode replica = start("replica", "replcache.replication.master=" + master.grpcAddress());
        TestNode sub = start("sub", "replcache.replication.master=" + replica.grpcAddress());
        // A replica that announces an address where nobody listens: the tree shows it with its error.
        int deadPort = TestNode.freePort();
        TestNode unreachable = start("unreachable", "replcache.replication.master=" + master.grpcAddress(),
                "replcache.replication.announce-address=127.0.0.1:" + deadPort);
        awaitCaughtUp(master, replica);
        awaitCaughtUp(replica, sub);
        awaitCaughtUp(master, unreachable);
        long offset = master.node().replicationLog().offset();

        JsonNode tree = json(master.get("/v1/replication/topology"));
        assertThat(tree.path("id").asString()).isEqualTo(master.node().nodeId());
        assertThat(tree.path("role").asString()).isEqualTo("master");
        assertThat(tree.path("offset").asLong()).isEqualTo(offset);
        assertThat(tree.path("replicas")).hasSize(2);
        JsonNode r = child(tree, replica.node().nodeId());
        assertThat(r.path("address").asString()).isEqualTo("127.0.0.1:" + replica.grpcPort());
        assertThat(r.path("role").asString()).isEqualTo("replica");
        assertThat(r.path("state").asString()).isEqualTo("online");
        assertThat(r.path("offset").asLong()).isEqualTo(offset);
        assertThat(r.path("master").asString()).isEqualTo(master.grpcAddress());
        assertThat(r.path("linkStatus").asString()).isEqualTo("up");
        assertThat(r.path("error").isNull()).isTrue();
        // The sub-replica, as the replica knows it and as it says itself.
        assertThat(r.path("replicas")).hasSize(1);
        JsonNode s = r.path("replicas").get(0);
        assertThat(s.path("id").asString()).isEqualTo(sub.node().nodeId());
        assertThat(s.path("address").asString()).isEqualTo("127.0.0.1:" + sub.grpcPort());
        assertThat(s.path("role").asString()).isEqualTo("replica");
        assertThat(s.path("master").asString()).isEqualTo(replica.grpcAddress());
        assertThat(s.path("offset").asLong()).isEqualTo(offset);
        assertThat(s.path("replicas")).isEmpty();
        // The unreachable one: what the master knows of it, and why it could not be asked.
        JsonNode u = child(tree, unreachable.node().nodeId());
        assertThat(u.path("address").asString()).isEqualTo("127.0.0.1:" + deadPort);
        assertThat(u.path("state").asString()).isEqualTo("online");
        assertThat(u.path("role").asString()).isEmpty();
        assertThat(u.path("error").asString()).contains("UNAVAILABLE");

        // A depth of 1 stops below the direct replicas and says so.
        Topology shallow = new Topology(master.node(), master.bean(PeerInfoClient.class), Duration.ofSeconds(1), 1);
        Topology.Node top = shallow.tree();
        Topology.Node direct = top.replicas().stream().filter(n -> n.id().equals(replica.node().nodeId())).findFirst().orElseThrow();
        assertThat(direct.replicas()).isEmpty();
        assertThat(direct.truncated()).isTrue();

        // The lag history: this node's offsets, and per replica its lag samples.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode h = json(master.get("/v1/replication/history"));
            assertThat(h.path("intervalMs").asLong()).isEqualTo(200);
            assertThat(h.path("windowMs").asLong()).isEqualTo(600_000);
            JsonNode offsets = h.path("offset");
            assertThat(offsets.path("t").size()).isGreaterThan(2).isEqualTo(offsets.path("values").path("offset").size());
            assertThat(last(offsets.path("values").path("offset"))).isEqualTo(offset);
            JsonNode rs = null;
            for (JsonNode x : h.path("replicas")) {
                if (x.path("id").asString().equals(replica.node().nodeId())) {
                    rs = x;
                }
            }
            assertThat(rs).isNotNull();
            assertThat(rs.path("connected").asBoolean()).isTrue();
            assertThat(rs.path("address").asString()).isEqualTo("127.0.0.1:" + replica.grpcPort());
            assertThat(rs.path("state").asString()).isEqualTo("online");
            JsonNode values = rs.path("series").path("values");
            assertThat(values.path("lagBytes").size()).isEqualTo(rs.path("series").path("t").size());
            assertThat(last(values.path("lagBytes"))).isEqualTo(0);
            assertThat(last(values.path("ackOffset"))).isEqualTo(offset);
            assertThat(h.path("link").isNull()).isTrue();
        });
        JsonNode onReplica = json(replica.get("/v1/replication/history"));
        assertThat(last(onReplica.path("link").path("values").path("lagBytes"))).isEqualTo(0);
        assertThat(last(onReplica.path("link").path("values").path("streaming"))).isEqualTo(1);
        assertThat(onReplica.path("replicas").get(0).path("id").asString()).isEqualTo(sub.node().nodeId());

        // A replica that goes away keeps its series, marked as no longer connected.
        String goneId = unreachable.node().nodeId();
        unreachable.close();
        nodes.remove(unreachable);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            JsonNode h = json(master.get("/v1/replication/history"));
            boolean found = false;
            for (JsonNode x : h.path("replicas")) {
                if (x.path("id").asString().equals(goneId)) {
                    found = true;
                    assertThat(x.path("connected").asBoolean()).isFalse();
                }
            }
            assertThat(found).isTrue();
        });
    }

    @Test
    void theReplicationEndpointIsTheReplicationViewAndInfoHasTheBuild() throws Exception {
        TestNode master = start("master");
        TestNode replica = start("replica", "replcache.replication.master=" + master.grpcAddress());
        awaitCaughtUp(master, replica);

        for (TestNode n : List.of(master, replica)) {
            HttpResponse<String> actuator = n.get("/actuator/replication");
            assertThat(actuator.statusCode()).isEqualTo(200);
            JsonNode a = json(actuator);
            JsonNode v = json(n.get("/v1/replication"));
            for (String field : List.of("role", "replId", "replId2", "offset", "secondReplOffset", "backlog", "stats")) {
                assertThat(a.path(field)).as(field).isEqualTo(v.path(field));
            }
            assertThat(a.path("replicas").size()).isEqualTo(v.path("replicas").size());
        }
        JsonNode a = json(master.get("/actuator/replication"));
        assertThat(a.path("role").asString()).isEqualTo("master");
        assertThat(a.path("replicas").get(0).path("id").asString()).isEqualTo(replica.node().nodeId());
        assertThat(json(replica.get("/actuator/replication")).path("master").path("linkStatus").asString()).isEqualTo("up");

        JsonNode info = json(master.get("/actuator/info"));
        assertThat(info.path("build").path("artifact").asString()).isEqualTo("replcache");
        assertThat(info.path("build").path("group").asString()).isEqualTo("dev.replcache");
        assertThat(info.path("java").path("version").asString()).isNotEmpty();
        // git.properties is written by the build when the sources are a git checkout.
        var git = getClass().getResourceAsStream("/git.properties");
        if (git != null) {
            Properties p = new Properties();
            try (git) {
                p.load(git);
            }
            assertThat(info.path("git").path("commit").path("id").asString())
                    .isEqualTo(p.getProperty("git.commit.id.abbrev"));
            assertThat(info.path("git").path("branch").asString()).isEqualTo(p.getProperty("git.branch"));
        }
    }

    private static JsonNode child(JsonNode tree, String id) {
        for (JsonNode c : tree.path("replicas")) {
            if (c.path("id").asString().equals(id)) {
                return c;
            }
        }
        throw new AssertionError("no replica " + id + " in " + tree);
    }

    private static long last(JsonNode array) {
        return array.get(array.size() - 1).asLong();
    }
}
