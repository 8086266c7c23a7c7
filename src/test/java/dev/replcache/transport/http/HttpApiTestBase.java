package dev.replcache.transport.http;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * One node on a random port with small limits, shared (one Spring context) by the HTTP test
 * classes that extend this. Tests use their own key prefixes, so they do not see each other.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "replcache.grpc.port=0",
        "replcache.resp.port=0", // never Redis's 6379 in tests
        "replcache.limits.max-key-bytes=1KB",
        "replcache.limits.max-value-bytes=64KB",
        "replcache.limits.max-batch-keys=100",
        "replcache.http.max-json-body=16KB",
})
abstract class HttpApiTestBase {

    static final int MAX_KEY_BYTES = 1024;
    static final int MAX_VALUE_BYTES = 64 * 1024;
    static final int MAX_JSON_BODY_BYTES = 16 * 1024;

    @LocalServerPort
    int port;

    HttpTestClient http;

    @DynamicPropertySource
    static void dataDir(DynamicPropertyRegistry registry) {
        registry.add("replcache.data-dir", () -> {
            try {
                return Files.createTempDirectory("replcache-http-test").toString();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    @BeforeEach
    void client() {
        http = new HttpTestClient(port);
    }

    /** A key or field as a path segment: percent-encoded UTF-8, with spaces as %20, not '+'. */
    static String seg(String name) {
        return URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
