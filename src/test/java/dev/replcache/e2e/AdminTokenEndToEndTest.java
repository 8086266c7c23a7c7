package dev.replcache.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.replcache.api.replication.v1.PromoteRequest;
import dev.replcache.api.replication.v1.ReplicationServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 row 1, the other half: syncing, using the API and changing roles are separate rights.
 * With {@code replcache.replication.admin-token} set, REPLICAOF, promotion, dropping the link and
 * FAILOVER need it over HTTP and gRPC; the client tokens do not suffice, and it opens nothing else.
 */
class AdminTokenEndToEndTest {

    private static final String ADMIN = "admin-t0ken";
    private static final String CLIENT = "client-t0ken";

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

    private static Map<String, String> bearer(String token) {
        return Map.of("Authorization", "Bearer " + token);
    }

    @Test
    void roleChangesNeedTheAdminTokenAndTheClientTokenOpensTheRest() {
        TestNode node = cluster.start("node", "replcache.replication.admin-token=" + ADMIN,
                "replcache.http.auth-token=" + CLIENT, "replcache.grpc.auth-token=" + CLIENT);
        String self = "{\"host\":\"127.0.0.1\",\"port\":" + node.grpcPort() + "}";

        HttpResponse<String> withClient = node.http("PUT", "/v1/replication/master", self, "application/json", bearer(CLIENT));
        assertThat(withClient.statusCode()).as(withClient.body()).isEqualTo(401);
        assertThat(withClient.body()).contains("replcache.replication.admin-token");
        for (String[] route : new String[][] {{"DELETE", "/v1/replication/master"}, {"POST", "/v1/replication/master/disconnect"},
                {"POST", "/v1/replication/failover"}, {"PUT", "/v1/replication/master;x=1"}}) {
            assertThat(node.http(route[0], route[1], route[0].equals("DELETE") ? null : "{}", "application/json", Map.of())
                    .statusCode()).as("%s %s without a token", route[0], route[1]).isEqualTo(401);
        }
        // The admin token passes the check (the request itself then gets its own answer: itself is refused).
        HttpResponse<String> withAdmin = node.http("PUT", "/v1/replication/master", self, "application/json", bearer(ADMIN));
        assertThat(withAdmin.statusCode()).as(withAdmin.body()).isEqualTo(400);
        assertThat(withAdmin.body()).contains("cannot replicate from itself");
        // Reading the replication view is no role change; the admin token is no client token.
        assertThat(node.http("GET", "/v1/replication", null, null, bearer(CLIENT)).statusCode()).isEqualTo(200);
        assertThat(node.http("GET", "/v1/keys/k", null, null, bearer(ADMIN)).statusCode()).isEqualTo(401);
        assertThat(node.node().role()).isEqualTo("master");
    }

    @Test
    void overGrpcPromoteNeedsTheAdminToken() throws Exception {
        TestNode node = cluster.start("node", "replcache.replication.admin-token=" + ADMIN);
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", node.grpcPort()).usePlaintext().build();
        try {
            var stub = ReplicationServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
            StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
                    () -> stub.promote(PromoteRequest.getDefaultInstance()));
            assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
            assertThat(refused.getStatus().getDescription()).contains("replcache.replication.admin-token");
            // Only role changes: without a client token configured, the rest stays open.
            assertThat(stub.info(dev.replcache.api.replication.v1.InfoRequest.getDefaultInstance()).getRole()).isEqualTo("master");

            Metadata admin = new Metadata();
            admin.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + ADMIN);
            assertThat(stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(admin))
                    .promote(PromoteRequest.getDefaultInstance()).getRole()).isEqualTo("master");
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void overRespRoleChangesNeedAuthWithTheAdminToken() {
        int port = TestNode.freePort();
        TestNode node = cluster.start("node", "replcache.replication.admin-token=" + ADMIN, "replcache.resp.port=" + port);
        try (redis.clients.jedis.Jedis jedis = new redis.clients.jedis.Jedis("127.0.0.1", port)) {
            assertThat(jedis.set("k", "v")).isEqualTo("OK"); // no client password: data commands are open
            org.assertj.core.api.Assertions.assertThatThrownBy(jedis::replicaofNoOne)
                    .hasMessageStartingWith("NOPERM").hasMessageContaining("replcache.replication.admin-token");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> jedis.sendCommand(
                    redis.clients.jedis.Protocol.Command.FAILOVER)).hasMessageStartingWith("NOPERM");
            assertThat(jedis.auth(ADMIN)).isEqualTo("OK");
            assertThat(jedis.replicaofNoOne()).isEqualTo("OK");
        }
        assertThat(node.node().role()).isEqualTo("master");
    }
}
