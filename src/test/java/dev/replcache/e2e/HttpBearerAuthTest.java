package dev.replcache.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * {@code replcache.http.auth-token} on a real node: the API under {@code /v1} answers only
 * requests with the token; everything else gets a 401 problem with a Bearer challenge, while
 * health probes and the OpenAPI document stay open.
 */
@ExtendWith(OutputCaptureExtension.class)
class HttpBearerAuthTest {

    private static final String TOKEN = "t0ken-for-tests";
    private static final Map<String, String> RIGHT = Map.of("Authorization", "Bearer " + TOKEN);

    @TempDir
    static Path tmp;

    private static TestNode node;

    @BeforeAll
    static void start() {
        node = TestNode.start("node", tmp.resolve("node"), "replcache.http.auth-token=" + TOKEN);
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    private static void assertUnauthorized(HttpResponse<String> r, String challenge) {
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue(challenge);
        assertThat(r.body()).contains("\"type\":\"https://replcache.dev/problems/unauthorized\"")
                .contains("\"title\":\"Unauthorized\"").contains("\"status\":401").contains("\"detail\":");
        assertThat(r.body()).doesNotContain(TOKEN);
    }

    @Test
    void withoutTheTokenTheApiIsRefusedWithAChallenge(CapturedOutput output) {
        assertUnauthorized(node.http("GET", "/v1/keys/a", null, null), "Bearer realm=\"replcache\"");
        assertUnauthorized(node.http("PUT", "/v1/keys/a", "v", null), "Bearer realm=\"replcache\"");
        assertUnauthorized(node.http("GET", "/v1/replication", null, null), "Bearer realm=\"replcache\"");
        assertUnauthorized(node.http("DELETE", "/v1/replication/master", null, null), "Bearer realm=\"replcache\"");
        // Any /v1 path, routed or not, in any spelling Spring MVC would route.
        assertUnauthorized(node.http("GET", "/v1/no-such-route", null, null), "Bearer realm=\"replcache\"");
        assertUnauthorized(node.http("GET", "/v%31/keys/a", null, null), "Bearer realm=\"replcache\"");
        assertUnauthorized(node.http("GET", "/v1;x=y/keys/a", null, null), "Bearer realm=\"replcache\"");
        // Another scheme is no bearer token.
        assertUnauthorized(node.http("GET", "/v1/keys/a", null, null, Map.of("Authorization", "Basic " + TOKEN)),
                "Bearer realm=\"replcache\"");
        // The refused write did not happen.
        assertThat(node.http("GET", "/v1/keys/a", null, null, RIGHT).statusCode()).isEqualTo(404);
        assertThat(output.getOut()).contains("Refused HTTP GET /v1/keys/a from 127.0.0.1: this API requires");
    }

    @Test
    void aWrongTokenIsRefusedAsInvalidAndNotLogged(CapturedOutput output) {
        assertUnauthorized(node.http("GET", "/v1/keyspace", null, null, Map.of("Authorization", "Bearer wrong-guess")),
                "Bearer realm=\"replcache\", error=\"invalid_token\"");
        // A prefix of the right token, and the right token with something after it, are wrong too.
        assertUnauthorized(node.http("GET", "/v1/keyspace", null, null, Map.of("Authorization", "Bearer t0ken")),
                "Bearer realm=\"replcache\", error=\"invalid_token\"");
        assertUnauthorized(node.http("GET", "/v1/keyspace", null, null, Map.of("Authorization", "Bearer " + TOKEN + "x")),
                "Bearer realm=\"replcache\", error=\"invalid_token\"");
        assertThat(output.getOut()).contains("Refused HTTP GET /v1/keyspace from 127.0.0.1: the bearer token is not valid")
                .doesNotContain("wrong-guess");
    }

    @Test
    void theRightTokenServesTheApi() {
        assertThat(node.http("PUT", "/v1/keys/greeting", "hello", null, RIGHT).statusCode()).isEqualTo(204);
        HttpResponse<String> get = node.http("GET", "/v1/keys/greeting", null, null, RIGHT);
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.body()).isEqualTo("hello");
        // The scheme is case-insensitive (RFC 7235).
        assertThat(node.http("GET", "/v1/keys/greeting", null, null, Map.of("Authorization", "bearer " + TOKEN))
                .statusCode()).isEqualTo(200);
        assertThat(node.http("GET", "/v1/replication", null, null, RIGHT).body()).contains("\"role\":\"master\"");
    }

    @Test
    void healthProbesAndTheApiDocumentStayOpen() {
        HttpResponse<String> health = node.http("GET", "/actuator/health", null, null);
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"UP\"");
        assertThat(node.http("GET", "/actuator/health/liveness", null, null).statusCode()).isEqualTo(200);
        assertThat(node.http("GET", "/actuator/health/readiness", null, null).statusCode()).isEqualTo(200);
        HttpResponse<String> docs = node.http("GET", "/v3/api-docs", null, null);
        assertThat(docs.statusCode()).isEqualTo(200);
        assertThat(docs.body()).contains("ReplCache HTTP API")
                .contains("\"bearerAuth\":{\"type\":\"http\"").contains("\"scheme\":\"bearer\"").contains("\"401\"");
        // Outside /v1 an unknown path is still the ordinary 404, not a 401.
        assertThat(node.http("GET", "/nope", null, null).statusCode()).isEqualTo(404);
    }
}
