package dev.replcache.e2e;

import static dev.replcache.e2e.Cluster.awaitInSync;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.replcache.keyspace.Bytes;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Peers that hold the replication token but are not who they say: separate nodes on real sockets,
 * and a hand-driven peer on their replication stream.
 */
class HostilePeerEndToEndTest {

    private static final String TOKEN = "repl-t0ken";

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

    @Test
    void aPeerWithTheTokenCannotPromoteAReplicaByClaimingAFailover() throws Exception {
        TestNode master = cluster.start("master", "replcache.replication.auth-token=" + TOKEN);
        TestNode replica = cluster.start("replica", "replcache.replication.auth-token=" + TOKEN,
                "replcache.replication.master=" + master.grpcAddress());
        master.node().writableKeyspace().set(Bytes.utf8("k"), Bytes.utf8("v"));
        awaitInSync(master, replica);
        // Both values are public (GET /v1/replication); the peer also guesses a handover key.
        String replId = replica.node().replicationLog().replId().value();
        long offset = replica.node().replicationLog().offset();

        for (String guess : new String[] {"", "00000000000000000000000000000000"}) {
            try (RawReplica rogue = new RawReplica(replica.grpcPort())) {
                rogue.hello("rogue", "127.0.0.1:1", TOKEN).failoverPsync(replId, offset, guess);
                await().atMost(Duration.ofSeconds(10)).until(() -> rogue.closed.get() != null);
                assertThat(rogue.closed.get()).contains("failover refused")
                        .contains("not the master this replica follows");
            }
        }

        assertThat(replica.node().role()).isEqualTo("replica");
        assertThat(replica.node().replicationLog().replId().value()).isEqualTo(replId);
        HttpResponse<String> write = replica.http("PUT", "/v1/keys/x", "v", null);
        assertThat(write.statusCode()).as(write.body()).isEqualTo(409);
        // The real master still streams to it.
        master.node().writableKeyspace().set(Bytes.utf8("k2"), Bytes.utf8("v2"));
        awaitInSync(master, replica);

        // And the real master's coordinated failover, which presents the key, still works.
        HttpResponse<String> failover = master.json("POST", "/v1/replication/failover",
                "{\"to\":\"" + replica.grpcAddress() + "\",\"timeoutMs\":5000}");
        assertThat(failover.statusCode()).as(failover.body()).isEqualTo(200);
        assertThat(replica.node().role()).isEqualTo("master");
        await().atMost(Duration.ofSeconds(30)).until(() -> "replica".equals(master.node().role()));
    }

    @Test
    void aFailoverTimeoutOverTheLimitIsRefusedBeforeWritesPause() {
        TestNode master = cluster.start("master", "replcache.replication.failover-max-timeout=30s");
        TestNode replica = cluster.start("replica", "replcache.replication.master=" + master.grpcAddress());
        awaitInSync(master, replica);

        HttpResponse<String> refused = master.json("POST", "/v1/replication/failover",
                "{\"to\":\"" + replica.grpcAddress() + "\",\"timeoutMs\":3600000}");

        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
        assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).contains("problem+json"));
        assertThat(refused.body()).contains("replcache.replication.failover-max-timeout").contains("30000");
        assertThat(master.node().role()).isEqualTo("master");
        assertThat(master.http("PUT", "/v1/keys/after", "v", null).statusCode()).isEqualTo(204);
    }

    @Test
    void aSilentPeerThatClaimsTheMastersOffsetIsNotCountedAsCaughtUp() throws Exception {
        TestNode master = cluster.start("master", "replcache.replication.auth-token=" + TOKEN);
        master.node().writableKeyspace().set(Bytes.utf8("k"), Bytes.utf8("v"));
        String replId = master.node().replicationLog().replId().value();
        long offset = master.node().replicationLog().offset();
        try (RawReplica silent = new RawReplica(master.grpcPort())) {
            // A partial resync at exactly the master's offset, then never an Ack.
            silent.hello("silent", "127.0.0.1:1", TOKEN).psync(replId, offset);
            await().atMost(Duration.ofSeconds(10)).until(() -> silent.received.stream().anyMatch(m -> m.hasContinue()));

            HttpResponse<String> aborted = master.json("POST", "/v1/replication/failover",
                    "{\"to\":\"127.0.0.1:1\",\"timeoutMs\":1000}");

            assertThat(aborted.statusCode()).as(aborted.body()).isEqualTo(409);
            assertThat(aborted.body()).contains("did not ack offset " + offset).contains("\"aborted\":true");
            assertThat(silent.closed.get()).as("the peer was never asked to take over").isNull();
        }
        assertThat(master.node().role()).isEqualTo("master");
        assertThat(master.http("PUT", "/v1/keys/after", "v", null).statusCode()).isEqualTo(204);
    }
}
