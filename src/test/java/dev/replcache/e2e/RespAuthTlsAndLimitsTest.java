package dev.replcache.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.replcache.tls.TestPki;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AUTH and HELLO AUTH with the HTTP API's bearer token, TLS from the gRPC PEM settings (the real
 * redis-cli with {@code --tls}), Redis's {@code timeout} and {@code maxclients}.
 */
class RespAuthTlsAndLimitsTest {

    @TempDir
    Path tmp;

    @Test
    void overTlsTheTokenIsThePasswordAndNothingElseIsServedBeforeIt() throws Exception {
        TestPki pki = TestPki.create(tmp.resolve("pki"), "test");
        TestPki.Issued cert = pki.server("node");
        try (Cluster cluster = new Cluster(tmp)) {
            TestNode node = cluster.start("tls", "replcache.resp.port=" + TestNode.freePort(), "replcache.resp.tls=true",
                    "replcache.http.auth-token=s3cret", "replcache.grpc.tls.enabled=true",
                    "replcache.grpc.tls.cert-chain=" + cert.certChain(), "replcache.grpc.tls.private-key=" + cert.privateKey());
            String ca = pki.caCert().toString();
            assertThat(cli(node, "--tls", "--cacert", ca, "PING")).startsWith("NOAUTH Authentication required.");
            assertThat(cli(node, "--tls", "--cacert", ca, "--user", "default", "--pass", "wrong", "--no-auth-warning", "PING"))
                    .contains("WRONGPASS invalid username-password pair or user is disabled.");
            assertThat(cli(node, "--tls", "--cacert", ca, "-a", "s3cret", "--no-auth-warning", "SET", "k", "v")).isEqualTo("OK\n");
            assertThat(cli(node, "--tls", "--cacert", ca, "-a", "s3cret", "--no-auth-warning", "GET", "k")).isEqualTo("v\n");
            // HELLO 3 AUTH: redis-cli -3 authenticates with HELLO 3 AUTH default <password>.
            assertThat(cli(node, "--tls", "--cacert", ca, "-3", "--user", "default", "--pass", "s3cret", "--no-auth-warning",
                    "GET", "k")).isEqualTo("v\n");
            // Before AUTH, a large request is refused as Redis refuses it.
            assertThat(cli(node, "--tls", "--cacert", ca, "MSET", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5", "f", "6"))
                    .contains("Protocol error: unauthenticated multibulk length");
            // Plaintext on the TLS port gets no RESP reply.
            assertThat(exchange(node, "PING\r\n")).doesNotContain("PONG");
        }
    }

    @Test
    void maxclientsAndTheIdleTimeout() throws Exception {
        try (Cluster cluster = new Cluster(tmp)) {
            TestNode node = cluster.start("limits", "replcache.resp.port=" + TestNode.freePort(),
                    "replcache.resp.maxclients=2", "replcache.resp.timeout=2s");
            try (Socket a = new Socket("127.0.0.1", node.respPort()); Socket b = new Socket("127.0.0.1", node.respPort())) {
                assertThat(roundTrip(a, "PING\r\n")).isEqualTo("+PONG\r\n");
                assertThat(roundTrip(b, "PING\r\n")).isEqualTo("+PONG\r\n");
                assertThat(exchange(node, "PING\r\n")).isEqualTo("-ERR max number of clients reached\r\n");
                // Idle for two seconds: closed without a reply (read returns end of stream), as Redis's timeout does.
                long started = System.nanoTime();
                a.setSoTimeout(10_000);
                assertThat(a.getInputStream().read()).isEqualTo(-1);
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isLessThan(9_000);
            }
        }
    }

    private static String roundTrip(Socket s, String request) throws IOException {
        s.setSoTimeout(10_000);
        s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        byte[] buf = new byte[256];
        int n = s.getInputStream().read(buf);
        return new String(buf, 0, n, StandardCharsets.US_ASCII);
    }

    /** Sends on a new connection, half-closes, reads until the server closes. */
    private static String exchange(TestNode node, String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", node.respPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[1024];
            try {
                for (int n; (n = in.read(buf)) >= 0; ) {
                    out.write(buf, 0, n);
                }
            } catch (java.net.SocketException reset) {
                // closed with our bytes unread
            }
            return out.toString(StandardCharsets.ISO_8859_1);
        }
    }

    private static String cli(TestNode node, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(node.respPort())));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(
                new java.io.File("/dev/null"))).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return out.toString(StandardCharsets.UTF_8);
    }
}
