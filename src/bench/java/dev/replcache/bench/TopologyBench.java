package dev.replcache.bench;

import static dev.replcache.bench.ReplicationBench.HOST;
import static dev.replcache.bench.ReplicationBench.fmt;
import static dev.replcache.bench.ReplicationBench.log;
import static dev.replcache.bench.ReplicationBench.ms;
import static dev.replcache.bench.ReplicationBench.need;
import static dev.replcache.bench.ReplicationBench.node;
import static dev.replcache.bench.ReplicationBench.usage;

import com.google.protobuf.ByteString;
import dev.replcache.api.cache.v1.CacheServiceGrpc;
import dev.replcache.api.cache.v1.ExistsRequest;
import dev.replcache.api.cache.v1.SetRequest;
import dev.replcache.api.cache.v1.WaitRequest;
import dev.replcache.api.cache.v1.WaitResponse;
import dev.replcache.bench.ReplicationBench.Counters;
import dev.replcache.bench.ReplicationBench.Node;
import dev.replcache.bench.ReplicationBench.RcNode;
import dev.replcache.bench.ReplicationBench.RedisNode;
import dev.replcache.bench.ReplicationBench.Resp;
import dev.replcache.bench.ReplicationBench.SyncWatch;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The topology measurements of {@code bench/topology.sh}, for ReplCache and redis-server alike
 * (nodes named as in {@link ReplicationBench}: {@code rc:HTTP:GRPC} or {@code redis:PORT:DIR}),
 * called through {@link ReplicationBench}'s main; each prints one line of {@code key=value} fields.
 *
 * <pre>
 * restart  MASTER REPLICA replicaDir writes clients valueSize keyspace logFile pidFile -- command...
 *          Starts the replica process itself ({@code command}: a ReplCache JVM with
 *          replcache.replication.master set, or redis-server with --replicaof; output appended to
 *          logFile, pid in pidFile), waits for its first (full) sync, then three restarts, each
 *          timed from the stop to the restarted replica's link up with offsets equal, with the
 *          master's replication bytes for it:
 *            partial  clean stop (SIGTERM / SHUTDOWN SAVE: the dump file is written), `writes` SETs
 *                     on the master (inside its backlog), start on the same directory
 *            nodump   the same, but the dump file is deleted before the start
 *            gap      clean stop, SETs in batches until the master's backlog no longer holds the
 *                     replica's offset, start with the dump file
 * failover NODE_A NODE_B lanes ratePerSec failovers timeoutMs valueSize
 *          A (master) and B (its replica): `lanes` writers (ReplCache: gRPC Set; Redis: RESP SET),
 *          paced to ratePerSec in all, each SET a new key, retried until acknowledged, following
 *          READONLY to the new master; meanwhile `failovers` FAILOVERs, back and forth (ReplCache:
 *          HTTP POST /v1/replication/failover; Redis: FAILOVER TO host port TIMEOUT ms, then INFO
 *          until it is over). Then every acknowledged key is looked for on the final master and
 *          its replica.
 * wait     MASTER REPLICA ops valueSize keyspace maxSeconds
 *          One client, sequential: SET; SET then WAIT 1; and (ReplCache) SET with metadata
 *          wait-replicas: 1 / (Redis) SET and WAIT 1 0 pipelined: latency percentiles of each,
 *          run in 5 interleaved rounds of ops/5 each after a warm-up; each round of each form
 *          stops early when it used its share of maxSeconds (its _ops field then says how many ran).
 * </pre>
 */
final class TopologyBench {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TopologyBench() {
    }

    static void main(String[] args, Map<String, Object> out) throws Exception {
        switch (args[0]) {
            case "restart" -> {
                int dash = Arrays.asList(args).indexOf("--");
                if (dash != 10 || dash == args.length - 1) {
                    usage();
                }
                restart(node(args[1]), node(args[2]), Path.of(args[3]), Long.parseLong(args[4]), Integer.parseInt(args[5]),
                        Integer.parseInt(args[6]), Integer.parseInt(args[7]), Path.of(args[8]), Path.of(args[9]),
                        List.of(args).subList(dash + 1, args.length), out);
            }
            case "failover" -> {
                need(args, 8);
                failover(node(args[1]), node(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]),
                        Integer.parseInt(args[5]), Long.parseLong(args[6]), Integer.parseInt(args[7]), out);
            }
            case "wait" -> {
                need(args, 7);
                waitLatency(node(args[1]), node(args[2]), Long.parseLong(args[3]), Integer.parseInt(args[4]),
                        Integer.parseInt(args[5]), Long.parseLong(args[6]), out);
            }
            default -> usage();
        }
    }

    // ---------------------------------------------------------------------------------------
    // Replica restarts

    /** The replica process: started and stopped by this driver, its pid in a file for the script's cleanup. */
    static final class Child {
        final List<String> command;
        final Path log;
        final Path pidFile;
        Process process;
        long startNanos;
        long startWallMs;

        Child(List<String> command, Path log, Path pidFile) {
            this.command = command;
            this.log = log;
            this.pidFile = pidFile;
            Runtime.getRuntime().addShutdownHook(new Thread(this::kill));
        }

        void start() throws IOException {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            startWallMs = System.currentTimeMillis();
            startNanos = System.nanoTime();
            process = pb.start();
            Files.writeString(pidFile, Long.toString(process.pid()));
        }

        void awaitExit() throws Exception {
            if (!process.waitFor(3, TimeUnit.MINUTES)) {
                kill();
                throw new IllegalStateException("the replica (pid " + process.pid() + ") did not stop in 3 minutes");
            }
            Files.deleteIfExists(pidFile);
        }

        void kill() {
            if (process != null && process.isAlive()) {
                process.destroyForcibly();
            }
        }
    }

    /** A replica's link state and offset as it reports them, or null while it cannot answer. */
    record ReplicaState(String link, long offset) {
    }

    static ReplicaState replicaState(Node replica) {
        try {
            if (replica instanceof RcNode rc) {
                // HTTP, not gRPC: a gRPC channel to a port that is not open yet backs off for up to
                // seconds; each HTTP attempt connects anew.
                JsonNode v = rc.view();
                JsonNode m = v.path("master");
                return new ReplicaState(m.isObject() ? m.path("linkStatus").asText() : null, v.path("offset").asLong());
            }
            RedisNode r = (RedisNode) replica;
            try (RedisNode fresh = new RedisNode(r.port, r.dir)) { // the old connection died with the process
                ReplicationBench.Info i = fresh.info();
                return new ReplicaState(i.link(), i.offset());
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** When the restarted replica first answered, first said its link is up, and first had the master's offset. */
    record Restarted(long servingNanos, long upNanos, long caughtUpNanos) {
    }

    static Restarted awaitCaughtUp(Node master, Node replica, Child child) throws Exception {
        long serving = -1;
        long up = -1;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (true) {
            if (child != null && !child.process.isAlive()) {
                throw new IllegalStateException("the replica exited (" + child.process.exitValue() + "); see " + child.log);
            }
            ReplicaState s = replicaState(replica);
            long now = System.nanoTime();
            if (s != null) {
                if (serving < 0) {
                    serving = now;
                }
                if ("up".equals(s.link())) {
                    if (up < 0) {
                        up = now;
                    }
                    if (s.offset() == master.info().offset()) {
                        return new Restarted(serving, up, now);
                    }
                }
            }
            if (now > deadline) {
                throw new IllegalStateException(replica.name() + " did not catch up in 10 minutes: " + s);
            }
            TimeUnit.MILLISECONDS.sleep(5);
        }
    }

    private static final Pattern REDIS_LOG = Pattern.compile(
            "^\\d+:[A-Z] (\\d{1,2} \\w{3} \\d{4} \\d{2}:\\d{2}:\\d{2}\\.\\d{3}) [.*#-] (.*)$");
    private static final DateTimeFormatter REDIS_TIME = DateTimeFormatter.ofPattern("d MMM yyyy HH:mm:ss.SSS", Locale.ENGLISH);

    /**
     * When the replica's own log says its link came up (sync done) after {@code sinceWallMs}, and
     * how: {wallMs, "partial"|"full"}; null when no such line. This is earlier than a client can see
     * it when the link comes up before the node serves its API (a ReplCache node connects to its
     * master before Spring has started its HTTP server).
     */
    static Object[] linkUpFromLog(Path logFile, long sinceWallMs) throws IOException {
        if (!Files.exists(logFile)) {
            return null;
        }
        for (String line : Files.readAllLines(logFile, StandardCharsets.UTF_8)) {
            long wall;
            String kind;
            if (line.contains("Replication link up:")) { // ReplCache: ISO UTC timestamp first
                try {
                    wall = Instant.parse(line.substring(0, line.indexOf(' '))).toEpochMilli();
                } catch (RuntimeException e) {
                    continue;
                }
                kind = line.contains("sync=partial") ? "partial" : "full";
            } else {
                Matcher m = REDIS_LOG.matcher(line);
                if (!m.matches()) {
                    continue;
                }
                String msg = m.group(2);
                if (msg.startsWith("Successful partial resynchronization")) {
                    kind = "partial";
                } else if (msg.startsWith("MASTER <-> REPLICA sync: Finished with success")) {
                    kind = "full";
                } else {
                    continue;
                }
                wall = LocalDateTime.parse(m.group(1), REDIS_TIME).atZone(ZoneId.systemDefault()).toInstant().toEpochMilli();
            }
            if (wall >= sinceWallMs) {
                return new Object[] {wall, kind};
            }
        }
        return null;
    }

    static void stopCleanly(Node replica, Child child) throws Exception {
        if (replica instanceof RedisNode r) {
            try (Resp c = new Resp(r.port)) {
                Object reply = c.call("SHUTDOWN", "SAVE"); // the server closes the connection when it succeeds
                throw new IOException("SHUTDOWN SAVE -> " + reply);
            } catch (IOException e) {
                if (!String.valueOf(e.getMessage()).contains("connection closed")) {
                    throw e;
                }
            }
        } else {
            child.process.destroy(); // SIGTERM: the clean shutdown, with the dump file written
        }
        child.awaitExit();
    }

    /** {first offset the backlog holds, first offset a replica at `offset` needs} in the master's numbering. */
    static long[] backlogCoverage(Node master, long replicaOffset) throws IOException {
        if (master instanceof RcNode rc) {
            return new long[] {rc.view().path("backlog").path("firstOffset").asLong(), replicaOffset};
        }
        Map<String, String> m = ((RedisNode) master).infoSection("replication");
        // Redis: a replica at master_repl_offset X asks PSYNC for X + 1.
        return new long[] {Long.parseLong(m.get("repl_backlog_first_byte_offset")), replicaOffset + 1};
    }

    static void restart(Node master, Node replica, Path replicaDir, long writes, int clients, int valueSize, int keyspace,
                        Path logFile, Path pidFile, List<String> command, Map<String, Object> out) throws Exception {
        Child child = new Child(command, logFile, pidFile);
        // 0. the replica's first start, on an empty directory: a full sync
        Counters c0 = master.counters();
        child.start();
        Restarted first = awaitCaughtUp(master, replica, child);
        Counters c1 = master.counters();
        out.put("initial_start_to_caught_up_ms", fmt(ms(first.caughtUpNanos() - child.startNanos)));
        out.put("initial_repl_bytes", c1.replBytesOut() - c0.replBytesOut());
        log("%s: first start, full sync done in %.0f ms", replica.name(), ms(first.caughtUpNanos() - child.startNanos));
        for (String kase : List.of("partial", "nodump", "gap")) {
            TimeUnit.SECONDS.sleep(1); // let the replica's acks and the master settle
            ReplicaState before = replicaState(replica);
            if (before == null || !"up".equals(before.link()) || before.offset() != master.info().offset()) {
                before = null;
                awaitCaughtUp(master, replica, child);
                before = replicaState(replica);
            }
            Counters cBefore = master.counters();
            long stopAt = System.nanoTime();
            stopCleanly(replica, child);
            long exitedAt = System.nanoTime();
            Path dump = replicaDir.resolve("dump.rdb");
            long dumpBytes = Files.exists(dump) ? Files.size(dump) : -1;
            if (kase.equals("nodump")) {
                try (var files = Files.list(replicaDir)) {
                    for (Path f : files.filter(f -> f.getFileName().toString().startsWith("dump.rdb")).toList()) {
                        Files.delete(f);
                    }
                }
            }
            long written = 0;
            long writesStart = System.nanoTime();
            if (kase.equals("gap")) {
                long batch = Math.max(writes, 20_000);
                for (int i = 0; i < 100; i++) {
                    long[] cov = backlogCoverage(master, before.offset());
                    if (cov[0] > cov[1]) {
                        break;
                    }
                    master.setLoad(clients, batch, valueSize, keyspace, false);
                    written += batch;
                }
                long[] cov = backlogCoverage(master, before.offset());
                if (cov[0] <= cov[1]) {
                    throw new IllegalStateException("the backlog still covers the replica's offset after " + written + " writes");
                }
            } else {
                master.setLoad(clients, writes, valueSize, keyspace, false);
                written = writes;
            }
            long writesEnd = System.nanoTime();
            child.start();
            Restarted r = awaitCaughtUp(master, replica, child);
            Counters cAfter = master.counters();
            Object[] fromLog = linkUpFromLog(logFile, child.startWallMs);
            String p = kase + "_";
            out.put(p + "writes", written);
            out.put(p + "writes_s", fmt((writesEnd - writesStart) / 1e9));
            out.put(p + "dump_bytes", dumpBytes);
            out.put(p + "stop_ms", fmt(ms(exitedAt - stopAt)));
            out.put(p + "start_to_serving_ms", fmt(ms(r.servingNanos() - child.startNanos)));
            out.put(p + "start_to_link_up_log_ms", fromLog == null ? "n/a" : Long.toString((long) fromLog[0] - child.startWallMs));
            out.put(p + "link_up_log_sync", fromLog == null ? "n/a" : fromLog[1]);
            out.put(p + "start_to_link_up_ms", fmt(ms(r.upNanos() - child.startNanos)));
            out.put(p + "start_to_caught_up_ms", fmt(ms(r.caughtUpNanos() - child.startNanos)));
            // The restart itself: the clean stop plus start to caught up, without the time the
            // benchmark spent writing while the replica was down.
            out.put(p + "restart_ms", fmt(ms((exitedAt - stopAt) + (r.caughtUpNanos() - child.startNanos))));
            out.put(p + "stop_to_caught_up_ms", fmt(ms(r.caughtUpNanos() - stopAt)));
            out.put(p + "repl_bytes", cAfter.replBytesOut() - cBefore.replBytesOut());
            out.put(p + "snapshot_bytes", master.newSnapshotBytes(cBefore, cAfter));
            out.put(p + "sync_full_delta", cAfter.syncFull() - cBefore.syncFull());
            out.put(p + "sync_partial_ok_delta", cAfter.syncPartialOk() - cBefore.syncPartialOk());
            out.put(p + "partial", cAfter.syncPartialOk() > cBefore.syncPartialOk() && cAfter.syncFull() == cBefore.syncFull()
                    ? "yes" : "no");
            log("%s %s: stop %.0f ms, %d writes, start to caught up %.0f ms, %d repl bytes, partial_ok +%d full +%d",
                    replica.name(), kase, ms(exitedAt - stopAt), written, ms(r.caughtUpNanos() - child.startNanos),
                    cAfter.replBytesOut() - cBefore.replBytesOut(), cAfter.syncPartialOk() - cBefore.syncPartialOk(),
                    cAfter.syncFull() - cBefore.syncFull());
        }
        stopCleanly(replica, child);
    }

    // ---------------------------------------------------------------------------------------
    // Failover under load

    /** One lane's acknowledged writes: when, and on which node (0 = A, 1 = B). */
    static final class Acks {
        long[] nanos = new long[1 << 14];
        byte[] node = new byte[1 << 14];
        int n;

        void add(long t, int nodeIndex) {
            if (n == nanos.length) {
                nanos = Arrays.copyOf(nanos, n * 2);
                node = Arrays.copyOf(node, n * 2);
            }
            nanos[n] = t;
            node[n] = (byte) nodeIndex;
            n++;
        }
    }

    /** What the writers saw, over all lanes. */
    static final class WriterStats {
        final AtomicLong paused = new AtomicLong(); // ReplCache UNAVAILABLE "PAUSED", retried
        final AtomicLong readOnly = new AtomicLong(); // READONLY, followed to the master it names
        final AtomicLong other = new AtomicLong(); // anything else, retried
    }

    private static final Pattern MASTER_AT = Pattern.compile("master at ([^\\s:]+):(\\d+)");

    /** What a write attempt says to do next. */
    enum Outcome { ACKED, RETRY_NOW, RETRY_LATER }

    /**
     * A retried write backs off 1, 2, 4, then 8 ms at most: prompt enough to measure a gap to
     * a few ms, without writers spinning on the two nodes (2 shared cores) during a failover.
     */
    static long backoffNanos(int laterRetries) {
        return TimeUnit.MILLISECONDS.toNanos(1L << Math.min(3, laterRetries - 1));
    }

    /** Writers run this long before the first failover; baseline gaps count only after it. */
    static final long WARM_UP_MS = 3000;

    static String failoverKey(int lane, long seq) {
        return "fo:" + lane + ":" + seq;
    }

    /** A writer: SET fo:lane:seq, paced, retried until acknowledged, following the master. */
    abstract static class Lane extends Thread {
        final int lane;
        final Node[] nodes;
        final long intervalNanos;
        final AtomicBoolean running;
        final WriterStats stats;
        final Acks acks = new Acks();
        long acked; // keys fo:lane:0 .. fo:lane:acked-1 were acknowledged
        int current; // index of the node this lane writes to

        Lane(int lane, Node[] nodes, long intervalNanos, AtomicBoolean running, WriterStats stats) {
            super("failover-writer-" + lane);
            this.lane = lane;
            this.nodes = nodes;
            this.intervalNanos = intervalNanos;
            this.running = running;
            this.stats = stats;
        }

        int indexOfPort(int port) {
            for (int i = 0; i < nodes.length; i++) {
                if (nodes[i].replicationPort() == port) {
                    return i;
                }
            }
            throw new IllegalStateException("READONLY names an unknown master port " + port);
        }

        /**
         * One attempt: ACKED (recorded), or retry (after `current` was updated if needed): at once
         * after a first redirect, later when paused or redirected again.
         */
        abstract Outcome attempt(String key, int redirects) throws Exception;

        abstract void closeAll();

        @Override
        public void run() {
            long next = System.nanoTime();
            try {
                while (running.get()) {
                    long now = System.nanoTime();
                    if (next > now) {
                        LockSupport.parkNanos(next - now);
                    }
                    next = Math.max(next + intervalNanos, System.nanoTime() - intervalNanos);
                    String key = failoverKey(lane, acked);
                    int later = 0;
                    int redirects = 0;
                    while (running.get()) {
                        Outcome o;
                        try {
                            o = attempt(key, redirects);
                        } catch (Exception e) {
                            if (stats.other.incrementAndGet() <= 5) {
                                log("lane %d: %s", lane, e);
                            }
                            o = Outcome.RETRY_LATER;
                        }
                        if (o == Outcome.ACKED) {
                            acked++;
                            break;
                        }
                        if (o == Outcome.RETRY_NOW) {
                            redirects++;
                        } else {
                            LockSupport.parkNanos(backoffNanos(++later));
                        }
                    }
                }
            } finally {
                closeAll();
            }
        }
    }

    static final class RcLane extends Lane {
        private final ManagedChannel[] channels;
        private final ByteString value;

        RcLane(int lane, Node[] nodes, long intervalNanos, AtomicBoolean running, WriterStats stats, byte[] value) {
            super(lane, nodes, intervalNanos, running, stats);
            this.channels = new ManagedChannel[nodes.length];
            this.value = ByteString.copyFrom(value);
        }

        @Override
        Outcome attempt(String key, int redirects) {
            if (channels[current] == null) { // connected when first needed, as a client does on a redirect
                channels[current] = ManagedChannelBuilder.forAddress(HOST, nodes[current].replicationPort())
                        .usePlaintext().directExecutor().build();
            }
            try {
                CacheServiceGrpc.newBlockingStub(channels[current]).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .set(SetRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).setValue(value).build());
                acks.add(System.nanoTime(), current);
                return Outcome.ACKED;
            } catch (StatusRuntimeException e) {
                Status s = e.getStatus();
                String d = String.valueOf(s.getDescription());
                if (s.getCode() == Status.Code.UNAVAILABLE && d.startsWith("PAUSED")) {
                    stats.paused.incrementAndGet();
                    return Outcome.RETRY_LATER;
                }
                if (s.getCode() == Status.Code.FAILED_PRECONDITION && d.startsWith("READONLY")) {
                    stats.readOnly.incrementAndGet();
                    Matcher m = MASTER_AT.matcher(d);
                    if (!m.find()) {
                        throw new IllegalStateException("READONLY without the master's address: " + d);
                    }
                    current = indexOfPort(Integer.parseInt(m.group(2)));
                    // The node named may not have taken over yet (it then names us back): wait a little.
                    return redirects == 0 ? Outcome.RETRY_NOW : Outcome.RETRY_LATER;
                }
                throw e;
            }
        }

        @Override
        void closeAll() {
            for (ManagedChannel c : channels) {
                if (c != null) {
                    c.shutdownNow();
                }
            }
        }
    }

    static final class RedisLane extends Lane {
        private final byte[] value;
        private Resp conn;

        RedisLane(int lane, Node[] nodes, long intervalNanos, AtomicBoolean running, WriterStats stats, byte[] value) {
            super(lane, nodes, intervalNanos, running, stats);
            this.value = value;
        }

        @Override
        Outcome attempt(String key, int redirects) throws Exception {
            try {
                if (conn == null) {
                    conn = new Resp(nodes[current].replicationPort());
                }
                conn.write(new byte[][] {"SET".getBytes(StandardCharsets.US_ASCII), key.getBytes(StandardCharsets.US_ASCII), value});
                conn.flush();
                Object r = conn.read(); // a write paused by FAILOVER blocks here
                if ("OK".equals(r)) {
                    acks.add(System.nanoTime(), current);
                    return Outcome.ACKED;
                }
                if (r instanceof Resp.RespError e && e.message().startsWith("READONLY")) {
                    stats.readOnly.incrementAndGet();
                    // Redis names no master in READONLY: ask the node (now a replica) for it.
                    Object info = conn.call("INFO", "replication");
                    Map<String, String> m = new HashMap<>();
                    for (String line : info.toString().split("\r\n")) {
                        int c = line.indexOf(':');
                        if (c > 0) {
                            m.put(line.substring(0, c), line.substring(c + 1));
                        }
                    }
                    if (m.containsKey("master_port")) {
                        conn.close();
                        conn = null;
                        current = indexOfPort(Integer.parseInt(m.get("master_port")));
                        return redirects == 0 ? Outcome.RETRY_NOW : Outcome.RETRY_LATER;
                    }
                    return Outcome.RETRY_LATER;
                }
                throw new IOException("SET -> " + r);
            } catch (IOException e) {
                if (conn != null) {
                    conn.close();
                    conn = null;
                }
                throw e;
            }
        }

        @Override
        void closeAll() {
            try {
                if (conn != null) {
                    conn.close();
                }
            } catch (IOException e) {
                // closing
            }
        }
    }

    /** One FAILOVER: from node index, to node index, call start and end, the server's pausedMs (ReplCache). */
    record FailoverRun(int from, int to, long startNanos, long endNanos, long pausedMs, String error) {
    }

    static FailoverRun failoverOnce(Node[] nodes, int from, long timeoutMs) throws Exception {
        Node m = nodes[from];
        Node target = nodes[1 - from];
        long t0 = System.nanoTime();
        if (m instanceof RcNode rc) {
            String body;
            try {
                body = rc.call("POST", "/v1/replication/failover",
                        "{\"to\":\"" + HOST + ":" + target.replicationPort() + "\",\"timeoutMs\":" + timeoutMs + "}");
            } catch (IOException e) {
                return new FailoverRun(from, 1 - from, t0, System.nanoTime(), -1, e.getMessage());
            }
            long t1 = System.nanoTime();
            return new FailoverRun(from, 1 - from, t0, t1, JSON.readTree(body).path("pausedMs").asLong(), null);
        }
        RedisNode r = (RedisNode) m;
        try (Resp c = new Resp(r.port)) {
            // FAILOVER answers +OK at once and goes on in the background: it is over when
            // master_failover_state is back to no-failover (role slave: done; master: aborted).
            c.call("FAILOVER", "TO", HOST, Integer.toString(target.replicationPort()), "TIMEOUT", Long.toString(timeoutMs));
            while (true) {
                String info = c.call("INFO", "replication").toString();
                if (info.contains("master_failover_state:no-failover")) {
                    long t1 = System.nanoTime();
                    return new FailoverRun(from, 1 - from, t0, t1, -1,
                            info.contains("role:slave") ? null : "aborted (still master)");
                }
                if (System.nanoTime() - t0 > TimeUnit.MILLISECONDS.toNanos(timeoutMs + 10_000)) {
                    return new FailoverRun(from, 1 - from, t0, System.nanoTime(), -1, "did not end");
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }
    }

    static void failover(Node a, Node b, int lanes, int rate, int failovers, long timeoutMs, int valueSize,
                         Map<String, Object> out) throws Exception {
        Node[] nodes = {a, b};
        new SyncWatch(System.nanoTime()).await(a, b, true, TimeUnit.MILLISECONDS.toNanos(5));
        byte[] value = ReplicationBench.randomValue(new SplittableRandom(7), valueSize);
        AtomicBoolean running = new AtomicBoolean(true);
        WriterStats stats = new WriterStats();
        long interval = Math.round(lanes * 1e9 / rate);
        List<Lane> ls = new ArrayList<>();
        for (int i = 0; i < lanes; i++) {
            ls.add(a instanceof RcNode ? new RcLane(i, nodes, interval, running, stats, value)
                    : new RedisLane(i, nodes, interval, running, stats, value));
        }
        long loadStart = System.nanoTime();
        ls.forEach(Thread::start);
        TimeUnit.MILLISECONDS.sleep(WARM_UP_MS); // writers (and their JIT) warm before the first failover
        List<FailoverRun> runs = new ArrayList<>();
        int current = 0;
        for (int i = 0; i < failovers; i++) {
            // The target must be an online replica with its link up (under load, never exactly caught up).
            new SyncWatch(System.nanoTime()).await(nodes[current], nodes[1 - current], false,
                    TimeUnit.MILLISECONDS.toNanos(2));
            TimeUnit.MILLISECONDS.sleep(500);
            FailoverRun run = failoverOnce(nodes, current, timeoutMs);
            runs.add(run);
            log("failover %d %s -> %s: %.1f ms%s%s", i + 1, nodes[run.from()].name(), nodes[run.to()].name(),
                    ms(run.endNanos() - run.startNanos()), run.pausedMs() >= 0 ? ", paused " + run.pausedMs() + " ms" : "",
                    run.error() == null ? "" : ", FAILED: " + run.error());
            if (run.error() == null) {
                current = 1 - current;
            }
            TimeUnit.MILLISECONDS.sleep(1500);
        }
        running.set(false);
        for (Lane l : ls) {
            l.join(TimeUnit.SECONDS.toMillis(30));
            if (l.isAlive()) {
                throw new IllegalStateException(l.getName() + " did not stop (a write hangs)");
            }
        }
        long loadEnd = System.nanoTime();

        // Every acknowledged write, in time order: (nanos - loadStart) << 1 | node.
        int total = ls.stream().mapToInt(l -> l.acks.n).sum();
        long[] all = new long[total];
        int k = 0;
        for (Lane l : ls) {
            for (int i = 0; i < l.acks.n; i++) {
                all[k++] = ((l.acks.nanos[i] - loadStart) << 1) | l.acks.node[i];
            }
        }
        Arrays.sort(all);
        out.put("lanes", lanes);
        out.put("target_rate", rate);
        out.put("acked", total);
        out.put("rate", Math.round(total / ((loadEnd - loadStart) / 1e9)));
        out.put("paused_retries", stats.paused.get());
        out.put("readonly_redirects", stats.readOnly.get());
        out.put("other_errors", stats.other.get());
        List<Double> calls = new ArrayList<>();
        List<Double> unavailable = new ArrayList<>();
        List<Double> maxGaps = new ArrayList<>();
        List<Double> afterReturn = new ArrayList<>();
        List<Long> paused = new ArrayList<>();
        List<long[]> windows = new ArrayList<>(); // {from, to} relative nanos around each failover
        int failed = 0;
        for (FailoverRun run : runs) {
            long t0 = run.startNanos() - loadStart;
            long t1 = run.endNanos() - loadStart;
            calls.add(ms(t1 - t0));
            if (run.error() != null) {
                failed++;
                continue;
            }
            paused.add(run.pausedMs());
            long lastOld = Long.MIN_VALUE;
            long firstNew = Long.MAX_VALUE;
            for (long e : all) {
                long t = e >> 1;
                int nodeIndex = (int) (e & 1);
                if (nodeIndex == run.from() && t <= t1) {
                    lastOld = Math.max(lastOld, t);
                }
                if (nodeIndex == run.to() && t >= t0 && firstNew == Long.MAX_VALUE) {
                    firstNew = t;
                }
            }
            long maxGap = 0;
            long windowEnd = Math.max(t1, firstNew == Long.MAX_VALUE ? t1 : firstNew);
            for (int i = 1; i < all.length; i++) {
                long p = all[i - 1] >> 1;
                long q = all[i] >> 1;
                if (q >= t0 && p <= windowEnd) {
                    maxGap = Math.max(maxGap, q - p);
                }
            }
            unavailable.add(firstNew == Long.MAX_VALUE || lastOld == Long.MIN_VALUE ? Double.NaN : ms(firstNew - lastOld));
            maxGaps.add(ms(maxGap));
            afterReturn.add(firstNew == Long.MAX_VALUE ? Double.NaN : ms(firstNew - t1));
            windows.add(new long[] {t0, windowEnd});
        }
        // Gaps away from any failover (after the warm-up): the writers' normal jitter.
        List<Long> baseline = new ArrayList<>();
        for (int i = 1; i < all.length; i++) {
            long p = all[i - 1] >> 1;
            long q = all[i] >> 1;
            boolean inWindow = false;
            for (long[] w : windows) {
                if (q >= w[0] && p <= w[1]) {
                    inWindow = true;
                }
            }
            if (!inWindow && p > TimeUnit.MILLISECONDS.toNanos(WARM_UP_MS)) {
                baseline.add(q - p);
            }
        }
        out.put("failovers", runs.size());
        out.put("failovers_failed", failed);
        out.put("call_ms", list(calls));
        out.put("call_ms_median", fmt(median(calls)));
        out.put("paused_ms", paused.isEmpty() || paused.get(0) < 0 ? "n/a" : paused.stream().map(String::valueOf).collect(Collectors.joining("/")));
        out.put("paused_ms_median", paused.isEmpty() || paused.get(0) < 0 ? "n/a"
                : fmt(median(paused.stream().map(Long::doubleValue).toList())));
        out.put("unavailable_ms", list(unavailable));
        out.put("unavailable_ms_median", fmt(median(unavailable)));
        out.put("max_gap_ms", list(maxGaps));
        out.put("max_gap_ms_median", fmt(median(maxGaps)));
        out.put("first_new_after_return_ms", list(afterReturn));
        out.put("baseline_gap_p99_ms", fmt(ms(ReplicationBench.pct(baseline, 99).equals("n/a") ? 0
                : Long.parseLong(ReplicationBench.pct(baseline, 99)))));
        out.put("baseline_gap_max_ms", fmt(ms(ReplicationBench.pct(baseline, 100).equals("n/a") ? 0
                : Long.parseLong(ReplicationBench.pct(baseline, 100)))));

        // Zero loss: every acknowledged key on the final master, and on its replica once caught up.
        Node master = nodes[current];
        Node replica = nodes[1 - current];
        new SyncWatch(System.nanoTime()).await(master, replica, true, TimeUnit.MILLISECONDS.toNanos(5));
        long[] acked = ls.stream().mapToLong(l -> l.acked).toArray();
        List<String> missing = new ArrayList<>();
        long lostMaster = lost(master, acked, missing);
        long lostReplica = lost(replica, acked, new ArrayList<>());
        out.put("final_master", master.name());
        out.put("lost_on_master", lostMaster);
        out.put("lost_on_replica", lostReplica);
        if (!missing.isEmpty()) {
            out.put("missing_keys", String.join(",", missing.subList(0, Math.min(10, missing.size()))));
        }
        out.put("zero_loss", lostMaster == 0 && lostReplica == 0 ? "yes" : "NO");
    }

    /** How many of the acknowledged keys fo:lane:0..acked[lane]-1 the node lacks (the first ones in `missing`). */
    static long lost(Node node, long[] acked, List<String> missing) throws Exception {
        long lost = 0;
        ManagedChannel ch = node instanceof RcNode ? ManagedChannelBuilder.forAddress(HOST, node.replicationPort())
                .usePlaintext().maxInboundMessageSize(64 << 20).build() : null;
        Resp resp = node instanceof RedisNode r ? new Resp(r.port) : null;
        try {
            for (int lane = 0; lane < acked.length; lane++) {
                for (long from = 0; from < acked[lane]; from += 1000) {
                    List<String> keys = new ArrayList<>();
                    for (long s = from; s < Math.min(acked[lane], from + 1000); s++) {
                        keys.add(failoverKey(lane, s));
                    }
                    long found = exists(ch, resp, keys);
                    if (found < keys.size()) {
                        lost += keys.size() - found;
                        for (String key : keys) {
                            if (missing.size() < 10 && exists(ch, resp, List.of(key)) == 0) {
                                missing.add(key);
                            }
                        }
                    }
                }
            }
        } finally {
            if (ch != null) {
                ch.shutdownNow();
            }
            if (resp != null) {
                resp.close();
            }
        }
        return lost;
    }

    static long exists(ManagedChannel ch, Resp resp, List<String> keys) throws IOException {
        if (ch != null) {
            ExistsRequest.Builder req = ExistsRequest.newBuilder();
            keys.forEach(key -> req.addKeys(ByteString.copyFromUtf8(key)));
            return CacheServiceGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS).exists(req.build()).getCount();
        }
        List<String> args = new ArrayList<>();
        args.add("EXISTS");
        args.addAll(keys);
        return (Long) resp.call(args.toArray(String[]::new));
    }

    static String list(List<Double> values) {
        return values.stream().map(ReplicationBench::fmt).collect(Collectors.joining("/"));
    }

    static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).filter(d -> !Double.isNaN(d)).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    // ---------------------------------------------------------------------------------------
    // WAIT latency

    /** One sequential operation; returns false when a WAIT came back with fewer replicas than asked. */
    interface Op {
        boolean run(String key, Histogram waitOnly) throws Exception;
    }

    static void waitLatency(Node master, Node replica, long ops, int valueSize, int keyspace, long maxSeconds,
                            Map<String, Object> out) throws Exception {
        new SyncWatch(System.nanoTime()).await(master, replica, true, TimeUnit.MILLISECONDS.toNanos(5));
        byte[] value = ReplicationBench.randomValue(new SplittableRandom(11), valueSize);
        Map<String, Op> phases = new java.util.LinkedHashMap<>();
        ManagedChannel ch = null;
        Resp resp = null;
        if (master instanceof RcNode) {
            ch = ManagedChannelBuilder.forAddress(HOST, master.replicationPort()).usePlaintext().directExecutor().build();
            CacheServiceGrpc.CacheServiceBlockingStub stub = CacheServiceGrpc.newBlockingStub(ch);
            ByteString v = ByteString.copyFrom(value);
            Metadata md = new Metadata();
            md.put(Metadata.Key.of("wait-replicas", Metadata.ASCII_STRING_MARSHALLER), "1");
            AtomicReference<Metadata> headers = new AtomicReference<>();
            AtomicReference<Metadata> trailers = new AtomicReference<>();
            CacheServiceGrpc.CacheServiceBlockingStub inline = stub.withInterceptors(
                    MetadataUtils.newAttachHeadersInterceptor(md), MetadataUtils.newCaptureMetadataInterceptor(headers, trailers));
            Metadata.Key<String> ackedKey = Metadata.Key.of("replicas-acked", Metadata.ASCII_STRING_MARSHALLER);
            WaitRequest wait = WaitRequest.newBuilder().setReplicas(1).setTimeoutMs(0).build();
            phases.put("set", (key, w) -> {
                stub.set(SetRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).setValue(v).build());
                return true;
            });
            phases.put("set_wait", (key, w) -> {
                stub.set(SetRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).setValue(v).build());
                long t = System.nanoTime();
                WaitResponse r = stub.wait(wait);
                w.recordValue(System.nanoTime() - t);
                return r.getReplicasAcked() >= 1;
            });
            phases.put("inline", (key, w) -> {
                trailers.set(null);
                inline.set(SetRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).setValue(v).build());
                Metadata t = trailers.get();
                String acked = t == null ? null : t.get(ackedKey);
                return acked != null && Integer.parseInt(acked) >= 1;
            });
        } else {
            resp = new Resp(((RedisNode) master).port);
            Resp c = resp;
            byte[] set = "SET".getBytes(StandardCharsets.US_ASCII);
            byte[][] waitCmd = {"WAIT".getBytes(StandardCharsets.US_ASCII), "1".getBytes(StandardCharsets.US_ASCII),
                    "0".getBytes(StandardCharsets.US_ASCII)};
            phases.put("set", (key, w) -> {
                c.write(new byte[][] {set, key.getBytes(StandardCharsets.US_ASCII), value});
                c.flush();
                return "OK".equals(c.read());
            });
            phases.put("set_wait", (key, w) -> {
                c.write(new byte[][] {set, key.getBytes(StandardCharsets.US_ASCII), value});
                c.flush();
                if (!"OK".equals(c.read())) {
                    return false;
                }
                long t = System.nanoTime();
                c.write(waitCmd);
                c.flush();
                Object n = c.read();
                w.recordValue(System.nanoTime() - t);
                return n instanceof Long l && l >= 1;
            });
            phases.put("inline", (key, w) -> { // SET and WAIT in one write: one round trip, as the inline form
                c.write(new byte[][] {set, key.getBytes(StandardCharsets.US_ASCII), value});
                c.write(waitCmd);
                c.flush();
                Object ok = c.read();
                Object n = c.read();
                return "OK".equals(ok) && n instanceof Long l && l >= 1;
            });
        }
        Map<String, Histogram> hist = new HashMap<>();
        Map<String, Histogram> waitOnly = new HashMap<>();
        Map<String, Long> short_ = new HashMap<>();
        for (String p : phases.keySet()) {
            hist.put(p, new Histogram(TimeUnit.MINUTES.toNanos(2), 3));
            waitOnly.put(p, new Histogram(TimeUnit.MINUTES.toNanos(2), 3));
            short_.put(p, 0L);
        }
        SplittableRandom random = new SplittableRandom(5);
        long warm = Math.min(2000, ops / 5);
        Histogram sink = new Histogram(TimeUnit.MINUTES.toNanos(2), 3);
        int rounds = 5;
        // A budget per warm-up and per round of each form, so that a slow form cannot make the run unbounded.
        long budget = TimeUnit.SECONDS.toNanos(maxSeconds) / ((long) (rounds + 1) * phases.size());
        for (Map.Entry<String, Op> p : phases.entrySet()) {
            long until = System.nanoTime() + budget;
            for (long i = 0; i < warm && System.nanoTime() < until; i++) {
                p.getValue().run(ReplicationBench.key(random.nextInt(keyspace)), sink);
            }
        }
        long perRound = Math.max(1, ops / rounds);
        long start = System.nanoTime();
        for (int round = 0; round < rounds; round++) {
            for (Map.Entry<String, Op> p : phases.entrySet()) {
                Histogram h = hist.get(p.getKey());
                Histogram w = waitOnly.get(p.getKey());
                long until = System.nanoTime() + budget;
                for (long i = 0; i < perRound && System.nanoTime() < until; i++) {
                    String key = ReplicationBench.key(random.nextInt(keyspace));
                    long t = System.nanoTime();
                    boolean ok = p.getValue().run(key, w);
                    h.recordValue(System.nanoTime() - t);
                    if (!ok) {
                        short_.merge(p.getKey(), 1L, Long::sum);
                    }
                }
            }
        }
        out.put("ops_per_phase", perRound * rounds);
        out.put("seconds", fmt((System.nanoTime() - start) / 1e9));
        for (String p : phases.keySet()) {
            Histogram h = hist.get(p);
            out.put(p + "_ops", h.getTotalCount());
            out.put(p + "_p50_ms", fmt(h.getValueAtPercentile(50) / 1e6));
            out.put(p + "_p99_ms", fmt(h.getValueAtPercentile(99) / 1e6));
            out.put(p + "_p999_ms", fmt(h.getValueAtPercentile(99.9) / 1e6));
            out.put(p + "_max_ms", fmt(h.getMaxValue() / 1e6));
            out.put(p + "_mean_ms", fmt(h.getMean() / 1e6));
            if (waitOnly.get(p).getTotalCount() > 0) {
                Histogram w = waitOnly.get(p);
                out.put(p + "_waitonly_p50_ms", fmt(w.getValueAtPercentile(50) / 1e6));
                out.put(p + "_waitonly_p99_ms", fmt(w.getValueAtPercentile(99) / 1e6));
                out.put(p + "_waitonly_p999_ms", fmt(w.getValueAtPercentile(99.9) / 1e6));
            }
            if (!p.equals("set")) {
                out.put(p + "_short_acks", short_.get(p));
            }
        }
        if (ch != null) {
            ch.shutdownNow();
        }
        if (resp != null) {
            resp.close();
        }
    }
}
