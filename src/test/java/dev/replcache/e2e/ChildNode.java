package dev.replcache.e2e;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A node in its own JVM, started from the test classpath: for what an in-process node cannot do,
 * such as being killed with SIGKILL. Its HTTP and gRPC ports are fixed before it starts; its
 * output goes to {@code <dataDir>.log}.
 */
final class ChildNode implements AutoCloseable {

    private final String name;
    private final int httpPort;
    private final int grpcPort;
    private final List<String> command;
    private final Path logFile;
    private Process process;

    private ChildNode(String name, int httpPort, int grpcPort, List<String> command, Path logFile) {
        this.name = name;
        this.httpPort = httpPort;
        this.grpcPort = grpcPort;
        this.command = command;
        this.logFile = logFile;
    }

    /** Starts the node (it is not yet serving: see {@link #awaitUp}). */
    static ChildNode start(String name, Path dataDir, int grpcPort, String... extra) {
        int httpPort = TestNode.freePort();
        String[] all = java.util.Arrays.copyOf(extra, extra.length + 2);
        all[extra.length] = "replcache.grpc.port=" + grpcPort;
        all[extra.length + 1] = "server.port=" + httpPort;
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"),
                "dev.replcache.ReplCacheApplication"));
        for (String p : TestNode.settings(dataDir, all)) {
            command.add("--" + p);
        }
        ChildNode n = new ChildNode(name, httpPort, grpcPort, command, Path.of(dataDir + ".log"));
        n.launch();
        return n;
    }

    private void launch() {
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Waits until its HTTP API answers, or fails naming its log. */
    ChildNode awaitUp(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("node " + name + " exited with " + process.exitValue() + "; its log:\n" + log());
            }
            try {
                if (get("/v1/replication").statusCode() == 200) {
                    return this;
                }
            } catch (RuntimeException notYet) {
                // not listening yet
            }
            sleep(100);
        }
        throw new AssertionError("node " + name + " did not start within " + timeout + "; its log:\n" + log());
    }

    /** SIGKILL: no shutdown hook, no final save, no handover. */
    void kill() {
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts it again with the same settings and data directory. */
    void restart() {
        kill();
        launch();
    }

    String grpcAddress() {
        return "127.0.0.1:" + grpcPort;
    }

    String log() {
        try {
            String s = Files.readString(logFile);
            return s.length() > 20_000 ? s.substring(s.length() - 20_000) : s;
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    HttpResponse<String> get(String path) {
        return http("GET", path, null, Map.of());
    }

    HttpResponse<String> http(String method, String path, String body, Map<String, String> headers) {
        return TestNode.request(httpPort, method, path, body, null, headers);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            kill();
        }
    }
}
