package dev.replcache.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.replcache.keyspace.Bytes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What Tomcat sees before Spring does: escapes it cannot decode, NUL, long request lines, and
 * keys that are not UTF-8. Sent as raw bytes on a socket (no client library cleans them up),
 * to a node with the default limits: every answer is problem+json or the key itself.
 */
class HttpEdgeInputEndToEndTest {

    @TempDir
    static Path tmp;

    private static TestNode node;

    @BeforeAll
    static void start() {
        node = TestNode.start("node", tmp.resolve("node"));
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    private record Raw(int status, String head, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        Raw problem(int expected, String... details) {
            assertThat(status).as(head + "\n" + text()).isEqualTo(expected);
            assertThat(head.toLowerCase()).contains("content-type: application/problem+json");
            assertThat(text()).contains("\"status\":" + expected);
            for (String d : details) {
                assertThat(text()).contains(d);
            }
            return this;
        }
    }

    /** One request on its own connection ({@code Connection: close}), the answer read to the end. */
    private static Raw send(String method, String target, String headers, byte[] body) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), node.httpPort())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            String head = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" + headers
                    + (body == null ? "" : "Content-Length: " + body.length + "\r\n") + "\r\n";
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) {
                out.write(body);
            }
            out.flush();
            InputStream in = s.getInputStream();
            byte[] all = in.readAllBytes();
            String text = new String(all, StandardCharsets.ISO_8859_1);
            int end = text.indexOf("\r\n\r\n");
            String responseHead = end < 0 ? text : text.substring(0, end);
            byte[] responseBody = end < 0 ? new byte[0] : java.util.Arrays.copyOfRange(all, end + 4, all.length);
            if (responseHead.toLowerCase().contains("transfer-encoding: chunked")) {
                responseBody = dechunk(responseBody);
            }
            int status = Integer.parseInt(responseHead.substring(9, 12));
            return new Raw(status, responseHead, responseBody);
        }
    }

    private static byte[] dechunk(byte[] chunked) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < chunked.length) {
            int lineEnd = i;
            while (lineEnd + 1 < chunked.length && !(chunked[lineEnd] == '\r' && chunked[lineEnd + 1] == '\n')) {
                lineEnd++;
            }
            int size = Integer.parseInt(new String(chunked, i, lineEnd - i, StandardCharsets.US_ASCII).trim(), 16);
            if (size == 0) {
                break;
            }
            out.write(chunked, lineEnd + 2, size);
            i = lineEnd + 2 + size + 2;
        }
        return out.toByteArray();
    }

    private static String base64url(byte[] key) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(key);
    }

    @Test
    void escapesTomcatCannotDecodeAreProblemsNotHtml() throws IOException {
        send("GET", "/v1/keys/%G1", "", null).problem(400);
        send("GET", "/v1/keys/%", "", null).problem(400);
        send("GET", "/v1/keys/a%2Fb", "", null).problem(404, "key-not-found"); // a / inside a key
        send("GET", "/v1/keys/a b", "", null).problem(400);
        send("GET", "/v1/keys/%FF%FE", "", null).problem(400, "Key-Encoding: base64url");
        send("GET", "/v1/keys/a%00b", "", null).problem(400, "Key-Encoding: base64url");
        // The node still serves.
        assertThat(send("PUT", "/v1/keys/edge:ok", "", "v".getBytes()).status()).isEqualTo(204);
    }

    @Test
    void theErrorPathIsNotAnInternalServerError() throws IOException {
        send("GET", "/error", "", null).problem(404);
        send("POST", "/error", "", new byte[0]).problem(404);
    }

    @Test
    void anyKeyBytesWorkInTheBase64urlFormAndMatchTheKeyOverGrpc() throws IOException {
        byte[] key = {(byte) 0xFF, (byte) 0xFE, 0, '/', '%', ' ', 'k'};
        String header = "Key-Encoding: base64url\r\n";
        Raw put = send("PUT", "/v1/keys/" + base64url(key), header, "binary".getBytes());
        assertThat(put.status()).as(put.head() + put.text()).isEqualTo(204);
        assertThat(node.node().keyspace().get(Bytes.of(key))).isEqualTo(Bytes.utf8("binary"));
        Raw got = send("GET", "/v1/keys/" + base64url(key), header, null);
        assertThat(got.status()).isEqualTo(200);
        assertThat(got.text()).isEqualTo("binary");

        // A key written by another API (the gRPC one takes any bytes) is read and deleted over HTTP.
        byte[] other = {(byte) 0xC3, 0x28}; // not UTF-8
        node.node().writableKeyspace().set(Bytes.of(other), Bytes.utf8("from-grpc"));
        assertThat(send("GET", "/v1/keys/" + base64url(other), header, null).text()).isEqualTo("from-grpc");
        assertThat(send("DELETE", "/v1/keys/" + base64url(other), header, null).status()).isEqualTo(204);
        assertThat(node.node().keyspace().get(Bytes.of(other))).isNull();

        // Hash keys and fields too.
        byte[] hash = {(byte) 0x80, 'h'};
        assertThat(send("PUT", "/v1/hashes/" + base64url(hash) + "/fields/" + base64url(other), header,
                "f".getBytes()).status()).isEqualTo(204);
        assertThat(send("GET", "/v1/hashes/" + base64url(hash) + "/fields/" + base64url(other), header, null).text())
                .isEqualTo("f");

        send("GET", "/v1/keys/not*base64", header, null).problem(400, "base64url");
        send("GET", "/v1/keys/abc", "Key-Encoding: rot13\r\n", null).problem(400, "Key-Encoding");
    }

    @Test
    void keysUpToTheKeyLimitFitInTheRequestLine() throws IOException {
        // max-key-bytes is 64 KB by default: a 60 KB key, as text and in the base64url form.
        String longKey = "L".repeat(60 * 1024);
        assertThat(send("PUT", "/v1/keys/" + longKey, "", "long".getBytes()).status()).isEqualTo(204);
        assertThat(send("GET", "/v1/keys/" + longKey, "", null).text()).isEqualTo("long");
        byte[] binary = new byte[60 * 1024];
        new java.util.Random(7).nextBytes(binary);
        String header = "Key-Encoding: base64url\r\n";
        assertThat(send("PUT", "/v1/keys/" + base64url(binary), header, "bin".getBytes()).status()).isEqualTo(204);
        assertThat(send("GET", "/v1/keys/" + base64url(binary), header, null).text()).isEqualTo("bin");
        // Past the request line limit: a problem, not Tomcat's page.
        send("GET", "/v1/keys/" + "x".repeat(200 * 1024), "", null).problem(400, "server.max-http-request-header-size");
    }
}
