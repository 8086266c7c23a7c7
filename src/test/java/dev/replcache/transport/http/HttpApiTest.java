package dev.replcache.transport.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Happy paths of every route, over a real port. */
class HttpApiTest extends HttpApiTestBase {

    @Test
    void putGetHeadDelete() {
        http.put("/v1/keys/s:1").body("hello").send().expect(204);

        HttpTestClient.Reply get = http.get("/v1/keys/s:1").send().expect(200);
        assertThat(get.text()).isEqualTo("hello");
        assertThat(get.contentType()).isEqualTo("application/octet-stream");
        http.call("HEAD", "/v1/keys/s:1").send().expect(200);

        http.delete("/v1/keys/s:1").send().expect(204);
        http.get("/v1/keys/s:1").send().expectProblem(404, "key-not-found");
        http.call("HEAD", "/v1/keys/s:1").send().expect(404);
        http.delete("/v1/keys/s:1").send().expectProblem(404, "key-not-found");
    }

    @Test
    void valuesAreRawBytesWhateverTheContentType() {
        byte[] all = new byte[256];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        http.put("/v1/keys/s:bin").body(all).send().expect(204);
        assertThat(http.get("/v1/keys/s:bin").send().expect(200).bytes()).isEqualTo(all);

        // curl -d sends application/x-www-form-urlencoded: the body must not be parsed as a form.
        http.put("/v1/keys/s:form").header("Content-Type", "application/x-www-form-urlencoded")
                .body("a=1&b=2").send().expect(204);
        assertThat(http.get("/v1/keys/s:form").send().text()).isEqualTo("a=1&b=2");

        http.put("/v1/keys/s:empty").send().expect(204);
        assertThat(http.get("/v1/keys/s:empty").send().expect(200).bytes()).isEmpty();

        // A value of exactly max-value-bytes, sent chunked, is accepted.
        byte[] max = new byte[MAX_VALUE_BYTES];
        http.put("/v1/keys/s:max").chunked(max).send().expect(204);
        assertThat(http.get("/v1/keys/s:max").send().bytes()).hasSize(MAX_VALUE_BYTES);
    }

    @Test
    void keysArePercentDecodedUtf8WithSlashAndSemicolon() {
        // Regression guard: Spring's @PathVariable would drop ";c d" (matrix parameters) and Tomcat
        // rejects %2F by default.
        String key = "s:a/b;c d?é%+";
        http.put("/v1/keys/" + seg(key)).body("v").send().expect(204);
        assertThat(http.get("/v1/keys/" + seg(key)).send().expect(200).text()).isEqualTo("v");
        http.get("/v1/keys/" + seg("s:a/b")).send().expectProblem(404, "key-not-found");

        JsonNode page = scanAll("s:a/b*");
        assertThat(page.path("keys").get(0).asString()).isEqualTo(key);
    }

    @Test
    void ttlForms() {
        String[] ttls = {"10s", "90000ms", "1m", "1h", "1d", "PT1M", "30"};
        long[] millis = {10_000, 90_000, 60_000, 3_600_000, 86_400_000, 60_000, 30_000};
        for (int i = 0; i < ttls.length; i++) {
            String path = "/v1/keys/t:" + i;
            http.put(path + "?ttl=" + ttls[i]).body("v").send().expect(204);
            JsonNode ttl = http.get(path + "/ttl").send().expect(200).json();
            assertThat(ttl.path("ttlMs").asLong()).as(ttls[i]).isBetween(Math.max(1, millis[i] - 5_000), millis[i]);
            assertThat(ttl.path("expireAtMs").isNumber()).isTrue();
        }

        long at = System.currentTimeMillis() + 3_600_000;
        http.put("/v1/keys/t:at?expireAt=" + at).body("v").send().expect(204);
        assertThat(http.get("/v1/keys/t:at/ttl").send().json().path("expireAtMs").asLong()).isEqualTo(at);

        // keepTtl keeps it; a plain SET clears it (as Redis).
        http.put("/v1/keys/t:at?keepTtl=true").body("v2").send().expect(204);
        assertThat(http.get("/v1/keys/t:at/ttl").send().json().path("expireAtMs").asLong()).isEqualTo(at);
        http.put("/v1/keys/t:at").body("v3").send().expect(204);
        JsonNode none = http.get("/v1/keys/t:at/ttl").send().expect(200).json();
        assertThat(none.path("ttlMs").asLong()).isEqualTo(-1);
        assertThat(none.path("expireAtMs").isNull()).isTrue();
    }

    @Test
    void ttlRoutes() {
        http.get("/v1/keys/ttl:missing/ttl").send().expectProblem(404, "key-not-found");
        http.put("/v1/keys/ttl:missing/ttl?ttl=10s").send().expectProblem(404, "key-not-found");
        http.delete("/v1/keys/ttl:missing/ttl").send().expectProblem(404, "key-not-found");

        http.put("/v1/keys/ttl:1").body("v").send().expect(204);
        http.put("/v1/keys/ttl:1/ttl?ttl=10s").send().expect(204);
        assertThat(http.get("/v1/keys/ttl:1/ttl").send().json().path("ttlMs").asLong()).isBetween(1L, 10_000L);

        long at = System.currentTimeMillis() + 600_000;
        http.put("/v1/keys/ttl:1/ttl?expireAt=" + at).send().expect(204);
        assertThat(http.get("/v1/keys/ttl:1/ttl").send().json().path("expireAtMs").asLong()).isEqualTo(at);

        http.delete("/v1/keys/ttl:1/ttl").send().expect(204);
        assertThat(http.get("/v1/keys/ttl:1/ttl").send().json().path("ttlMs").asLong()).isEqualTo(-1);
        // PERSIST on a key without a TTL is still a 204: the key exists and has no TTL.
        http.delete("/v1/keys/ttl:1/ttl").send().expect(204);

        // A past expireAt deletes the key, as Redis's PEXPIREAT.
        http.put("/v1/keys/ttl:1/ttl?expireAt=1").send().expect(204);
        http.get("/v1/keys/ttl:1").send().expectProblem(404, "key-not-found");
    }

    @Test
    void conditionsAndGet() {
        http.put("/v1/keys/c:1").header("If-None-Match", "*").body("first").send().expect(204);
        http.put("/v1/keys/c:1").header("If-Match", "*").body("second").send().expect(204);
        assertThat(http.get("/v1/keys/c:1").send().text()).isEqualTo("second");

        HttpTestClient.Reply previous = http.put("/v1/keys/c:1?get=true").body("third").send().expect(200);
        assertThat(previous.text()).isEqualTo("second");
        assertThat(previous.contentType()).isEqualTo("application/octet-stream");
        http.put("/v1/keys/c:new?get=true").body("x").send().expect(204);
        assertThat(http.get("/v1/keys/c:new").send().text()).isEqualTo("x");

        HttpTestClient.Reply removed = http.delete("/v1/keys/c:1?get=true").send().expect(200);
        assertThat(removed.text()).isEqualTo("third");
        http.delete("/v1/keys/c:1?get=true").send().expectProblem(404, "key-not-found");
    }

    @Test
    void incrAndAppend() {
        assertThat(http.post("/v1/keys/n:1/incr").send().expect(200).json().path("value").asLong()).isEqualTo(1);
        assertThat(http.post("/v1/keys/n:1/incr?by=10").send().json().path("value").asLong()).isEqualTo(11);
        assertThat(http.post("/v1/keys/n:1/incr?by=-20").send().json().path("value").asLong()).isEqualTo(-9);
        assertThat(http.get("/v1/keys/n:1").send().text()).isEqualTo("-9");

        assertThat(http.post("/v1/keys/a:1/append").body("foo").send().expect(200).json().path("length").asLong())
                .isEqualTo(3);
        assertThat(http.post("/v1/keys/a:1/append").header("Content-Type", "application/x-www-form-urlencoded")
                .body("bar").send().json().path("length").asLong()).isEqualTo(6);
        assertThat(http.get("/v1/keys/a:1").send().text()).isEqualTo("foobar");
    }

    @Test
    void scanPagesThroughEveryKey() {
        Set<String> written = new HashSet<>();
        for (int i = 0; i < 40; i++) {
            http.put("/v1/keys/scan:" + i).body("v").send().expect(204);
            written.add("scan:" + i);
        }
        Set<String> seen = new HashSet<>();
        String cursor = "0";
        int pages = 0;
        do {
            JsonNode page = http.get("/v1/keys?match=scan:*&count=1&cursor=" + cursor).send().expect(200).json();
            page.path("keys").forEach(k -> assertThat(seen.add(k.asString())).as("returned once: %s", k).isTrue());
            cursor = page.path("cursor").asString();
            pages++;
        } while (!cursor.equals("0") && pages < 10_000);
        assertThat(seen).isEqualTo(written);
        assertThat(pages).isGreaterThan(1);
    }

    @Test
    void mgetMsetDel() {
        http.post("/v1/mset").json("{\"entries\":{\"m:1\":\"one\",\"m:2\":\"two\",\"m:é\":\"é\"}}").send().expect(204);
        http.put("/v1/hashes/m:h").json("{\"f\":\"v\"}").send().expect(200);

        JsonNode values = http.post("/v1/mget").json("{\"keys\":[\"m:1\",\"m:missing\",\"m:2\",\"m:h\",\"m:é\"]}")
                .send().expect(200).json().path("values");
        List<String> got = new ArrayList<>();
        values.forEach(v -> got.add(v.isNull() ? null : v.asString()));
        assertThat(got).containsExactly("one", null, "two", null, "é");

        assertThat(http.post("/v1/del").json("{\"keys\":[\"m:1\",\"m:missing\",\"m:h\"]}").send().expect(200)
                .json().path("deleted").asLong()).isEqualTo(2);
        http.get("/v1/keys/m:1").send().expect(404);
    }

    @Test
    void keyspaceStatsAndFlushAll() {
        http.delete("/v1/keyspace").send().expect(204);
        http.put("/v1/keys/ks:1").body("v").send().expect(204);
        http.put("/v1/keys/ks:2?ttl=1h").body("v").send().expect(204);
        JsonNode stats = http.get("/v1/keyspace").send().expect(200).json();
        assertThat(stats.path("keys").asLong()).isEqualTo(2);
        assertThat(stats.path("expires").asLong()).isEqualTo(1);
        assertThat(stats.path("memoryBytes").asLong()).isPositive();

        http.delete("/v1/keyspace").send().expect(204);
        assertThat(http.get("/v1/keyspace").send().json().path("keys").asLong()).isZero();
    }

    @Test
    void hashes() {
        http.get("/v1/hashes/h:1").send().expectProblem(404, "key-not-found");
        assertThat(http.put("/v1/hashes/h:1").json("{\"b\":\"2\",\"a\":\"1\"}").send().expect(200)
                .json().path("added").asLong()).isEqualTo(2);
        assertThat(http.put("/v1/hashes/h:1").json("{\"a\":\"one\",\"c\":\"3\"}").send().json().path("added").asLong())
                .isEqualTo(1);
        assertThat(http.get("/v1/hashes/h:1").send().expect(200).text()).isEqualTo("{\"a\":\"one\",\"b\":\"2\",\"c\":\"3\"}");

        HttpTestClient.Reply field = http.get("/v1/hashes/h:1/fields/a").send().expect(200);
        assertThat(field.text()).isEqualTo("one");
        assertThat(field.contentType()).isEqualTo("application/octet-stream");
        http.get("/v1/hashes/h:1/fields/zz").send().expectProblem(404, "field-not-found");

        http.put("/v1/hashes/h:1/fields/" + seg("d/é")).body(new byte[] {0, (byte) 0xff}).send().expect(204);
        assertThat(http.get("/v1/hashes/h:1/fields/" + seg("d/é")).send().bytes()).containsExactly(0, 0xff);

        assertThat(http.post("/v1/hashes/h:1/fields/n/incr?by=5").send().expect(200).json().path("value").asLong())
                .isEqualTo(5);
        assertThat(http.post("/v1/hashes/h:1/fields/n/incr").send().json().path("value").asLong()).isEqualTo(6);

        http.delete("/v1/hashes/h:1/fields/a").send().expect(204);
        http.delete("/v1/hashes/h:1/fields/a").send().expectProblem(404, "field-not-found");

        http.delete("/v1/hashes/h:1").send().expect(204);
        http.get("/v1/hashes/h:1").send().expectProblem(404, "key-not-found");
        http.delete("/v1/hashes/h:1").send().expectProblem(404, "key-not-found");
    }

    @Test
    void openApiDocumentListsTheRoutes() {
        JsonNode doc = http.get("/v3/api-docs").send().expect(200).json();
        JsonNode paths = doc.path("paths");
        for (String path : List.of("/v1/keys/{key}", "/v1/keys/{key}/ttl", "/v1/keys/{key}/incr", "/v1/keys",
                "/v1/mget", "/v1/mset", "/v1/del", "/v1/keyspace", "/v1/hashes/{key}",
                "/v1/hashes/{key}/fields/{field}", "/v1/hashes/{key}/fields/{field}/incr")) {
            assertThat(paths.has(path)).as("documents %s", path).isTrue();
        }
        JsonNode put = paths.path("/v1/keys/{key}").path("put");
        assertThat(put.path("summary").asString()).startsWith("SET");
        assertThat(put.path("operationId").asString()).isEqualTo("set");
        List<String> params = new ArrayList<>();
        put.path("parameters").forEach(p -> params.add(p.path("in").asString() + ":" + p.path("name").asString()));
        assertThat(params).contains("path:key", "query:ttl", "header:If-None-Match");
        assertThat(put.path("requestBody").path("content").has("application/octet-stream")).isTrue();
        // The empty-name catch routes are an implementation detail, not API.
        assertThat(paths.has("/v1/keys/")).isFalse();
        // Keys are documented as path strings, not as the internal Bytes type.
        assertThat(doc.path("components").path("schemas").has("Bytes")).isFalse();
        // Errors are documented as problems.
        assertThat(paths.path("/v1/keys/{key}").path("get").path("responses").path("404").path("content")
                .has("application/problem+json")).isTrue();
    }

    /** Every key matching, over all SCAN pages, as {"keys":[...]}. */
    private JsonNode scanAll(String match) {
        List<String> keys = new ArrayList<>();
        String cursor = "0";
        do {
            JsonNode page = http.get("/v1/keys?count=1000&match=" + seg(match) + "&cursor=" + cursor).send().expect(200).json();
            page.path("keys").forEach(k -> keys.add(k.asString()));
            cursor = page.path("cursor").asString();
        } while (!cursor.equals("0"));
        return JsonMapper.builder().build().valueToTree(Map.of("keys", keys));
    }
}
