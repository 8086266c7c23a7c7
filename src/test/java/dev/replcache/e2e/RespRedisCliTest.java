package dev.replcache.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.replcache.keyspace.Bytes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real redis-cli (Debian's redis-tools 7.0) against a master and its replica: commands as
 * arguments and as lines on stdin, mass insertion with {@code --pipe}, INFO replication and ROLE.
 */
class RespRedisCliTest {

    @TempDir
    static Path tmp;

    private static TestNode master;
    private static TestNode replica;

    @BeforeAll
    static void start() {
        master = TestNode.start("master", tmp.resolve("master"), "replcache.resp.port=" + TestNode.freePort());
        replica = TestNode.start("replica", tmp.resolve("replica"), "replcache.resp.port=" + TestNode.freePort(),
                "replcache.replication.master=" + master.grpcAddress());
        await().atMost(Duration.ofSeconds(30)).until(() -> replica.node().replicationView().master().ready());
    }

    @AfterAll
    static void stop() {
        replica.close();
        master.close();
    }

    @Test
    void commandsAsArgumentsGetRedisCliOutput() throws Exception {
        assertThat(cli(master, null, "PING")).isEqualTo("PONG\n");
        assertThat(cli(master, null, "SET", "cli:k", "hello world")).isEqualTo("OK\n");
        assertThat(cli(master, null, "GET", "cli:k")).isEqualTo("hello world\n");
        assertThat(cli(master, null, "GET", "cli:none")).isEqualTo("\n"); // redis-cli prints nil as an empty line when not a tty
        assertThat(cli(master, null, "INCRBY", "cli:n", "5")).isEqualTo("5\n");
        assertThat(cli(master, null, "HSET", "cli:h", "a", "1", "b", "2")).isEqualTo("2\n");
        assertThat(cli(master, null, "HGET", "cli:h", "b")).isEqualTo("2\n");
        assertThat(cli(master, null, "NOSUCH", "x")).startsWith("ERR unknown command 'NOSUCH', with args beginning with: 'x'");
        assertThat(cli(replica, null, "SET", "cli:k", "x")).startsWith("READONLY You can't write against a read only replica.");
        // -3: redis-cli's HELLO 3, then a RESP3 map reply.
        assertThat(cli(master, null, "-3", "HGETALL", "cli:h")).contains("a", "1", "b", "2");
    }

    @Test
    void linesOnStdinRunOneAfterTheOther() throws Exception {
        String out = cli(master, "SET cli:s1 v1\nGET cli:s1\nDEL cli:s1\nEXISTS cli:s1\nECHO \"two words\"\n");
        assertThat(out).isEqualTo("OK\nv1\n1\n0\ntwo words\n");
    }

    @Test
    void anInteractiveSessionWithPromptsAndHelpFromCommandDocs() throws Exception {
        // redis-cli only prompts on a terminal: script(1) (bsdutils, essential in Debian) gives it one;
        // TERM=dumb keeps linenoise from asking the terminal for its cursor position.
        Path input = Files.createTempFile(tmp, "session", ".txt");
        Files.writeString(input, "set cli:i 1\nincr cli:i\nhelp get\nlpush l v\nquit\n", StandardCharsets.UTF_8);
        ProcessBuilder pb = new ProcessBuilder("script", "-qc", "redis-cli -h 127.0.0.1 -p " + master.respPort(), "/dev/null")
                .redirectInput(input.toFile()).redirectErrorStream(true);
        pb.environment().put("TERM", "dumb");
        Process p = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String session = out.toString(StandardCharsets.UTF_8).replace("\r", "");
        String prompt = "127.0.0.1:" + master.respPort() + "> ";
        assertThat(session).contains(prompt + "OK\n", prompt + "(integer) 2\n",
                "summary:", "Returns the string value of a key.", "group:", "string",
                prompt + "(error) ERR unknown command 'lpush', with args beginning with: 'l' 'v' ");
    }

    @Test
    void massInsertionWithPipe() throws Exception {
        StringBuilder proto = new StringBuilder();
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            String key = "pipe:" + i;
            String value = "value-" + i;
            proto.append("*3\r\n$3\r\nSET\r\n$").append(key.length()).append("\r\n").append(key).append("\r\n$")
                    .append(value.length()).append("\r\n").append(value).append("\r\n");
        }
        String out = cli(master, proto.toString(), "--pipe");
        assertThat(out).contains("errors: 0, replies: " + n);
        assertThat(master.node().keyspace().get(Bytes.utf8("pipe:19999"))).isEqualTo(Bytes.utf8("value-19999"));
        assertThat(cli(master, null, "EXISTS", "pipe:0", "pipe:" + (n - 1))).isEqualTo("2\n");
    }

    @Test
    void infoReplicationAndRoleOnTheMasterAndTheReplica() throws Exception {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(cli(master, null, "INFO", "replication"))
                        .contains("slave0:ip=127.0.0.1,port=" + replica.respPort() + ",state=online"));
        cli(master, null, "SET", "cli:role", "v");
        Cluster.awaitInSync(master, replica);
        String offset = Long.toString(master.node().offset());
        String onMaster = cli(master, null, "INFO", "replication");
        assertThat(onMaster).startsWith("# Replication\r\nrole:master\r\nconnected_slaves:1\r\n")
                .contains("master_replid:" + master.node().replicationLog().replId().value() + "\r\n")
                .contains("master_repl_offset:" + offset + "\r\n");
        String onReplica = cli(replica, null, "INFO", "replication");
        assertThat(onReplica).startsWith("# Replication\r\nrole:slave\r\n")
                .contains("master_host:127.0.0.1\r\n", "master_port:" + master.grpcPort() + "\r\n",
                        "master_link_status:up\r\n", "slave_repl_offset:" + offset + "\r\n", "slave_read_only:1\r\n");

        // The master lists the replica at the offset it acked (its next ack, at most ack-interval later).
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(cli(master, null, "ROLE"))
                .isEqualTo("master\n" + offset + "\n127.0.0.1\n" + replica.respPort() + "\n" + offset + "\n"));
        assertThat(cli(replica, null, "ROLE")).isEqualTo("slave\n127.0.0.1\n" + master.grpcPort() + "\nconnected\n"
                + offset + "\n");
    }

    /** Runs redis-cli with {@code args} (stdin: {@code input}, or nothing) and returns its stdout. */
    static String cli(TestNode node, String input, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(node.respPort())));
        command.addAll(List.of(args));
        Path stdin = Files.createTempFile(tmp, "stdin", ".txt");
        Files.writeString(stdin, input == null ? "" : input, StandardCharsets.UTF_8);
        Process p = new ProcessBuilder(command).redirectInput(stdin.toFile()).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("redis-cli finished").isTrue();
        return out.toString(StandardCharsets.UTF_8);
    }
}
