package dev.replcache.transport.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Real HTTP/1.1 against a running node: the bytes a curl user would send and get. */
final class HttpTestClient {

    static final String PROBLEM_JSON = "application/problem+json";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final String base;

    HttpTestClient(int port) {
        this.base = "http://127.0.0.1:" + port;
    }

    /** A request to build and send; {@code path} is sent as given (already percent-encoded). */
    Call call(String method, String path) {
        return new Call(method, path);
    }

    Call get(String path) {
        return call("GET", path);
    }

    Call put(String path) {
        return call("PUT", path);
    }

    Call post(String path) {
        return call("POST", path);
    }

    Call delete(String path) {
        return call("DELETE", path);
    }

    final class Call {
        private final String method;
        private final String path;
        private final HttpRequest.Builder builder;
        private HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.noBody();

        private Call(String method, String path) {
            this.method = method;
            this.path = path;
            this.builder = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
        }

        Call header(String name, String value) {
            builder.header(name, value);
            return this;
        }

        /** A body with a Content-Length. */
        Call body(byte[] bytes) {
            body = HttpRequest.BodyPublishers.ofByteArray(bytes);
            return this;
        }

        Call body(String text) {
            return body(text.getBytes(StandardCharsets.UTF_8));
        }

        /** A body sent chunked, without a Content-Length. */
        Call chunked(byte[] bytes) {
            body = HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes));
            return this;
        }

        Call json(String json) {
            header("Content-Type", "application/json");
            return body(json);
        }

        Reply send() {
            HttpRequest request = builder.method(method, body).build();
            try {
                return new Reply(method + " " + path, client.send(request, HttpResponse.BodyHandlers.ofByteArray()));
            } catch (IOException e) {
                throw new UncheckedIOException(method + " " + path, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** A response with helpers for the assertions the tests make over and over. */
    record Reply(String request, HttpResponse<byte[]> response) {

        int status() {
            return response.statusCode();
        }

        byte[] bytes() {
            return response.body();
        }

        String text() {
            return new String(response.body(), StandardCharsets.UTF_8);
        }

        String contentType() {
            return response.headers().firstValue("Content-Type").orElse("");
        }

        JsonNode json() {
            return JSON.readTree(response.body());
        }

        Reply expect(int status) {
            assertThat(status()).as("%s -> %s", request, text()).isEqualTo(status);
            return this;
        }

        /** Asserts an RFC 7807 problem of the given status and type slug. */
        Reply expectProblem(int status, String typeSlug) {
            expect(status);
            assertThat(contentType()).as("%s content type", request).startsWith(PROBLEM_JSON);
            JsonNode problem = json();
            assertThat(problem.path("type").asString()).as("%s type", request)
                    .isEqualTo(ProblemType.BASE + typeSlug);
            assertThat(problem.path("status").asInt()).isEqualTo(status);
            assertThat(problem.path("detail").asString()).as("%s detail", request).isNotBlank();
            return this;
        }
    }
}
