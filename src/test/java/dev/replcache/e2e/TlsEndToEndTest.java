package dev.replcache.e2e;

import static dev.replcache.e2e.Cluster.awaitInSync;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.replcache.api.cache.v1.CacheServiceGrpc;
import dev.replcache.api.cache.v1.GetRequest;
import dev.replcache.keyspace.Bytes;
import dev.replcache.node.ReplicationView;
import dev.replcache.tls.TestPki;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS and mutual TLS between a master and its replicas, as separate nodes on real sockets,
 * with certificates made for each run by {@link TestPki}: what syncs, what is refused, and
 * that a refused replica gets no data and says why.
 */
class TlsEndToEndTest {

    @TempDir
    Path tmp;

    private final List<TestNode> nodes = new ArrayList<>();
    private final List<ManagedChannel> channels = new ArrayList<>();

    private TestPki pki;
    private TestPki.Issued masterCert;
    private TestPki.Issued replicaCert;

    @BeforeEach
    void certificates() {
        pki = TestPki.create(tmp.resolve("pki"), "test");
        masterCert = pki.server("master");
        replicaCert = pki.client("replica");
    }

    @AfterEach
    void stop() throws InterruptedException {
        for (ManagedChannel c : channels) {
            c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        for (TestNode n : nodes) {
            n.close();
        }
    }

    private TestNode start(String name, String... props) {
        TestNode n = TestNode.start(name, tmp.resolve(name), props);
        nodes.add(n);
        return n;
    }

    /** A master serving TLS only, and refusing clients without a certificate from the test CA. */
    private TestNode mtlsMaster(String... extra) {
        List<String> props = new ArrayList<>(List.of(
                "replcache.grpc.tls.enabled=true",
                "replcache.grpc.tls.cert-chain=" + masterCert.certChain(),
                "replcache.grpc.tls.private-key=" + masterCert.privateKey(),
                "replcache.grpc.tls.trust-certs=" + pki.caCert(),
                "replcache.grpc.tls.client-auth=require"));
        props.addAll(List.of(extra));
        TestNode master = start("master", props.toArray(String[]::new));
        for (int i = 0; i < 100; i++) {
            master.node().writableKeyspace().set(Bytes.utf8("k" + i), Bytes.utf8("v" + i));
        }
        return master;
    }

    /** Replica settings: the master, and TLS trusting {@code ca} with an optional client certificate. */
    private static String[] replicaOf(TestNode master, Path ca, TestPki.Issued clientCert, String... extra) {
        List<String> props = new ArrayList<>(List.of(
                "replcache.replication.master=" + master.grpcAddress(),
                "replcache.replication.tls.enabled=true",
                "replcache.replication.tls.trust-certs=" + ca));
        if (clientCert != null) {
            props.add("replcache.replication.tls.cert-chain=" + clientCert.certChain());
            props.add("replcache.replication.tls.private-key=" + clientCert.privateKey());
        }
        props.addAll(List.of(extra));
        return props.toArray(String[]::new);
    }

    /**
     * The replica tried and was refused: its link has an error containing {@code reason}, never
     * synced, holds none of the master's data, and the master never started a sync for it.
     */
    private static void assertRefused(TestNode master, TestNode replica, String... reason) {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .until(() -> replica.node().replicationView().master().lastError() != null);
        // Retries keep failing the same way.
        await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            ReplicationView.MasterLinkView link = replica.node().replicationView().master();
            assertThat(link.linkStatus()).isNotEqualTo("up");
            assertThat(link.ready()).isFalse();
        });
        ReplicationView.MasterLinkView link = replica.node().replicationView().master();
        assertThat(link.lastError()).contains(reason).doesNotContain("\n");
        assertThat(link.fullSyncs()).isZero();
        assertThat(replica.node().keyspace().get(Bytes.utf8("k1"))).isNull();
        assertThat(replica.node().keyspace().contents()).isEmpty();
        assertThat(master.node().master().stats().syncFull()).isZero();
        assertThat(master.node().replicationView().replicas()).isEmpty();
        // The operator's view says the same.
        String view = replica.http("GET", "/v1/replication", null, null).body();
        assertThat(view).contains("\"lastError\":").doesNotContain("\"linkStatus\":\"up\"");
    }

    private ManagedChannel channel(TestNode node, ChannelCredentials credentials) {
        ManagedChannel c = Grpc.newChannelBuilderForAddress("127.0.0.1", node.grpcPort(), credentials).build();
        channels.add(c);
        return c;
    }

    private static ByteString get(ManagedChannel channel, String key) {
        return CacheServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .get(GetRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).build()).getValue();
    }

    @Test
    void aReplicaWithTheCaAndAClientCertificateSyncsOverMutualTls() {
        TestNode master = mtlsMaster();
        TestNode replica = start("replica", replicaOf(master, pki.caCert(), replicaCert));
        awaitInSync(master, replica);
        // The live stream flows over the same TLS link.
        master.node().writableKeyspace().set(Bytes.utf8("after-sync"), Bytes.utf8("x"));
        awaitInSync(master, replica);
        assertThat(replica.node().keyspace().get(Bytes.utf8("after-sync"))).isEqualTo(Bytes.utf8("x"));
        assertThat(replica.node().replicationView().master().linkStatus()).isEqualTo("up");
        assertThat(master.node().master().stats().syncFull()).isEqualTo(1);
        assertThat(master.node().replicationView().replicas()).hasSize(1);
    }

    @Test
    void aReplicaWithoutAClientCertificateIsRefused() {
        TestNode master = mtlsMaster();
        TestNode replica = start("replica", replicaOf(master, pki.caCert(), null));
        // TLS 1.3: the master's alert arrives after the client's side of the handshake.
        assertRefused(master, replica, "UNAVAILABLE");
        assertThat(replica.node().replicationView().master().lastError()).containsIgnoringCase("certificate");
    }

    @Test
    void aReplicaWithAClientCertificateFromAnotherCaIsRefused() {
        TestNode master = mtlsMaster();
        TestPki.Issued foreign = TestPki.create(tmp.resolve("other-pki"), "other").client("intruder");
        TestNode replica = start("replica", replicaOf(master, pki.caCert(), foreign));
        assertRefused(master, replica, "UNAVAILABLE");
    }

    @Test
    void aReplicaThatTrustsAnotherCaRefusesTheMaster() {
        TestNode master = mtlsMaster();
        TestPki other = TestPki.create(tmp.resolve("other-pki"), "other");
        TestNode replica = start("replica", replicaOf(master, other.caCert(), replicaCert));
        assertRefused(master, replica, "UNAVAILABLE");
        // The reason an operator needs: the master's certificate does not chain to what we trust.
        assertThat(replica.node().replicationView().master().lastError())
                .containsAnyOf("PKIX", "certification path", "unable to find valid certification path");
    }

    @Test
    void aPlaintextReplicaAndAPlaintextClientGetNothingFromATlsMaster() throws IOException {
        TestNode master = mtlsMaster();
        TestNode replica = start("replica", "replcache.replication.master=" + master.grpcAddress());
        assertRefused(master, replica, "UNAVAILABLE");

        ManagedChannel plaintext = channel(master, InsecureChannelCredentials.create());
        assertThatThrownBy(() -> get(plaintext, "k1"))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));

        // The same API over TLS with a client certificate answers.
        ManagedChannel tls = channel(master, TlsChannelCredentials.newBuilder()
                .trustManager(pki.caCert().toFile())
                .keyManager(replicaCert.certChain().toFile(), replicaCert.privateKey().toFile())
                .build());
        assertThat(get(tls, "k1").toStringUtf8()).isEqualTo("v1");
        // TLS without a client certificate does not (client-auth=require).
        ManagedChannel noCert = channel(master, TlsChannelCredentials.newBuilder()
                .trustManager(pki.caCert().toFile()).build());
        assertThatThrownBy(() -> get(noCert, "k1"))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }

    @Test
    void aWrongReplicationTokenOverTlsIsUnauthenticatedAndGetsNoData() {
        TestNode master = mtlsMaster("replcache.replication.auth-token=s3cret");
        TestNode wrong = start("wrong", replicaOf(master, pki.caCert(), replicaCert,
                "replcache.replication.auth-token=guess"));
        assertRefused(master, wrong, "UNAUTHENTICATED");

        TestNode right = start("right", replicaOf(master, pki.caCert(), replicaCert,
                "replcache.replication.auth-token=s3cret"));
        awaitInSync(master, right);
        assertThat(master.node().master().stats().syncFull()).isEqualTo(1);
    }

    @Test
    void theAuthorityOverrideChecksTheMastersCertificateAgainstAnotherName() {
        // A master whose certificate names only "replcache-master", reached by IP address.
        TestPki.Issued named = pki.issue("named-master", List.of("replcache-master"), KeyPurposeId.id_kp_serverAuth,
                java.time.Instant.now().minus(Duration.ofHours(1)), java.time.Instant.now().plus(Duration.ofDays(1)));
        masterCert = named;
        TestNode master = mtlsMaster();

        TestNode byIp = start("by-ip", replicaOf(master, pki.caCert(), replicaCert));
        assertRefused(master, byIp, "UNAVAILABLE");
        assertThat(byIp.node().replicationView().master().lastError()).containsIgnoringCase("127.0.0.1");

        TestNode byName = start("by-name", replicaOf(master, pki.caCert(), replicaCert,
                "replcache.replication.tls.authority=replcache-master"));
        awaitInSync(master, byName);
    }
}
