package dev.replcache.ops;

import dev.replcache.e2e.TestNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.replcache.keyspace.Bytes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import tools.jackson.databind.JsonNode;

/**
 * Nodes started with {@code logging.structured.format.console=ecs} write one JSON object per
 * line, and the replication events in them carry their key=value fields.
 */
@ExtendWith(OutputCaptureExtension.class)
class StructuredLoggingTest {

    @TempDir
    Path tmp;

    private final List<TestNode> nodes = new ArrayList<>();

    @AfterEach
    void stop() {
        for (int i = nodes.size() - 1; i >= 0; i--) {
            nodes.get(i).close();
        }
    }

    private TestNode start(String name, String... props) {
        List<String> all = new ArrayList<>(List.of(props));
        all.add("logging.structured.format.console=ecs");
        TestNode n = TestNode.start(name, tmp.resolve(name), all.toArray(String[]::new));
        nodes.add(n);
        return n;
    }

    /** An ECS field, flat ({@code "log.level"}) or nested ({@code "log": {"level"}}). */
    private static String field(JsonNode line, String dotted) {
        if (line.has(dotted)) {
            return line.path(dotted).asString();
        }
        JsonNode n = line;
        for (String part : dotted.split("\\.")) {
            n = n.path(part);
        }
        return n.asString("");
    }

    private static List<JsonNode> jsonLines(String output) {
        List<JsonNode> out = new ArrayList<>();
        for (String line : output.split("\\R")) {
            if (line.startsWith("{")) {
                out.add(HealthGroupsTest.JSON.readTree(line));
            }
        }
        return out;
    }

    @Test
    void replicationEventsAreJsonLinesWithTheirFields(CapturedOutput output) {
        TestNode master = start("master");
        for (int i = 0; i < 10; i++) {
            master.node().writableKeyspace().set(Bytes.utf8("k" + i), Bytes.utf8("v"));
        }
        TestNode replica = start("replica", "replcache.replication.master=" + master.grpcAddress());
        await().atMost(Duration.ofSeconds(30)).until(() -> output.getOut().contains("Replication link up: master="));

        // Every line our loggers wrote is a JSON object.
        for (String line : output.getOut().split("\\R")) {
            if (line.contains("dev.replcache.")) {
                assertThat(line).as("a log line of ours").startsWith("{").endsWith("}");
            }
        }
        List<JsonNode> lines = jsonLines(output.getOut());
        JsonNode started = lines.stream().filter(l -> field(l, "message").startsWith("Node started as master")).findFirst()
                .orElseThrow(() -> new AssertionError("no JSON 'Node started' line in\n" + output.getOut()));
        assertThat(field(started, "log.level")).isEqualTo("INFO");
        assertThat(field(started, "log.logger")).isEqualTo("dev.replcache.node.CacheNode");
        assertThat(field(started, "@timestamp")).isNotEmpty();
        assertThat(field(started, "service.name")).isEqualTo("replcache");

        JsonNode done = lines.stream().filter(l -> field(l, "message").startsWith("Full sync done:")).findFirst()
                .orElseThrow(() -> new AssertionError("no JSON 'Full sync done' line in\n" + output.getOut()));
        assertThat(field(done, "log.logger")).isEqualTo("dev.replcache.node.LinkDriver");
        assertThat(field(done, "message")).contains("master=" + master.grpcAddress()).containsPattern("bytes=\\d+ ms=\\d+");
        JsonNode sent = lines.stream().filter(l -> field(l, "message").startsWith("Full resync sent:")).findFirst()
                .orElseThrow(() -> new AssertionError("no JSON 'Full resync sent' line in\n" + output.getOut()));
        assertThat(field(sent, "message")).contains("replica=" + replica.node().nodeId())
                .contains("address=127.0.0.1:" + replica.grpcPort()).containsPattern("bytes=\\d+ ms=\\d+");
        assertThat(lines.stream().map(l -> field(l, "message")))
                .anySatisfy(m -> assertThat(m).startsWith("Full resync started: replica=" + replica.node().nodeId())
                        .contains("reason=no_history"));
    }
}
