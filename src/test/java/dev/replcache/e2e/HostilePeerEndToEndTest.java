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

    @Test
    void aStreamThatNeverSaysHelloIsClosedUnlistedAndUnpinged() throws Exception {
        TestNode master = cluster.start("master", "replcache.replication.auth-token=" + TOKEN,
                "replcache.replication.handshake-timeout=500ms", "replcache.replication.ping-interval=100ms");
        try (RawReplica acksOnly = new RawReplica(master.grpcPort()); RawReplica silent = new RawReplica(master.grpcPort())) {
            acksOnly.ack(0);
            // silent: the stream is open (the call started), and it says nothing at all

            await().atMost(Duration.ofSeconds(10)).until(() -> acksOnly.closed.get() != null && silent.closed.get() != null);
            assertThat(acksOnly.closed.get()).contains("Ack before Hello");
            assertThat(silent.closed.get()).contains("no Hello and PSYNC within 500 ms");
            assertThat(acksOnly.received).noneMatch(m -> m.hasPing());
        }
        try (RawReplica waiting = new RawReplica(master.grpcPort())) {
            waiting.hello("no-psync-yet", "127.0.0.1:1", TOKEN);
            await().atMost(Duration.ofSeconds(10)).until(() -> waiting.closed.get() != null);
            assertThat(waiting.closed.get()).contains("no Hello and PSYNC within 500 ms");
            assertThat(waiting.received).noneMatch(m -> m.hasPing());
            assertThat(master.get("/v1/replication").body()).doesNotContain("no-psync-yet");
        }
        assertThat(master.node().master().replicas()).isEmpty();
    }

    @Test
    void streamsBeyondMaxReplicasAreRefusedAndFreedSlotsServeARealReplica() throws Exception {
        TestNode master = cluster.start("master", "replcache.replication.max-replicas=3",
                "replcache.replication.handshake-timeout=60s");
        master.node().writableKeyspace().set(Bytes.utf8("k"), Bytes.utf8("v"));
        java.util.List<RawReplica> peers = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                RawReplica p = new RawReplica(master.grpcPort());
                p.hello("peer-" + i, "127.0.0.1:1", "");
                peers.add(p);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> peers.stream().filter(p -> p.closed.get() != null).count() == 5);
            assertThat(peers.stream().map(p -> p.closed.get()).filter(java.util.Objects::nonNull))
                    .allSatisfy(reason -> assertThat(reason).contains("RESOURCE_EXHAUSTED")
                            .contains("replcache.replication.max-replicas"));
            assertThat(master.http("PUT", "/v1/keys/during", "v", null).statusCode()).isEqualTo(204);
        } finally {
            for (RawReplica p : peers) {
                p.close();
            }
        }
        // The peers' streams end; their slots serve a real replica.
        await().atMost(Duration.ofSeconds(10)).until(() -> master.node().master().replicas().isEmpty());
        TestNode replica = cluster.start("replica", "replcache.replication.master=" + master.grpcAddress());
        awaitInSync(master, replica);
    }

    /** Random and mutated replica messages, from a seed, each sequence on its own stream. */
    private static dev.replcache.api.replication.v1.ReplicaMessage peerMessage(dev.replcache.testing.Gen g, String replId,
                                                                                long offset) {
        var b = dev.replcache.api.replication.v1.ReplicaMessage.newBuilder();
        switch (g.intBetween(0, 4)) {
            case 0 -> b.setHello(dev.replcache.api.replication.v1.Hello.newBuilder()
                    .setReplicaId(g.oneIn(5) ? "" : g.anyString(40))
                    .setAnnouncedAddress(g.pick("127.0.0.1:1", "", "a b", g.anyString(60)))
                    .setAuthToken(g.pick(TOKEN, "", "wrong"))
                    .setHandoverKey(g.anyString(32)));
            case 1 -> b.setPsync(dev.replcache.api.replication.v1.Psync.newBuilder()
                    .setReplId(g.pick(replId, "?", "", g.anyString(40)))
                    .setOffset(g.pick(offset, -1L, 0L, offset + 1, Long.MAX_VALUE, Long.MIN_VALUE, g.anyLong()))
                    .setFailover(g.oneIn(4))
                    .setHandoverKey(g.anyString(32)));
            case 2 -> b.setAck(dev.replcache.api.replication.v1.Ack.newBuilder()
                    .setOffset(g.pick(offset, -1L, offset + 1_000_000, g.anyLong())));
            case 3 -> { } // no kind at all
            default -> {
                // Unknown fields: bytes the schema does not know, parsed and kept as unknown.
                return dev.replcache.api.replication.v1.ReplicaMessage.newBuilder().setUnknownFields(
                        com.google.protobuf.UnknownFieldSet.newBuilder().addField(99,
                                com.google.protobuf.UnknownFieldSet.Field.newBuilder()
                                        .addLengthDelimited(com.google.protobuf.ByteString.copyFrom(g.bytes(0, 64))).build())
                                .build()).build();
            }
        }
        return b.build();
    }

    @Test
    void randomPeerMessagesNeverHurtTheMasterAndARealReplicaStillSyncs() throws Exception {
        TestNode master = cluster.start("master", "replcache.replication.auth-token=" + TOKEN,
                "replcache.replication.handshake-timeout=1s");
        for (int i = 0; i < 200; i++) {
            master.node().writableKeyspace().set(Bytes.utf8("k" + i), Bytes.utf8("v" + i));
        }
        var before = new java.util.HashMap<>(master.node().keyspace().contents());
        String replId = master.node().replicationLog().replId().value();
        long offset = master.node().replicationLog().offset();

        dev.replcache.testing.PropertyCheck.forAll("hostile replica stream", 60,
                g -> g.listOf(1, 8, x -> peerMessage(x, replId, offset)), messages -> {
                    try (RawReplica peer = new RawReplica(master.grpcPort())) {
                        for (var m : messages) {
                            peer.send(m);
                        }
                        // The master answers or closes; it never stops serving clients.
                        assertThat(master.http("GET", "/v1/keys/k1", null, null).body()).isEqualTo("v1");
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(e);
                    }
                });

        assertThat(master.node().role()).isEqualTo("master");
        assertThat(master.node().replicationLog().replId().value()).isEqualTo(replId);
        assertThat(master.node().keyspace().contents()).isEqualTo(before);
        await().atMost(Duration.ofSeconds(20)).until(() -> master.node().master().replicas().isEmpty());
        TestNode replica = cluster.start("replica", "replcache.replication.auth-token=" + TOKEN,
                "replcache.replication.master=" + master.grpcAddress());
        awaitInSync(master, replica);
    }
}
