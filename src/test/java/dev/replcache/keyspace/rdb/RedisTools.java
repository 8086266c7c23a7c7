package dev.replcache.keyspace.rdb;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The real Redis 7.0 binaries the interoperability tests run: {@code redis-server} (Debian
 * package redis-server) and {@code redis-check-rdb} (package redis-tools).
 *
 * <p>Found on {@code PATH}, then in {@code /usr/bin} and {@code /usr/local/bin}. A missing
 * binary fails the test with the package to install: these tests are the proof that our files
 * are real RDB files, so they must not be skipped quietly. Public for the node's dump-file tests.
 */
public final class RedisTools {

    private static final long START_TIMEOUT_MS = 15_000;

    private RedisTools() {
    }

    public static Path binary(String name, String debianPackage) {
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.addAll(List.of(path.split(File.pathSeparator)));
        }
        dirs.add("/usr/bin");
        dirs.add("/usr/local/bin");
        for (String dir : dirs) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return fail(name + " was not found on PATH, in /usr/bin or in /usr/local/bin. These tests need real Redis 7.0 "
                + "binaries: install the Debian package " + debianPackage
                + " (apt-get install -y redis-server redis-tools; .ci/run does this on CI).");
    }

    /** The result of running redis-check-rdb on a file. */
    public record CheckResult(int exitCode, String output) {
    }

    public static CheckResult checkRdb(Path file) throws IOException, InterruptedException {
        Path tool = binary("redis-check-rdb", "redis-tools");
        Process p = new ProcessBuilder(tool.toString(), file.toString()).redirectErrorStream(true).start();
        try {
            byte[] output = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                fail("redis-check-rdb did not finish in 60 s");
            }
            return new CheckResult(p.exitValue(), new String(output, StandardCharsets.UTF_8));
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * A redis-server on 127.0.0.1 and a free port, persisting nothing ({@code --save ""},
     * {@code --appendonly no}), loading {@code dir/dump.rdb} at start when it exists. Close it
     * to stop it (by its pid).
     */
    static final class Server implements AutoCloseable {

        private final Process process;
        private final int port;
        private final Path log;

        private Server(Process process, int port, Path log) {
            this.process = process;
            this.port = port;
            this.log = log;
        }

        static Server start(Path dir) throws IOException, InterruptedException {
            Path exe = binary("redis-server", "redis-server");
            // A port picked this way may be taken by someone else before redis binds it: retry.
            for (int attempt = 1; ; attempt++) {
                int port = freePort();
                Path log = dir.resolve("redis-" + port + ".log");
                Process p = new ProcessBuilder(exe.toString(),
                        "--port", Integer.toString(port), "--bind", "127.0.0.1", "--dir", dir.toString(),
                        "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no", "--daemonize", "no",
                        "--protected-mode", "no")
                        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
                Server server = new Server(p, port, log);
                try {
                    if (server.awaitReady()) {
                        return server;
                    }
                } catch (RuntimeException | Error e) {
                    server.close();
                    throw e;
                }
                server.close();
                String text = Files.readString(log);
                if (!text.contains("Address already in use") || attempt == 3) {
                    return fail("redis-server did not start; its log:\n" + text);
                }
            }
        }

        /** True once PING answers PONG (after loading); false when the process ended first. */
        private boolean awaitReady() throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    return false;
                }
                try (RespClient client = new RespClient(port)) {
                    if ("PONG".equals(client.call("PING"))) {
                        return true;
                    }
                } catch (IOException notYet) {
                    // Not listening yet, or -LOADING: try again.
                }
                Thread.sleep(20);
            }
            throw new AssertionError("redis-server on port " + port + " not ready after " + START_TIMEOUT_MS + " ms");
        }

        int port() {
            return port;
        }

        RespClient client() throws IOException {
            return new RespClient(port);
        }

        String log() throws IOException {
            return Files.readString(log);
        }

        /** Stops the server by its pid: SIGTERM, then SIGKILL if it lingers. */
        @Override
        public void close() throws InterruptedException {
            ProcessHandle handle = ProcessHandle.of(process.pid()).orElse(null);
            if (handle == null) {
                return;
            }
            handle.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                handle.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }

        private static int freePort() throws IOException {
            try (ServerSocket s = new ServerSocket(0)) {
                return s.getLocalPort();
            }
        }
    }
}
