package dev.replcache.transport.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * docs/architecture.md, invariant 6: bad input gets a clear error and the node keeps running.
 * Each entry is a request a client can send, with the exact status and problem type it must
 * get; none may be a 500.
 */
class HttpBadInputTest extends HttpApiTestBase {

    private record Case(String name, int status, String type, Supplier<HttpTestClient.Reply> request) {
    }

    @Test
    void everyBadRequestGetsItsProblemAndTheNodeKeepsServing() {
        http.put("/v1/keys/bad:str").body("not a number").send().expect(204);
        http.put("/v1/keys/bad:max").body(Long.toString(Long.MAX_VALUE)).send().expect(204);
        http.put("/v1/hashes/bad:hash").json("{\"f\":\"not a number\",\"max\":\"" + Long.MAX_VALUE + "\"}").send().expect(200);

        String longKey = "k".repeat(MAX_KEY_BYTES + 1);
        byte[] bigValue = new byte[MAX_VALUE_BYTES + 1];
        byte[] hugeChunked = new byte[1024 * 1024];
        String bigJson = "{\"entries\":{\"bad:j\":\"" + "x".repeat(MAX_JSON_BODY_BYTES) + "\"}}";

        List<Case> cases = List.of(
                // Empty names: the path forms a script with an unset variable would send, and JSON.
                new Case("empty key in path", 400, "invalid-request", () -> http.put("/v1/keys/").body("v").send()),
                new Case("empty key in hash path", 400, "invalid-request", () -> http.get("/v1/hashes/").send()),
                new Case("empty hash field in path", 400, "invalid-request", () -> http.get("/v1/hashes/bad:hash/fields/").send()),
                new Case("empty hash field in JSON", 400, "invalid-request", () -> http.put("/v1/hashes/bad:h2").json("{\"\":\"v\"}").send()),
                new Case("empty key in MGET", 400, "invalid-request", () -> http.post("/v1/mget").json("{\"keys\":[\"\"]}").send()),
                new Case("empty key list", 400, "invalid-request", () -> http.post("/v1/del").json("{\"keys\":[]}").send()),
                new Case("empty HSET object", 400, "invalid-request", () -> http.put("/v1/hashes/bad:h2").json("{}").send()),
                // Sizes.
                new Case("oversized key GET", 413, "limit-exceeded", () -> http.get("/v1/keys/" + longKey).send()),
                new Case("oversized key PUT", 413, "limit-exceeded", () -> http.put("/v1/keys/" + longKey).body("v").send()),
                new Case("oversized key in MSET", 413, "limit-exceeded",
                        () -> http.post("/v1/mset").json("{\"entries\":{\"" + longKey + "\":\"v\"}}").send()),
                new Case("oversized hash field", 413, "limit-exceeded",
                        () -> http.put("/v1/hashes/bad:h2/fields/" + longKey).body("v").send()),
                new Case("oversized value with Content-Length", 413, "limit-exceeded",
                        () -> http.put("/v1/keys/bad:big").body(bigValue).send()),
                new Case("oversized value chunked", 413, "limit-exceeded",
                        () -> http.put("/v1/keys/bad:big").chunked(hugeChunked).send()),
                new Case("oversized hash field value chunked", 413, "limit-exceeded",
                        () -> http.put("/v1/hashes/bad:h2/fields/f").chunked(hugeChunked).send()),
                new Case("oversized APPEND body", 413, "limit-exceeded",
                        () -> http.post("/v1/keys/bad:big/append").chunked(bigValue).send()),
                new Case("JSON body over max-json-body", 413, "limit-exceeded", () -> http.post("/v1/mset").json(bigJson).send()),
                new Case("JSON body over max-json-body, chunked", 413, "limit-exceeded",
                        () -> http.post("/v1/mset").header("Content-Type", "application/json").chunked(bigJson.getBytes()).send()),
                new Case("too many keys in a batch", 413, "limit-exceeded",
                        () -> http.post("/v1/mget").json("{\"keys\":[" + "\"k\",".repeat(100) + "\"k\"]}").send()),
                // TTLs.
                new Case("ttl=0", 400, "invalid-expire", () -> http.put("/v1/keys/bad:t?ttl=0").body("v").send()),
                new Case("ttl=-5s", 400, "invalid-expire", () -> http.put("/v1/keys/bad:t?ttl=-5s").body("v").send()),
                new Case("ttl=abc", 400, "invalid-request", () -> http.put("/v1/keys/bad:t?ttl=abc").body("v").send()),
                new Case("ttl=PTxyz", 400, "invalid-request", () -> http.put("/v1/keys/bad:t?ttl=PTxyz").body("v").send()),
                new Case("ttl out of range", 400, "invalid-expire",
                        () -> http.put("/v1/keys/bad:t?ttl=99999999999999999999").body("v").send()),
                new Case("expireAt=abc", 400, "invalid-request", () -> http.put("/v1/keys/bad:t?expireAt=abc").body("v").send()),
                new Case("expireAt=0", 400, "invalid-expire", () -> http.put("/v1/keys/bad:t?expireAt=0").body("v").send()),
                new Case("ttl with keepTtl", 400, "invalid-request",
                        () -> http.put("/v1/keys/bad:t?ttl=1s&keepTtl=true").body("v").send()),
                new Case("keepTtl=maybe", 400, "invalid-request", () -> http.put("/v1/keys/bad:t?keepTtl=maybe").body("v").send()),
                new Case("get=yes", 400, "invalid-request", () -> http.put("/v1/keys/bad:t?get=yes").body("v").send()),
                new Case("PUT ttl=0 on the TTL route", 400, "invalid-expire", () -> http.put("/v1/keys/bad:str/ttl?ttl=0").send()),
                new Case("PUT ttl route without ttl", 400, "invalid-request", () -> http.put("/v1/keys/bad:str/ttl").send()),
                // Integers.
                new Case("incr by=abc", 400, "invalid-request", () -> http.post("/v1/keys/bad:n/incr?by=abc").send()),
                new Case("incr by=1.5", 400, "invalid-request", () -> http.post("/v1/keys/bad:n/incr?by=1.5").send()),
                new Case("incr by out of range", 400, "invalid-request",
                        () -> http.post("/v1/keys/bad:n/incr?by=99999999999999999999").send()),
                new Case("incr on a non-integer", 409, "not-integer", () -> http.post("/v1/keys/bad:str/incr").send()),
                new Case("incr overflow", 409, "overflow", () -> http.post("/v1/keys/bad:max/incr").send()),
                new Case("hincr on a non-integer", 409, "hash-not-integer", () -> http.post("/v1/hashes/bad:hash/fields/f/incr").send()),
                new Case("hincr overflow", 409, "overflow", () -> http.post("/v1/hashes/bad:hash/fields/max/incr").send()),
                // Types.
                new Case("GET on a hash", 409, "wrongtype", () -> http.get("/v1/keys/bad:hash").send()),
                new Case("SET get=true over a hash", 409, "wrongtype", () -> http.put("/v1/keys/bad:hash?get=true").body("v").send()),
                new Case("APPEND to a hash", 409, "wrongtype", () -> http.post("/v1/keys/bad:hash/append").body("v").send()),
                new Case("HGET on a string", 409, "wrongtype", () -> http.get("/v1/hashes/bad:str/fields/f").send()),
                new Case("HGETALL on a string", 409, "wrongtype", () -> http.get("/v1/hashes/bad:str").send()),
                new Case("HSET on a string", 409, "wrongtype", () -> http.put("/v1/hashes/bad:str/fields/f").body("v").send()),
                // Conditions.
                new Case("NX on an existing key", 412, "condition-failed",
                        () -> http.put("/v1/keys/bad:str").header("If-None-Match", "*").body("v").send()),
                new Case("XX on a missing key", 412, "condition-failed",
                        () -> http.put("/v1/keys/bad:missing").header("If-Match", "*").body("v").send()),
                new Case("If-Match with an ETag", 400, "invalid-request",
                        () -> http.put("/v1/keys/bad:str").header("If-Match", "\"abc\"").body("v").send()),
                new Case("NX and XX together", 400, "invalid-request",
                        () -> http.put("/v1/keys/bad:str").header("If-Match", "*").header("If-None-Match", "*").body("v").send()),
                // SCAN.
                new Case("cursor=abc", 400, "invalid-request", () -> http.get("/v1/keys?cursor=abc").send()),
                new Case("cursor out of range", 400, "syntax", () -> http.get("/v1/keys?cursor=99999999").send()),
                new Case("count=0", 400, "syntax", () -> http.get("/v1/keys?count=0").send()),
                // Routing and media types.
                new Case("unknown route", 404, "no-route", () -> http.get("/v1/nope").send()),
                new Case("unknown route outside /v1", 404, "no-route", () -> http.post("/nope/at/all").body("x").send()),
                new Case("wrong method on a key", 405, "method-not-allowed", () -> http.post("/v1/keys/bad:str").send()),
                new Case("wrong method on MGET", 405, "method-not-allowed", () -> http.get("/v1/mget").send()),
                new Case("text/plain to a JSON route", 415, "unsupported-media-type",
                        () -> http.post("/v1/mget").header("Content-Type", "text/plain").body("{\"keys\":[\"a\"]}").send()),
                new Case("no Content-Type on a JSON route", 415, "unsupported-media-type",
                        () -> http.post("/v1/mget").body("{\"keys\":[\"a\"]}").send()),
                new Case("malformed JSON", 400, "malformed-body", () -> http.post("/v1/mget").json("{\"keys\":[\"a\"").send()),
                new Case("JSON of the wrong shape", 400, "malformed-body", () -> http.post("/v1/mget").json("{\"keys\":\"a\"}").send()),
                new Case("JSON array for an object", 400, "malformed-body", () -> http.put("/v1/hashes/bad:h2").json("[1,2]").send()),
                new Case("missing JSON body", 400, "malformed-body", () -> http.post("/v1/mset").json("").send()),
                new Case("JSON without its field", 400, "invalid-request", () -> http.post("/v1/mset").json("{}").send()),
                new Case("null key in JSON", 400, "invalid-request", () -> http.post("/v1/del").json("{\"keys\":[null]}").send()),
                new Case("null value in MSET", 400, "invalid-request",
                        () -> http.post("/v1/mset").json("{\"entries\":{\"bad:k\":null}}").send()),
                new Case("nested object as hash value", 400, "malformed-body",
                        () -> http.put("/v1/hashes/bad:h2").json("{\"f\":{\"x\":1}}").send()),
                // Missing things are not bad input, but must be problems too.
                new Case("GET a missing key", 404, "key-not-found", () -> http.get("/v1/keys/bad:missing").send()),
                new Case("HGET a missing field", 404, "field-not-found", () -> http.get("/v1/hashes/bad:hash/fields/nope").send()));

        List<String> failures = new ArrayList<>();
        for (Case c : cases) {
            try {
                c.request().get().expectProblem(c.status(), c.type());
            } catch (AssertionError | RuntimeException e) {
                failures.add(c.name() + ": " + e.getMessage());
            }
        }
        assertThat(failures).as("bad requests that did not get their problem").isEmpty();

        // Nothing was written by the refused requests, and the node still serves normally.
        http.get("/v1/keys/bad:t").send().expectProblem(404, "key-not-found");
        http.get("/v1/keys/bad:big").send().expectProblem(404, "key-not-found");
        assertThat(http.get("/v1/keys/bad:str").send().expect(200).text()).isEqualTo("not a number");
        http.put("/v1/keys/bad:after").body("still here").send().expect(204);
        assertThat(http.get("/v1/keys/bad:after").send().expect(200).text()).isEqualTo("still here");
    }

    @Test
    void headOfAMissingKeyIs404WithoutBody() {
        HttpTestClient.Reply reply = http.call("HEAD", "/v1/keys/bad:nohead").send().expect(404);
        assertThat(reply.bytes()).isEmpty();
    }

    @Test
    void pathsTomcatCannotDecodeAreRefusedBeforeTheApp() throws IOException {
        // Tomcat refuses these while decoding the URI, before any servlet runs: a plain 400 page,
        // not a problem body (see the HTTP API notes). Guard that they stay 400s, never 500s.
        for (String path : List.of("/v1/keys/a%2", "/v1/keys/a%zz", "/v1/keys/%FF", "/v1/keys/a%00b")) {
            assertThat(rawStatus(path)).as(path).isEqualTo(400);
        }
        http.put("/v1/keys/bad:after-tomcat").body("ok").send().expect(204);
    }

    /** The status of a GET sent over a plain socket: java.net.URI refuses malformed escapes. */
    private int rawStatus(String path) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String statusLine = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
            return Integer.parseInt(statusLine.split(" ")[1]);
        }
    }
}
