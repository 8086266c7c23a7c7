package dev.replcache.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.replcache.testing.Gen;
import dev.replcache.testing.PropertyCheck;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * Bad input on the RESP port: Redis's protocol errors for each kind of malformed frame, with
 * the connection closed where Redis closes it; random, truncated, nested and binary frames
 * (seeded, {@code -Dreplcache.seed=N} replays one) get only well-formed replies, never an internal
 * error; connections do not leak, and another client is served all along.
 */
class RespFuzzTest {

    @TempDir
    static Path tmp;

    private static TestNode node;
    private static final int MAX_VALUE = 4 * 1024 * 1024;

    @BeforeAll
    static void start() {
        node = TestNode.start("fuzz", tmp.resolve("fuzz"), "replcache.resp.port=" + TestNode.freePort(),
                "replcache.limits.max-value-bytes=4MB", "replcache.limits.max-key-bytes=1KB",
                "replcache.resp.client-query-buffer-limit=1MB", "replcache.resp.max-multibulk-len=1000",
                "replcache.resp.proto-max-bulk-len=" + MAX_VALUE,
                // A generated WAIT with a replica count and a timeout of up to 100 s blocks legitimately
                // (as in Redis) for that long; bound it below the exchange's 10 s for an answer.
                "replcache.replication.max-wait-timeout=2s");
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void eachMalformedFrameGetsRedisProtocolErrorAndTheConnectionCloses() throws IOException {
        assertProtocolError("*1\r\n$99999999999\r\n", "invalid bulk length");
        assertProtocolError("*1\r\n$" + (MAX_VALUE + 1) + "\r\n", "invalid bulk length");
        assertProtocolError("*1\r\n$-2\r\n", "invalid bulk length");
        assertProtocolError("*1\r\n$x\r\n", "invalid bulk length");
        assertProtocolError("*1001\r\n", "invalid multibulk length");
        assertProtocolError("*abc\r\n", "invalid multibulk length");
        assertProtocolError("*99999999999999999999\r\n", "invalid multibulk length");
        assertProtocolError("*1\r\nx\r\n", "expected '$', got 'x'");
        assertProtocolError("*1\r\n*1\r\n$4\r\nPING\r\n", "expected '$', got '*'");
        assertProtocolError("*1\r\n\u0001\r\n", "expected '$', got '\\x01'");
        assertProtocolError("SET \"unbalanced\r\n", "unbalanced quotes in request");
        assertProtocolError("SET 'a'b\r\n", "unbalanced quotes in request");
        assertProtocolError("A".repeat(70 * 1024), "too big inline request");
        assertProtocolError("*" + "1".repeat(70 * 1024), "too big mbulk count string");
        assertProtocolError("*1\r\n$" + "1".repeat(70 * 1024), "too big bulk count string");
        // Replies before the error still arrive, in order.
        assertThat(exchange("PING\r\n*1\r\n$4\r\nPING\r\n*1\r\n$-5\r\n"))
                .isEqualTo("+PONG\r\n+PONG\r\n-ERR Protocol error: invalid bulk length\r\n");
    }

    @Test
    void inlineCommandsForTelnetUsers() throws IOException {
        String out = exchange("SET \"fz:a b\" \"x\\x41\\ty\"\r\nGET 'fz:a b'\r\n\r\n   \r\nDEL \"fz:a b\"\r\nQUIT\r\n");
        assertThat(out).isEqualTo("+OK\r\n$4\r\nxA\ty\r\n:1\r\n+OK\r\n");
    }

    @Test
    void emptyAndNegativeMultibulkCountsAreIgnoredAsRedisDoes() throws IOException {
        assertThat(exchange("*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\nQUIT\r\n")).isEqualTo("+PONG\r\n+OK\r\n");
    }

    @Test
    void anUnfinishedRequestOverTheQueryBufferLimitIsClosedWithoutAReply() throws IOException {
        // A 3 MB value is allowed (max-value-bytes and proto-max-bulk-len 4MB) but an unfinished request
        // may hold at most 1 MB (client-query-buffer-limit).
        StringBuilder frame = new StringBuilder("*3\r\n$3\r\nSET\r\n$5\r\nfz:qb\r\n$3000000\r\n");
        frame.append("x".repeat(1_500_000));
        assertThat(exchange(frame.toString())).isEmpty();
        try (Jedis j = new Jedis("127.0.0.1", node.respPort())) {
            assertThat(j.exists("fz:qb")).isFalse();
        }
    }

    @Test
    void commandsThatAreNotThereAreAnErrorNotADroppedConnection() throws IOException {
        String out = exchange("*2\r\n$5\r\nMULTI\r\n$1\r\nx\r\n*1\r\n$4\r\nEXEC\r\n*3\r\n$5\r\nLPUSH\r\n$1\r\nl\r\n$1\r\nv\r\n"
                + "*2\r\n$9\r\nSUBSCRIBE\r\n$1\r\nc\r\n*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nQUIT\r\n");
        assertThat(out).isEqualTo("-ERR unknown command 'MULTI', with args beginning with: 'x' \r\n"
                + "-ERR unknown command 'EXEC', with args beginning with: \r\n"
                + "-ERR unknown command 'LPUSH', with args beginning with: 'l' 'v' \r\n"
                + "-ERR unknown command 'SUBSCRIBE', with args beginning with: 'c' \r\n"
                + "+PONG\r\n+OK\r\n");
    }

    @Test
    void randomFramesNeverCrashLeakOrStopTheServer() throws IOException {
        try (Jedis bystander = new Jedis("127.0.0.1", node.respPort())) {
            bystander.set("fz:bystander", "still here");
            PropertyCheck.forAll("random RESP frames", 300, RespFuzzTest::frame, bytes -> {
                byte[] reply;
                try {
                    reply = exchange(bytes);
                } catch (IOException e) {
                    throw new AssertionError("I/O error talking to the server: " + e, e);
                }
                List<String> replies = parseReplies(reply);
                for (String r : replies) {
                    assertThat(r).as("reply").doesNotContain("internal error");
                    if (r.startsWith("-ERR Protocol error")) {
                        assertThat(replies.get(replies.size() - 1)).as("a protocol error is the last reply").isEqualTo(r);
                    }
                }
                assertThat(bystander.get("fz:bystander")).isEqualTo("still here");
            });
            assertThat(bystander.ping()).isEqualTo("PONG");
            // Every fuzz connection is gone: only the bystander and the one asking remain.
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                try (Jedis j = new Jedis("127.0.0.1", node.respPort())) {
                    assertThat(j.info("clients")).contains("connected_clients:2\r\n");
                }
            });
        }
    }

    // ------------------------------------------------------------------ frames

    private static byte[] frame(Gen g) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int parts = g.intBetween(1, 6);
        for (int i = 0; i < parts; i++) {
            byte[] part = switch (g.weighted(4, 2, 2, 2, 1, 1, 1, 1)) {
                case 0 -> command(g);
                case 1 -> truncate(g, command(g));
                case 2 -> g.bytes(0, 300);
                case 3 -> inline(g);
                case 4 -> ("*" + g.pick("1", "2", "3") + "\r\n$" + g.anyLong() + "\r\n").getBytes(StandardCharsets.US_ASCII);
                case 5 -> ("*" + g.anyLong() + "\r\n").getBytes(StandardCharsets.US_ASCII);
                case 6 -> nested(g);
                default -> ("*" + g.intBetween(1, 4) + "\r\n" + g.pick("+OK\r\n", ":1\r\n", "-ERR\r\n", "_\r\n", "%1\r\n"))
                        .getBytes(StandardCharsets.US_ASCII);
            };
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static final String[] COMMANDS = {"SET", "GET", "DEL", "INCR", "HSET", "HGETALL", "EXPIRE", "GETRANGE",
            "SETRANGE", "APPEND", "PING", "ECHO", "MSET", "MGET", "SCAN", "INCRBYFLOAT", "RENAME", "HELLO", "CLIENT",
            "CONFIG", "COMMAND", "INFO", "TYPE", "GETEX", "SELECT", "WAIT", "OBJECT", "LPUSH"}; // no FLUSHALL: the bystander's key must stay

    private static byte[] command(Gen g) {
        List<byte[]> args = new ArrayList<>();
        args.add(g.pick(COMMANDS).getBytes(StandardCharsets.US_ASCII));
        int n = g.intBetween(0, 5);
        for (int i = 0; i < n; i++) {
            args.add(switch (g.weighted(3, 2, 2, 1)) {
                case 0 -> ("fz:" + g.intBetween(0, 20)).getBytes(StandardCharsets.US_ASCII);
                case 1 -> Long.toString(g.longBetween(-5, 100_000)).getBytes(StandardCharsets.US_ASCII);
                case 2 -> g.pick("EX", "PX", "NX", "XX", "GET", "KEEPTTL", "3", "MATCH", "COUNT", "PERSIST", "-1",
                        "1.5", "inf", "GETNAME", "GET", "*").getBytes(StandardCharsets.US_ASCII);
                default -> g.bytes(0, 50);
            });
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("*" + args.size() + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (byte[] a : args) {
            out.writeBytes(("$" + a.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(a);
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        return out.toByteArray();
    }

    private static byte[] truncate(Gen g, byte[] frame) {
        return java.util.Arrays.copyOf(frame, g.intBetween(0, frame.length));
    }

    private static byte[] inline(Gen g) {
        String line = g.pick(COMMANDS) + " " + g.stringOf("ab \"'\\x0:", 30) + g.pick("\r\n", "\n", "");
        return line.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] nested(Gen g) {
        int depth = g.intBetween(1, 50);
        return ("*1\r\n".repeat(depth) + "$4\r\nPING\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    // ------------------------------------------------------------------ wire

    private static void assertProtocolError(String frame, String message) throws IOException {
        assertThat(exchange(frame)).as("reply to %s", frame.length() > 60 ? frame.substring(0, 60) + "..." : frame)
                .isEqualTo("-ERR Protocol error: " + message + "\r\n");
    }

    /** Sends {@code frame}, half-closes, and reads until the server closes. */
    private static String exchange(String frame) throws IOException {
        return new String(exchange(frame.getBytes(StandardCharsets.ISO_8859_1)), StandardCharsets.ISO_8859_1);
    }

    private static byte[] exchange(byte[] frame) throws IOException {
        try (Socket s = new Socket("127.0.0.1", node.respPort())) {
            s.setSoTimeout(10_000);
            try {
                s.getOutputStream().write(frame);
                s.shutdownOutput();
            } catch (IOException closedEarly) {
                // The server may close after a protocol error while we still write: read what it said.
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = in.read(buf)) >= 0; ) {
                    out.write(buf, 0, n);
                }
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the server neither answered nor closed within 10 s; got so far: "
                        + out.toString(StandardCharsets.ISO_8859_1), e);
            } catch (java.net.SocketException reset) {
                // A reset after the server closed with our bytes unread: what arrived before counts.
            }
            return out.toByteArray();
        }
    }

    /** Splits a reply stream into top-level RESP2/RESP3 replies; fails on anything malformed. */
    static List<String> parseReplies(byte[] data) {
        List<String> replies = new ArrayList<>();
        int[] pos = {0};
        while (pos[0] < data.length) {
            int start = pos[0];
            parseOne(data, pos);
            replies.add(new String(data, start, pos[0] - start, StandardCharsets.ISO_8859_1));
        }
        return replies;
    }

    private static void parseOne(byte[] d, int[] pos) {
        byte type = d[pos[0]];
        String line = readLine(d, pos);
        switch (type) {
            case '+', '-', ':', '_', ',', '#', '(' -> {
            }
            case '$', '=' -> {
                int len = Integer.parseInt(line.substring(1));
                if (len >= 0) {
                    assertThat(pos[0] + len + 2).as("bulk fits").isLessThanOrEqualTo(d.length);
                    pos[0] += len;
                    assertThat(d[pos[0]]).isEqualTo((byte) '\r');
                    assertThat(d[pos[0] + 1]).isEqualTo((byte) '\n');
                    pos[0] += 2;
                }
            }
            case '*', '~', '>' -> {
                int n = Integer.parseInt(line.substring(1));
                for (int i = 0; i < n; i++) {
                    parseOne(d, pos);
                }
            }
            case '%' -> {
                int n = Integer.parseInt(line.substring(1));
                for (int i = 0; i < 2 * n; i++) {
                    parseOne(d, pos);
                }
            }
            default -> throw new AssertionError("not a RESP reply: " + line);
        }
    }

    private static String readLine(byte[] d, int[] pos) {
        for (int i = pos[0]; i + 1 < d.length; i++) {
            if (d[i] == '\r' && d[i + 1] == '\n') {
                String line = new String(d, pos[0], i - pos[0], StandardCharsets.ISO_8859_1);
                pos[0] = i + 2;
                return line;
            }
        }
        throw new AssertionError("an unterminated reply line at " + pos[0]);
    }
}
