package dev.replcache.transport.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * A node with a tiny max-memory and noeviction (writes past it get 507), plus a route that
 * fails with an unexpected exception (a 500 problem that tells nothing of it, and a log line).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "replcache.grpc.port=0",
        "replcache.resp.port=0", // never Redis's 6379 in tests
        "replcache.max-memory=4KB",
        "replcache.eviction-policy=noeviction",
})
@Import(HttpMemoryAndFailureTest.FailingController.class)
@ExtendWith(OutputCaptureExtension.class)
class HttpMemoryAndFailureTest {

    /** Stands in for a bug anywhere under a route. */
    @RestController
    static class FailingController {
        @GetMapping("/test/boom")
        String boom() {
            throw new IllegalStateException("secret internals at dev.replcache.Somewhere");
        }
    }

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

    @Test
    void writesPastMaxMemoryGet507AndReadsAndDeletesStillWork() {
        http.delete("/v1/keyspace").send().expect(204);
        byte[] kilobyte = new byte[1024];
        int written = 0;
        HttpTestClient.Reply last = null;
        // noeviction refuses a write once the estimate is over 4KB: within a few 1KB values.
        for (int i = 0; i < 20; i++) {
            last = http.put("/v1/keys/oom:" + i).body(kilobyte).send();
            if (last.status() != 204) {
                break;
            }
            written++;
        }
        assertThat(written).isBetween(1, 19);
        last.expectProblem(507, "oom");
        assertThat(last.json().path("detail").asString()).startsWith("OOM command not allowed");
        http.post("/v1/keys/oom:n/incr").send().expectProblem(507, "oom");
        http.put("/v1/hashes/oom:h").json("{\"f\":\"v\"}").send().expectProblem(507, "oom");

        // Reads and deletes are not "denyoom" commands: they still work, and free memory.
        http.get("/v1/keys/oom:0").send().expect(200);
        http.delete("/v1/keyspace").send().expect(204);
        http.put("/v1/keys/oom:after").body("ok").send().expect(204);
        assertThat(http.get("/v1/keys/oom:after").send().expect(200).text()).isEqualTo("ok");
    }

    @Test
    void unexpectedExceptionIs500ProblemWithoutInternalsAndIsLogged(CapturedOutput output) {
        HttpTestClient.Reply reply = http.get("/test/boom").send().expectProblem(500, "internal");
        assertThat(reply.text()).doesNotContain("secret", "IllegalStateException", "dev.replcache");
        assertThat(output.getAll()).contains("Unexpected error on GET /test/boom", "secret internals");
        http.put("/v1/keys/after-boom").body("ok").send().expect(204);
    }
}
