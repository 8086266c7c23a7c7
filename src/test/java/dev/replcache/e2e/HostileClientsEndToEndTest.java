package dev.replcache.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 ("Hostile peers and clients"): requests a client or a peer can send over the real
 * ports of one node with the default limits, each with the answer it must get.
 */
class HostileClientsEndToEndTest {

    /** replcache.limits.max-key-bytes's default. */
    private static final int MAX_KEY_BYTES = 64 * 1024;

    @TempDir
    static Path tmp;

    static TestNode node;

    @BeforeAll
    static void start() {
        node = TestNode.start("hostile", tmp.resolve("node"));
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    /**
     * Row 11: Jackson's default bound on a JSON object name (50,000 characters) refused MSET and
     * HSET keys of 50,001-65,536 bytes with "does not have the type", though they are within
     * max-key-bytes.
     */
    @Test
    void msetAndHsetTakeKeysAndFieldsUpToMaxKeyBytes() {
        for (int length : new int[] {50_001, 60_000, MAX_KEY_BYTES}) {
            String key = "m".repeat(length - 1) + (char) ('a' + length % 26);
            HttpResponse<String> mset = node.json("POST", "/v1/mset", "{\"entries\":{\"" + key + "\":\"v" + length + "\"}}");
            assertThat(mset.statusCode()).as("MSET with a %d-byte key: %s", length, mset.body()).isEqualTo(204);
            HttpResponse<String> mget = node.json("POST", "/v1/mget", "{\"keys\":[\"" + key + "\"]}");
            assertThat(mget.body()).as("MGET of the %d-byte key", length).contains("\"v" + length + "\"");

            String field = "f".repeat(length);
            HttpResponse<String> hset = node.json("PUT", "/v1/hashes/long-fields", "{\"" + field + "\":\"w" + length + "\"}");
            assertThat(hset.statusCode()).as("HSET with a %d-byte field: %s", length, hset.body()).isEqualTo(200);
        }
        HttpResponse<String> all = node.get("/v1/hashes/long-fields");
        assertThat(all.body()).contains("\"w50001\"", "\"w60000\"", "\"w" + MAX_KEY_BYTES + "\"");
    }

    /** One byte over max-key-bytes is still the limit's own 413, not a JSON shape error. */
    @Test
    void aKeyOneByteOverTheLimitIsRefusedNamingTheLimit() {
        String key = "o".repeat(MAX_KEY_BYTES + 1);
        HttpResponse<String> mset = node.json("POST", "/v1/mset", "{\"entries\":{\"" + key + "\":\"v\"}}");
        assertThat(mset.statusCode()).isEqualTo(413);
        assertThat(mset.body()).contains("replcache.limits.max-key-bytes");
        HttpResponse<String> hset = node.json("PUT", "/v1/hashes/over", "{\"" + key + "\":\"v\"}");
        assertThat(hset.statusCode()).isEqualTo(413);
        assertThat(hset.body()).contains("replcache.limits.max-key-bytes");
    }
}
