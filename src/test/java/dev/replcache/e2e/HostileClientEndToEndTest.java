package dev.replcache.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A clumsy or hostile client of the admin API, on a real node over HTTP. */
class HostileClientEndToEndTest {

    @TempDir
    Path tmp;

    private Cluster cluster;

    @BeforeEach
    void setUp() {
        cluster = new Cluster(tmp);
    }

    @AfterEach
    void tearDown() {
        cluster.close();
    }

    private static void assertProblem(HttpResponse<String> r, int status, String... details) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).contains("problem+json"));
        assertThat(r.body()).contains(details);
    }

    @Test
    void replicaOfAnUnusableHostIsA400AndTheNodeStaysAWritableMaster() {
        TestNode node = cluster.start("node");
        String[] hosts = {"a b", "unix:///x", "evil\\r\\nFAKE LOG LINE", "host/path", "user@host", "-leading-dash",
                "x".repeat(300)};
        for (String host : hosts) {
            HttpResponse<String> r = node.json("PUT", "/v1/replication/master", "{\"host\":\"" + host + "\",\"port\":9090}");
            assertProblem(r, 400, "host must be a DNS name or an IP address");
            assertThat(r.body()).doesNotContain("\r\n");
        }
        // Well formed, but no such name: said in the response, nothing changes.
        assertProblem(node.json("PUT", "/v1/replication/master", "{\"host\":\"no-such-host.invalid\",\"port\":9090}"),
                400, "cannot resolve the master host 'no-such-host.invalid'");
        assertThat(node.node().role()).isEqualTo("master");
        assertThat(node.http("PUT", "/v1/keys/k", "v", null).statusCode()).isEqualTo(204);
    }

    @Test
    void replicaOfItselfIsRefused() {
        TestNode node = cluster.start("node");
        for (String host : new String[] {"127.0.0.1", "localhost"}) {
            assertProblem(node.json("PUT", "/v1/replication/master", "{\"host\":\"" + host + "\",\"port\":"
                    + node.grpcPort() + "}"), 400, "a node cannot replicate from itself");
        }
        assertThat(node.node().role()).isEqualTo("master");
        assertThat(node.http("PUT", "/v1/keys/k", "v", null).statusCode()).isEqualTo(204);
    }

    @Test
    void aMasterThatCannotBeReachedIsRetriedAndTheLinkSaysWhy() throws Exception {
        TestNode node = cluster.start("node", "replcache.replication.reconnect-max-delay=200ms");
        // A "master" that takes each connection and hangs up at once: every connect is counted.
        java.util.concurrent.atomic.AtomicInteger connects = new java.util.concurrent.atomic.AtomicInteger();
        try (java.net.ServerSocket hangUp = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                while (!hangUp.isClosed()) {
                    try (java.net.Socket s = hangUp.accept()) {
                        connects.incrementAndGet();
                    } catch (java.io.IOException closed) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();

            HttpResponse<String> r = node.json("PUT", "/v1/replication/master",
                    "{\"host\":\"127.0.0.1\",\"port\":" + hangUp.getLocalPort() + "}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);

            await().atMost(Duration.ofSeconds(30)).until(() -> connects.get() >= 3); // it retries
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(node.get("/v1/replication").body())
                    .containsPattern("\"lastError\":\"[^\"]*UNAVAILABLE"));
        }
    }
}
