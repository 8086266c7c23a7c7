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

/** A clumsy or hostile client of the admin API (REPLICAOF, WAIT) and the probes it must not starve, on a real node over HTTP. */
class AdminAndProbesEndToEndTest {

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

    @Test
    void probesOnTheManagementPortAnswerWhileSlowUploadsHoldEveryApiThread() throws Exception {
        int management = TestNode.freePort();
        TestNode node = cluster.start("node", "server.tomcat.threads.max=4", "server.tomcat.threads.min-spare=1",
                "management.server.port=" + management);
        java.util.List<java.net.Socket> slow = new java.util.ArrayList<>();
        try {
            // Twice as many uploads as API threads, each sending its headers and one byte of its body.
            for (int i = 0; i < 8; i++) {
                java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), node.httpPort());
                s.getOutputStream().write(("PUT /v1/keys/slow" + i + " HTTP/1.1\r\nHost: localhost\r\n"
                        + "Content-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\nx")
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                slow.add(s);
            }
            java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
            // The API is starved: a GET on the API port does not get an answer while the uploads hold on.
            var starved = client.sendAsync(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + node.httpPort() + "/v1/keys/k")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            // The probes, on their own port and threads, answer.
            for (String probe : new String[] {"/actuator/health/liveness", "/actuator/health/readiness"}) {
                HttpResponse<String> r = client.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + management + probe)).timeout(Duration.ofSeconds(10)).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(probe).isEqualTo(200);
                assertThat(r.body()).contains("UP");
            }
            assertThat(starved).as("the API port was starved during the probes").isNotDone();
        } finally {
            for (java.net.Socket s : slow) {
                s.close();
            }
        }
    }

    @Test
    void blockedWaitsHoldNoApiThread() throws Exception {
        TestNode node = cluster.start("node", "server.tomcat.threads.max=4", "server.tomcat.threads.min-spare=1");
        java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        // Twice as many WAITs as API threads, each blocked: no replica will ever ack.
        java.util.List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> waits = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) {
            waits.add(client.sendAsync(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create("http://127.0.0.1:" + node.httpPort() + "/v1/wait"))
                    .header("Content-Type", "application/json")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"replicas\":1,\"timeoutMs\":20000}")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> node.node().master().waitingCount() == 8);

        // The API still answers, and so does health on the same port.
        assertThat(node.http("PUT", "/v1/keys/k", "v", null).statusCode()).isEqualTo(204);
        assertThat(node.get("/v1/keys/k").body()).isEqualTo("v");
        assertThat(node.get("/actuator/health/liveness").statusCode()).isEqualTo(200);
        assertThat(waits).noneMatch(java.util.concurrent.CompletableFuture::isDone);
        for (var w : waits) {
            w.cancel(true);
        }
    }
}
