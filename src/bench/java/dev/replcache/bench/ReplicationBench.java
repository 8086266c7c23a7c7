package dev.replcache.bench;

import com.google.protobuf.ByteString;
import dev.replcache.api.cache.v1.CacheServiceGrpc;
import dev.replcache.api.cache.v1.KeyValue;
import dev.replcache.api.cache.v1.MSetRequest;
import dev.replcache.api.cache.v1.MSetResponse;
import dev.replcache.api.cache.v1.SetRequest;
import dev.replcache.api.cache.v1.SetResponse;
import dev.replcache.api.replication.v1.InfoRequest;
import dev.replcache.api.replication.v1.ReplicationInfo;
import dev.replcache.api.replication.v1.ReplicationServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The replication benchmark's driver, for ReplCache and for redis-server alike: bulk load, full
 * sync time, SET throughput idle vs during a full sync, replication lag under load, and catch-up
 * after a link cut. {@code bench/replication.sh} starts and stops the servers and calls one
 * command per measurement; each prints one line of {@code key=value} fields on stdout
 * (diagnostics go to stderr).
 *
 * <p>A node is named {@code rc:HTTP_PORT:GRPC_PORT} (ReplCache: HTTP {@code /v1/replication} for the
 * stats and REPLICAOF, gRPC for writes, for sampling the replication view and as the replication
 * address) or {@code redis:PORT:DIR} (the
 * directory holds the RDB file a disk-based full sync writes). Every address is 127.0.0.1.
 *
 * <pre>
 * load       NODE keys valueSize                    MSET batches of keys key:%012d 0..keys-1, random values
 * fullsync   MASTER REPLICA [again]                 REPLICAOF; time until the link is up and offsets are equal;
 *                                                   again: a replica that synced before is first promoted
 *                                                   (REPLICAOF NO ONE: a new replId), so it full-syncs again
 * throughput MASTER REPLICA clients requests valueSize keyspace
 *                                                   SET load idle, then again right after REPLICAOF (a full sync)
 * lag        MASTER clients requests valueSize keyspace REPLICA...
 *                                                   SET load while sampling offsets every 10 ms
 * catchup    MASTER REPLICA method cutMs writes clients valueSize keyspace
 *                                                   cut the link, write, reconnect, time until caught up;
 *                                                   method: disconnect (ReplCache's endpoint; the replica's
 *                                                   reconnect delay makes the cut) | deadport:PORT (Redis:
 *                                                   REPLICAOF a closed port, back after cutMs) | noone
 *                                                   (REPLICAOF NO ONE, then REPLICAOF the master after cutMs)
 * probelag   MASTER_RESP rate seconds valueSize keyspace lanes REPLICA_RESP...
 *                                                   lag a replica's reader sees at a steady SET rate: see
 *                                                   {@link LagProbeBench} (RESP ports, both systems alike)
 * restart | failover | wait                         replica restarts, FAILOVER under load, WAIT latency:
 *                                                   see {@link TopologyBench} (bench/topology.sh)
 * </pre>
 *
 * <p>A benchmark, not a test: surefire excludes this package.
 */
public final class ReplicationBench {

    static final String HOST = "127.0.0.1";
    static final long POLL_TIMEOUT_NANOS = TimeUnit.MINUTES.toNanos(20);

    private ReplicationBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            usage();
        }
        Map<String, Object> out = new LinkedHashMap<>();
        switch (args[0]) {
            case "load" -> {
                need(args, 4);
                load(node(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]), out);
            }
            case "fullsync" -> {
                if (args.length != 3 && !(args.length == 4 && args[3].equals("again"))) {
                    usage();
                }
                fullSync(node(args[1]), node(args[2]), args.length == 4, out);
            }
            case "throughput" -> {
                need(args, 7);
                throughput(node(args[1]), node(args[2]), Integer.parseInt(args[3]), Long.parseLong(args[4]),
                        Integer.parseInt(args[5]), Integer.parseInt(args[6]), out);
            }
            case "lag" -> {
                if (args.length < 7) {
                    usage();
                }
                List<Node> replicas = new ArrayList<>();
                for (int i = 6; i < args.length; i++) {
                    replicas.add(node(args[i]));
                }
                lag(node(args[1]), Integer.parseInt(args[2]), Long.parseLong(args[3]), Integer.parseInt(args[4]),
                        Integer.parseInt(args[5]), replicas, out);
            }
            case "catchup" -> {
                need(args, 9);
                catchUp(node(args[1]), node(args[2]), args[3], Long.parseLong(args[4]), Long.parseLong(args[5]),
                        Integer.parseInt(args[6]), Integer.parseInt(args[7]), Integer.parseInt(args[8]), out);
            }
            case "probelag" -> LagProbeBench.main(args, out);
            // Topology measurements (bench/topology.sh): see TopologyBench.
            case "restart", "failover", "wait" -> TopologyBench.main(args, out);
            default -> usage();
        }
        if (VIEW_ERRORS.get() > 0) {
            out.put("view_errors", VIEW_ERRORS.get());
        }
        StringBuilder line = new StringBuilder();
        for (Map.Entry<String, Object> e : out.entrySet()) {
            if (line.length() > 0) {
                line.append(' ');
            }
            line.append(e.getKey()).append('=').append(e.getValue());
        }
        System.out.println(line);
        System.out.flush();
        System.exit(0); // gRPC and HTTP client threads
    }

    static void need(String[] args, int n) {
        if (args.length != n) {
            usage();
        }
    }

    static void usage() {
        System.err.println("usage: ReplicationBench load|fullsync|throughput|lag|probelag|catchup|restart|failover|wait ... (see the class comments)");
        System.exit(2);
    }

    static void log(String format, Object... args) {
        System.err.printf(Locale.ROOT, "[replbench %tT] " + format + "%n", prepend(System.currentTimeMillis(), args));
    }

    private static Object[] prepend(Object first, Object[] rest) {
        Object[] all = new Object[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }

    // ---------------------------------------------------------------------------------------
    // Nodes

    /**
     * What a sample of a node's replication state says, normalized across the two systems.
     * {@code startNanos}/{@code endNanos} bracket the call. A ReplCache replica builds its view on
     * its link thread, after whatever that thread is doing (applying a batch, loading a whole
     * snapshot), so what it reports is as of the end of the call: {@link #nanos()} is the end.
     * A master's view (and Redis's INFO) is taken without waiting: {@link #midNanos()}.
     */
    record Info(long startNanos, long endNanos, String role, long offset, String link, long[] ackOffsets,
                long[] ackLagBytes, long[] ackLagMs) {
        long nanos() {
            return endNanos;
        }

        long midNanos() {
            return startNanos + (endNanos - startNanos) / 2;
        }
    }

    /** Cumulative replication counters of a master. */
    record Counters(long syncFull, long syncPartialOk, long snapshots, long snapshotBytes, long replBytesOut) {
    }

    interface Node extends Closeable {
        String name();

        /** The replication address (ReplCache: gRPC port; Redis: its port). */
        int replicationPort();

        Info info() throws IOException;

        Counters counters() throws IOException;

        /** Snapshot bytes produced between two readings of the master's counters. */
        long newSnapshotBytes(Counters before, Counters after) throws IOException;

        void replicaOf(String host, int port) throws IOException;

        void promote() throws IOException;

        void disconnect() throws IOException;

        /** Fixed SET load, like redis-benchmark -t set -c clients -P 1 -r keyspace. */
        Load setLoad(int clients, long requests, int valueSize, int keyspace, boolean warmUp) throws Exception;

        void bulkLoad(int keys, int valueSize) throws Exception;
    }

    static Node node(String spec) {
        String[] p = spec.split(":");
        if (p[0].equals("rc") && p.length == 3) {
            return new RcNode(Integer.parseInt(p[1]), Integer.parseInt(p[2]));
        }
        if (p[0].equals("redis") && p.length == 3) {
            return new RedisNode(Integer.parseInt(p[1]), Path.of(p[2]));
        }
        throw new IllegalArgumentException("node must be rc:HTTP:GRPC or redis:PORT:DIR, got " + spec);
    }

    /** One SET load run: rate, latency, and when its measured part ran. */
    record Load(long requests, long errors, double opsPerSec, double p50Ms, double p99Ms, double p999Ms,
                long startNanos, long endNanos) {
    }

    /** ReplCache: replication view over HTTP, writes over gRPC. */
    static final class RcNode implements Node {
        private static final ObjectMapper JSON = new ObjectMapper();
        final int httpPort;
        final int grpcPort;
        private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        private List<ManagedChannel> channels = List.of();
        private ManagedChannel infoChannel;

        RcNode(int httpPort, int grpcPort) {
            this.httpPort = httpPort;
            this.grpcPort = grpcPort;
        }

        @Override
        public String name() {
            return "rc:" + httpPort;
        }

        @Override
        public int replicationPort() {
            return grpcPort;
        }

        String call(String method, String path, String body) throws IOException {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + HOST + ":" + httpPort + path))
                    .timeout(Duration.ofSeconds(60));
            if (body != null) {
                b.header("Content-Type", "application/json");
            }
            b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
            try {
                HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() / 100 != 2) {
                    throw new IOException(method + " " + path + " -> " + r.statusCode() + " " + r.body());
                }
                return r.body();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }

        JsonNode view() throws IOException {
            return JSON.readTree(call("GET", "/v1/replication", null));
        }

        /**
         * The replication view over gRPC ({@code ReplicationService/Info}: the same view as
         * {@code GET /v1/replication}, cheaper to serve), so that sampling every 10 ms costs the
         * node little, as INFO does Redis.
         */
        @Override
        public Info info() throws IOException {
            long t0 = System.nanoTime();
            ReplicationInfo j;
            try {
                j = infoStub().withDeadlineAfter(60, TimeUnit.SECONDS).info(InfoRequest.getDefaultInstance());
            } catch (StatusRuntimeException e) {
                throw new IOException("Info on " + name() + ": " + e.getStatus(), e);
            }
            long t1 = System.nanoTime();
            String link = j.getLinkStatus().isEmpty() ? null : j.getLinkStatus();
            int n = j.getReplicasCount();
            long[] ack = new long[n];
            long[] lagB = new long[n];
            long[] lagMs = new long[n];
            for (int i = 0; i < n; i++) {
                ack[i] = j.getReplicas(i).getAckOffset();
                lagB[i] = j.getReplicas(i).getLagBytes();
                lagMs[i] = j.getReplicas(i).getLagMs();
            }
            return new Info(t0, t1, j.getRole(), j.getOffset(), link, ack, lagB, lagMs);
        }

        private synchronized ReplicationServiceGrpc.ReplicationServiceBlockingStub infoStub() {
            if (infoChannel == null) {
                infoChannel = ManagedChannelBuilder.forAddress(HOST, grpcPort).usePlaintext().build();
            }
            return ReplicationServiceGrpc.newBlockingStub(infoChannel);
        }

        @Override
        public Counters counters() throws IOException {
            JsonNode s = view().path("stats");
            return new Counters(s.path("syncFull").asLong(), s.path("syncPartialOk").asLong(), -1,
                    s.path("snapshotBytesSent").asLong(),
                    s.path("snapshotBytesSent").asLong() + s.path("entriesBytesSent").asLong());
        }

        @Override
        public long newSnapshotBytes(Counters before, Counters after) {
            return after.snapshotBytes() - before.snapshotBytes();
        }

        @Override
        public void replicaOf(String host, int port) throws IOException {
            call("PUT", "/v1/replication/master", "{\"host\":\"" + host + "\",\"port\":" + port + "}");
        }

        @Override
        public void promote() throws IOException {
            call("DELETE", "/v1/replication/master", null);
        }

        @Override
        public void disconnect() throws IOException {
            call("POST", "/v1/replication/master/disconnect", null);
        }

        private List<ManagedChannel> channels(int clients) {
            if (channels.size() != clients) {
                channels.forEach(ManagedChannel::shutdownNow);
                List<ManagedChannel> list = new ArrayList<>();
                for (int i = 0; i < clients; i++) {
                    list.add(ManagedChannelBuilder.forAddress(HOST, grpcPort).usePlaintext().directExecutor()
                            .maxInboundMessageSize(64 << 20).build());
                }
                channels = list;
            }
            return channels;
        }

        @Override
        public Load setLoad(int clients, long requests, int valueSize, int keyspace, boolean warmUp) throws Exception {
            List<ManagedChannel> chs = channels(clients);
            ByteString value = ByteString.copyFrom(new byte[valueSize]); // as GrpcLoadGenerator
            if (warmUp) { // as GrpcLoadGenerator: JIT and connections ready before measuring
                GrpcSetRun.run(chs, Math.min(requests / 10, 50_000), value, keyspace, new ConcurrentHistogram(3));
            }
            Histogram h = new ConcurrentHistogram(3);
            long start = System.nanoTime();
            long errors = GrpcSetRun.run(chs, requests, value, keyspace, h);
            long end = System.nanoTime();
            return new Load(requests, errors, requests / ((end - start) / 1e9), h.getValueAtPercentile(50) / 1e6,
                    h.getValueAtPercentile(99) / 1e6, h.getValueAtPercentile(99.9) / 1e6, start, end);
        }

        @Override
        public void bulkLoad(int keys, int valueSize) throws Exception {
            ManagedChannel ch = ManagedChannelBuilder.forAddress(HOST, grpcPort).usePlaintext()
                    .maxInboundMessageSize(64 << 20).build();
            CacheServiceGrpc.CacheServiceStub stub = CacheServiceGrpc.newStub(ch);
            Semaphore inFlight = new Semaphore(4);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            SplittableRandom random = new SplittableRandom(42);
            int batch = 1000;
            for (int from = 0; from < keys; from += batch) {
                MSetRequest.Builder req = MSetRequest.newBuilder();
                for (int i = from; i < Math.min(keys, from + batch); i++) {
                    req.addEntries(KeyValue.newBuilder().setKey(ByteString.copyFrom(key(i), StandardCharsets.US_ASCII))
                            .setValue(ByteString.copyFrom(randomValue(random, valueSize))));
                }
                inFlight.acquire();
                if (failure.get() != null) {
                    throw new IOException("MSET failed", failure.get());
                }
                stub.mSet(req.build(), new StreamObserver<MSetResponse>() {
                    @Override
                    public void onNext(MSetResponse v) {
                    }

                    @Override
                    public void onError(Throwable t) {
                        failure.set(t);
                        inFlight.release();
                    }

                    @Override
                    public void onCompleted() {
                        inFlight.release();
                    }
                });
            }
            inFlight.acquire(4);
            if (failure.get() != null) {
                throw new IOException("MSET failed", failure.get());
            }
            ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }

        @Override
        public synchronized void close() {
            channels.forEach(ManagedChannel::shutdownNow);
            if (infoChannel != null) {
                infoChannel.shutdownNow();
            }
        }
    }

    static String key(long i) {
        return String.format(Locale.ROOT, "key:%012d", i);
    }

    /** Incompressible values (neither system may shrink them in its RDB), the same for both systems. */
    static byte[] randomValue(SplittableRandom random, int size) {
        byte[] v = new byte[size];
        random.nextBytes(v);
        return v;
    }

    /** SET over gRPC as {@link GrpcLoadGenerator} does it with pipeline 1: one request in flight per client. */
    static final class GrpcSetRun {
        static long run(List<ManagedChannel> channels, long requests, ByteString value, int keyspace, Histogram h)
                throws InterruptedException {
            AtomicLong remaining = new AtomicLong(requests);
            AtomicLong errors = new AtomicLong();
            CountDownLatch done = new CountDownLatch(channels.size());
            for (ManagedChannel ch : channels) {
                new Lane(CacheServiceGrpc.newStub(ch), value, keyspace, remaining, errors, h, done).next();
            }
            if (!done.await(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("SET load did not finish in 10 minutes");
            }
            return errors.get();
        }

        private record Lane(CacheServiceGrpc.CacheServiceStub stub, ByteString value, int keyspace,
                            AtomicLong remaining, AtomicLong errors, Histogram h, CountDownLatch done) {
            void next() {
                if (remaining.getAndDecrement() <= 0) {
                    done.countDown();
                    return;
                }
                ByteString key = ByteString.copyFrom(key(ThreadLocalRandom.current().nextInt(keyspace)),
                        StandardCharsets.US_ASCII);
                long start = System.nanoTime();
                stub.set(SetRequest.newBuilder().setKey(key).setValue(value).build(), new StreamObserver<SetResponse>() {
                    @Override
                    public void onNext(SetResponse v) {
                    }

                    @Override
                    public void onError(Throwable t) {
                        if (errors.incrementAndGet() <= 5) {
                            log("SET failed: %s", t);
                        }
                        next();
                    }

                    @Override
                    public void onCompleted() {
                        h.recordValue(System.nanoTime() - start);
                        next();
                    }
                });
            }
        }
    }

    /** redis-server over RESP (a small blocking client); SET load with redis-benchmark. */
    static final class RedisNode implements Node {
        final int port;
        final Path dir;
        private Resp resp;

        RedisNode(int port, Path dir) {
            this.port = port;
            this.dir = dir;
        }

        @Override
        public String name() {
            return "redis:" + port;
        }

        @Override
        public int replicationPort() {
            return port;
        }

        synchronized Object call(String... args) throws IOException {
            if (resp == null) {
                resp = new Resp(port);
            }
            return resp.call(args);
        }

        Map<String, String> infoSection(String section) throws IOException {
            Object r = call("INFO", section);
            Map<String, String> m = new HashMap<>();
            for (String line : r.toString().split("\r\n")) {
                int c = line.indexOf(':');
                if (c > 0) {
                    m.put(line.substring(0, c), line.substring(c + 1));
                }
            }
            return m;
        }

        @Override
        public Info info() throws IOException {
            long t0 = System.nanoTime();
            Map<String, String> m = infoSection("replication");
            long t1 = System.nanoTime();
            String role = m.get("role").equals("slave") ? "replica" : "master";
            String link = null;
            if (role.equals("replica")) {
                if ("1".equals(m.get("master_sync_in_progress"))) {
                    link = "sync";
                } else if ("up".equals(m.get("master_link_status"))) {
                    link = "up";
                } else {
                    link = "down";
                }
            }
            List<Long> acks = new ArrayList<>();
            for (int i = 0; m.containsKey("slave" + i); i++) {
                for (String kv : m.get("slave" + i).split(",")) {
                    if (kv.startsWith("offset=")) {
                        acks.add(Long.parseLong(kv.substring(7)));
                    }
                }
            }
            long offset = Long.parseLong(m.get("master_repl_offset"));
            long[] ack = acks.stream().mapToLong(Long::longValue).toArray();
            long[] lagB = Arrays.stream(ack).map(a -> Math.max(0, offset - a)).toArray();
            long[] lagMs = new long[ack.length];
            Arrays.fill(lagMs, -1); // Redis's lag= is whole seconds since the last ack, not a lag
            return new Info(t0, t1, role, offset, link, ack, lagB, lagMs);
        }

        @Override
        public Counters counters() throws IOException {
            Map<String, String> s = infoSection("stats");
            Map<String, String> p = infoSection("persistence");
            return new Counters(Long.parseLong(s.get("sync_full")), Long.parseLong(s.get("sync_partial_ok")),
                    Long.parseLong(p.get("rdb_saves")), rdbSize(),
                    Long.parseLong(s.getOrDefault("total_net_repl_output_bytes", "-1")));
        }

        private long rdbSize() throws IOException {
            Path f = dir.resolve("dump.rdb");
            return Files.exists(f) ? Files.size(f) : 0;
        }

        @Override
        public long newSnapshotBytes(Counters before, Counters after) throws IOException {
            // A disk-based sync writes dump.rdb in the master's dir (BGSAVE); rdb_saves counts them.
            return after.snapshots() > before.snapshots() ? rdbSize() : 0;
        }

        @Override
        public void replicaOf(String host, int p) throws IOException {
            call("REPLICAOF", host, Integer.toString(p));
        }

        @Override
        public void promote() throws IOException {
            call("REPLICAOF", "NO", "ONE");
        }

        @Override
        public void disconnect() throws IOException {
            call("CLIENT", "KILL", "TYPE", "master");
        }

        @Override
        public Load setLoad(int clients, long requests, int valueSize, int keyspace, boolean warmUp) throws Exception {
            List<String> cmd = List.of("redis-benchmark", "-h", HOST, "-p", Integer.toString(port), "-t", "set",
                    "-d", Integer.toString(valueSize), "-c", Integer.toString(clients), "-n", Long.toString(requests),
                    "-r", Integer.toString(keyspace), "-P", "1", "--csv");
            long start = System.nanoTime();
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            List<String> lines = new ArrayList<>();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                }
            }
            int rc = p.waitFor();
            long end = System.nanoTime();
            // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
            if (rc != 0 || lines.size() < 2) {
                throw new IOException("redis-benchmark failed (" + rc + "): " + lines);
            }
            String[] f = lines.get(1).replace("\"", "").split(",");
            return new Load(requests, 0, Double.parseDouble(f[1]), Double.parseDouble(f[4]), Double.parseDouble(f[6]),
                    Double.NaN, start, end);
        }

        @Override
        public void bulkLoad(int keys, int valueSize) throws Exception {
            try (Resp bulk = new Resp(port)) {
                int batch = 1000;
                int batches = (keys + batch - 1) / batch;
                Thread writer = new Thread(() -> {
                    SplittableRandom random = new SplittableRandom(42);
                    try {
                        for (int from = 0; from < keys; from += batch) {
                            int to = Math.min(keys, from + batch);
                            byte[][] args = new byte[1 + 2 * (to - from)][];
                            args[0] = "MSET".getBytes(StandardCharsets.US_ASCII);
                            for (int i = from; i < to; i++) {
                                args[1 + 2 * (i - from)] = key(i).getBytes(StandardCharsets.US_ASCII);
                                args[2 + 2 * (i - from)] = randomValue(random, valueSize);
                            }
                            bulk.write(args);
                        }
                        bulk.flush();
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                });
                writer.start();
                for (int b = 0; b < batches; b++) {
                    Object reply = bulk.read();
                    if (!"OK".equals(reply)) {
                        throw new IOException("MSET -> " + reply);
                    }
                }
                writer.join();
            }
        }

        @Override
        public synchronized void close() throws IOException {
            if (resp != null) {
                resp.close();
            }
        }
    }

    /** The smallest RESP2 client: commands as arrays of bulk strings, replies parsed. */
    static final class Resp implements Closeable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        Resp(int port) throws IOException {
            this(port, 5_000, 300_000); // a replica loading an RDB answers only after the load
        }

        /** With other timeouts: a client that must notice a killed server at once. */
        Resp(int port, int connectTimeoutMs, int readTimeoutMs) throws IOException {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(HOST, port), connectTimeoutMs);
            socket.setSoTimeout(readTimeoutMs);
            in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
            out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
        }

        Object call(String... args) throws IOException {
            byte[][] a = new byte[args.length][];
            for (int i = 0; i < args.length; i++) {
                a[i] = args[i].getBytes(StandardCharsets.UTF_8);
            }
            write(a);
            flush();
            Object r = read();
            if (r instanceof RespError e) {
                throw new IOException(String.join(" ", args) + " -> " + e.message());
            }
            return r;
        }

        void write(byte[][] args) throws IOException {
            out.write(('*' + Integer.toString(args.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            for (byte[] a : args) {
                out.write(('$' + Integer.toString(a.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(a);
                out.write('\r');
                out.write('\n');
            }
        }

        void flush() throws IOException {
            out.flush();
        }

        Object read() throws IOException {
            int type = in.read();
            String line = readLine();
            switch (type) {
                case '+':
                    return line;
                case '-':
                    return new RespError(line);
                case ':':
                    return Long.parseLong(line);
                case '$': {
                    int n = Integer.parseInt(line);
                    if (n < 0) {
                        return null;
                    }
                    byte[] b = in.readNBytes(n);
                    readLine();
                    return new String(b, StandardCharsets.UTF_8);
                }
                case '*': {
                    int n = Integer.parseInt(line);
                    Object[] items = new Object[Math.max(0, n)];
                    for (int i = 0; i < n; i++) {
                        items[i] = read();
                    }
                    return items;
                }
                default:
                    throw new IOException("unexpected RESP type " + type);
            }
        }

        private String readLine() throws IOException {
            StringBuilder sb = new StringBuilder();
            int c;
            while ((c = in.read()) != '\r') {
                if (c < 0) {
                    throw new IOException("connection closed");
                }
                sb.append((char) c);
            }
            in.read(); // \n
            return sb.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }

        record RespError(String message) {
        }
    }

    // ---------------------------------------------------------------------------------------
    // Measurements

    static void load(Node node, int keys, int valueSize, Map<String, Object> out) throws Exception {
        long t0 = System.nanoTime();
        node.bulkLoad(keys, valueSize);
        long t1 = System.nanoTime();
        Info i = node.info();
        out.put("keys", keys);
        out.put("load_s", fmt((t1 - t0) / 1e9));
        out.put("keys_per_s", Math.round(keys / ((t1 - t0) / 1e9)));
        out.put("offset", i.offset());
        log("%s: loaded %d keys in %.1f s, offset %d", node.name(), keys, (t1 - t0) / 1e9, i.offset());
    }

    /** Failed polls of a replica's view (see {@link #poll}); printed as view_errors. */
    static final AtomicLong VIEW_ERRORS = new AtomicLong();

    /**
     * A replica's view, or null when asking failed. A ReplCache replica builds its view on its link
     * thread and gives up after 5 s ("replication link is not answering": HTTP 500, gRPC INTERNAL)
     * while that thread loads a large snapshot; a poller counts that and asks again.
     */
    static Info poll(Node node) {
        try {
            return node.info();
        } catch (IOException e) {
            if (Thread.currentThread().isInterrupted()) {
                return null; // a sampler being stopped, not a failure of the node
            }
            if (VIEW_ERRORS.incrementAndGet() <= 5) {
                log("%s: view failed: %s", node.name(), e.getMessage());
            }
            return null;
        }
    }

    /** Phases of one full sync, as a poller sees them from the replica. */
    static final class SyncWatch {
        final long startNanos;
        long syncSeenNanos = -1;
        long upNanos = -1;
        long caughtUpNanos = -1;

        SyncWatch(long startNanos) {
            this.startNanos = startNanos;
        }

        /** Polls until the link is up (and, if {@code untilEqual}, offsets are equal). */
        void await(Node master, Node replica, boolean untilEqual, long pollNanos) throws Exception {
            while (true) {
                Info r = poll(replica);
                if (r == null) {
                    if (System.nanoTime() - startNanos > POLL_TIMEOUT_NANOS) {
                        throw new IllegalStateException(replica.name() + " did not sync in 20 minutes");
                    }
                    continue;
                }
                if (syncSeenNanos < 0 && "sync".equals(r.link())) {
                    syncSeenNanos = r.nanos();
                }
                if ("up".equals(r.link())) {
                    if (upNanos < 0) {
                        upNanos = r.nanos();
                    }
                    if (!untilEqual) {
                        return;
                    }
                    if (r.offset() == master.info().offset()) {
                        caughtUpNanos = r.nanos();
                        return;
                    }
                }
                if (System.nanoTime() - startNanos > POLL_TIMEOUT_NANOS) {
                    throw new IllegalStateException(replica.name() + " did not sync in 20 minutes: " + r);
                }
                TimeUnit.NANOSECONDS.sleep(pollNanos);
            }
        }
    }

    static void fullSync(Node master, Node replica, boolean again, Map<String, Object> out) throws Exception {
        if (again) {
            replica.promote();
        }
        Counters before = master.counters();
        long masterOffset = master.info().offset();
        SyncWatch w = new SyncWatch(System.nanoTime());
        replica.replicaOf(HOST, master.replicationPort());
        w.await(master, replica, true, TimeUnit.MILLISECONDS.toNanos(5));
        Counters after = master.counters();
        long snapshotBytes = master.newSnapshotBytes(before, after);
        double seconds = (w.caughtUpNanos - w.startNanos) / 1e9;
        out.put("sync_s", fmt(seconds));
        out.put("first_sync_state_s", fmt(w.syncSeenNanos < 0 ? -1 : (w.syncSeenNanos - w.startNanos) / 1e9));
        out.put("link_up_s", fmt((w.upNanos - w.startNanos) / 1e9));
        out.put("snapshot_bytes", snapshotBytes);
        out.put("mb_per_s", fmt(snapshotBytes / 1e6 / seconds));
        out.put("sync_full_delta", after.syncFull() - before.syncFull());
        out.put("master_offset", masterOffset);
        log("%s full sync from %s: %.2f s, %d snapshot bytes (%.1f MB/s)", replica.name(), master.name(), seconds,
                snapshotBytes, snapshotBytes / 1e6 / seconds);
    }

    static void throughput(Node master, Node replica, int clients, long requests, int valueSize, int keyspace,
                           Map<String, Object> out) throws Exception {
        Load idle = master.setLoad(clients, requests, valueSize, keyspace, true);
        log("%s idle: %.0f ops/s p50 %.3f ms p99 %.3f ms", master.name(), idle.opsPerSec(), idle.p50Ms(), idle.p99Ms());
        Counters before = master.counters();
        // REPLICAOF, then the same load at once: the sync (snapshot/fork, transfer, load) runs under it.
        SyncWatch w = new SyncWatch(System.nanoTime());
        replica.replicaOf(HOST, master.replicationPort());
        Thread watcher = new Thread(() -> {
            try {
                w.await(master, replica, false, TimeUnit.MILLISECONDS.toNanos(5));
            } catch (Exception e) {
                log("watching the sync failed: %s", e);
            }
        });
        watcher.start();
        Load sync = master.setLoad(clients, requests, valueSize, keyspace, false);
        log("%s during sync: %.0f ops/s p50 %.3f ms p99 %.3f ms", master.name(), sync.opsPerSec(), sync.p50Ms(),
                sync.p99Ms());
        watcher.join();
        SyncWatch caught = new SyncWatch(w.startNanos);
        caught.await(master, replica, true, TimeUnit.MILLISECONDS.toNanos(5));
        Counters after = master.counters();
        long syncEnd = w.upNanos;
        long overlap = Math.max(0, Math.min(sync.endNanos(), syncEnd) - Math.max(sync.startNanos(), w.startNanos));
        out.put("requests", requests);
        out.put("clients", clients);
        out.put("idle_ops", Math.round(idle.opsPerSec()));
        out.put("idle_p50_ms", fmt(idle.p50Ms()));
        out.put("idle_p99_ms", fmt(idle.p99Ms()));
        out.put("sync_ops", Math.round(sync.opsPerSec()));
        out.put("sync_p50_ms", fmt(sync.p50Ms()));
        out.put("sync_p99_ms", fmt(sync.p99Ms()));
        out.put("ratio", fmt(sync.opsPerSec() / idle.opsPerSec()));
        out.put("errors", idle.errors() + sync.errors());
        out.put("load_s", fmt((sync.endNanos() - sync.startNanos()) / 1e9));
        out.put("sync_up_s", fmt((syncEnd - w.startNanos) / 1e9));
        out.put("overlap_pct", Math.round(100.0 * overlap / (sync.endNanos() - sync.startNanos())));
        out.put("sync_full_delta", after.syncFull() - before.syncFull());
        out.put("snapshot_bytes", master.newSnapshotBytes(before, after));
    }

    /** One sample of one replica: when, its own offset, and the master's offsets around it. */
    record Sample(long nanos, int replica, long offset) {
    }

    static void lag(Node master, int clients, long requests, int valueSize, int keyspace, List<Node> replicas,
                    Map<String, Object> out) throws Exception {
        if (master instanceof RcNode) { // warm the client up before sampling, as GrpcLoadGenerator does
            master.setLoad(clients, Math.min(requests / 10, 50_000), valueSize, keyspace, false);
        }
        for (Node r : replicas) { // start from caught-up replicas
            new SyncWatch(System.nanoTime()).await(master, r, true, TimeUnit.MILLISECONDS.toNanos(5));
        }
        List<Sample> samples = new ArrayList<>();
        List<long[]> masterSamples = new ArrayList<>(); // {nanos, offset}
        List<Long> ackLagBytes = new ArrayList<>();
        List<Long> ackLagMs = new ArrayList<>();
        List<Long> tickNanos = new ArrayList<>();
        long period = TimeUnit.MILLISECONDS.toNanos(10);
        Thread sampler = new Thread(() -> {
            long next = System.nanoTime();
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    long now = System.nanoTime();
                    if (now < next) {
                        TimeUnit.NANOSECONDS.sleep(next - now);
                    }
                    next += period;
                    if (System.nanoTime() > next) { // a slow sample: skip the ticks it overran
                        next = System.nanoTime() + period;
                    }
                    long tick = System.nanoTime();
                    List<Sample> batch = new ArrayList<>();
                    for (int i = 0; i < replicas.size(); i++) { // replicas first, then the master
                        Info r = poll(replicas.get(i));
                        if (r != null) {
                            batch.add(new Sample(r.nanos(), i, r.offset()));
                        }
                    }
                    Info m = master.info();
                    synchronized (samples) {
                        tickNanos.add(tick);
                        samples.addAll(batch);
                        masterSamples.add(new long[] {m.midNanos(), m.offset()});
                        for (int i = 0; i < m.ackOffsets().length; i++) {
                            ackLagBytes.add(m.ackLagBytes()[i]);
                            ackLagMs.add(m.ackLagMs()[i]);
                        }
                    }
                }
            } catch (InterruptedException e) {
                // stop
            } catch (IOException e) {
                if (!Thread.currentThread().isInterrupted()) { // an interrupted HTTP call is the stop
                    log("sampler failed: %s", e);
                }
            }
        });
        long samplerStart = System.nanoTime();
        sampler.start();
        Load load = master.setLoad(clients, requests, valueSize, keyspace, false);
        sampler.interrupt();
        sampler.join();
        List<Sample> rs;
        List<long[]> ms;
        synchronized (samples) {
            rs = new ArrayList<>(samples);
            ms = new ArrayList<>(masterSamples);
        }
        // Only samples while the load ran.
        List<Long> lagBytes = new ArrayList<>();
        List<Long> lagMs = new ArrayList<>();
        StringBuilder csv = new StringBuilder("t_ms,replica,replica_offset,master_offset,lag_bytes,lag_ms\n");
        for (Sample s : rs) {
            if (s.nanos() < load.startNanos() || s.nanos() > load.endNanos()) {
                continue;
            }
            Double m = masterOffsetAt(ms, s.nanos());
            if (m == null) {
                continue;
            }
            long b = Math.max(0, Math.round(m - s.offset()));
            long l = Math.round(Math.max(0, s.nanos() - producedAt(ms, s.offset())) / 1e6);
            lagBytes.add(b);
            lagMs.add(l);
            csv.append(String.format(Locale.ROOT, "%.1f,%d,%d,%.0f,%d,%d%n", (s.nanos() - load.startNanos()) / 1e6,
                    s.replica(), s.offset(), m, b, l));
        }
        String samplesFile = System.getenv("REPLBENCH_SAMPLES"); // the time series, for a closer look
        if (samplesFile != null && !samplesFile.isEmpty()) {
            Files.writeString(Path.of(samplesFile), csv);
        }
        out.put("replicas", replicas.size());
        out.put("requests", requests);
        out.put("load_ops", Math.round(load.opsPerSec()));
        out.put("samples", lagBytes.size());
        out.put("sample_interval_ms", fmt(tickNanos.size() < 2 ? 0
                : (double) (tickNanos.get(tickNanos.size() - 1) - tickNanos.get(0)) / (tickNanos.size() - 1) / 1e6));
        out.put("lag_bytes_p50", pct(lagBytes, 50));
        out.put("lag_bytes_p99", pct(lagBytes, 99));
        out.put("lag_bytes_max", pct(lagBytes, 100));
        out.put("lag_ms_p50", pct(lagMs, 50));
        out.put("lag_ms_p99", pct(lagMs, 99));
        out.put("lag_ms_max", pct(lagMs, 100));
        // The master's own view (ReplCache: from acks every ack-interval; Redis: REPLCONF ACK every 1 s).
        out.put("ack_lag_bytes_p50", pct(ackLagBytes, 50));
        out.put("ack_lag_bytes_p99", pct(ackLagBytes, 99));
        out.put("ack_lag_ms_p50", master instanceof RcNode ? pct(ackLagMs, 50) : "n/a");
        out.put("ack_lag_ms_p99", master instanceof RcNode ? pct(ackLagMs, 99) : "n/a");
        out.put("sampler_lead_ms", fmt((load.startNanos() - samplerStart) / 1e6));
    }

    /** The master's offset at {@code t}, interpolated between the samples around it. */
    static Double masterOffsetAt(List<long[]> ms, long t) {
        for (int j = 1; j < ms.size(); j++) {
            long[] a = ms.get(j - 1);
            long[] b = ms.get(j);
            if (a[0] <= t && t <= b[0]) {
                return a[1] + (double) (b[1] - a[1]) * (t - a[0]) / Math.max(1, b[0] - a[0]);
            }
        }
        return null;
    }

    /**
     * When the master produced the first byte at or after {@code offset} (the oldest byte a replica
     * at that offset lacks): interpolated between the two master samples around the crossing.
     * Long.MAX_VALUE when no sample shows the master past it (the replica lacks nothing).
     */
    static long producedAt(List<long[]> ms, long offset) {
        for (int j = 0; j < ms.size(); j++) {
            long[] b = ms.get(j);
            if (b[1] > offset) {
                if (j == 0) {
                    return b[0];
                }
                long[] a = ms.get(j - 1);
                return a[0] + Math.round((double) (b[0] - a[0]) * (offset - a[1]) / Math.max(1, b[1] - a[1]));
            }
        }
        return Long.MAX_VALUE;
    }

    static String pct(List<Long> values, double p) {
        if (values.isEmpty()) {
            return "n/a";
        }
        long[] v = values.stream().mapToLong(Long::longValue).sorted().toArray();
        int i = (int) Math.ceil(p / 100.0 * v.length) - 1;
        return Long.toString(v[Math.max(0, Math.min(v.length - 1, i))]);
    }

    static void catchUp(Node master, Node replica, String method, long cutMs, long writes, int clients, int valueSize,
                        int keyspace, Map<String, Object> out) throws Exception {
        // Warm the writer up (these writes replicate normally), so that the writes fit in the cut,
        // and start from a caught-up replica.
        master.setLoad(clients, 20_000, valueSize, keyspace, false);
        new SyncWatch(System.nanoTime()).await(master, replica, true, TimeUnit.MILLISECONDS.toNanos(5));
        Counters before = master.counters();
        long cutAt = System.nanoTime();
        switch (method.split(":")[0]) {
            case "disconnect" -> replica.disconnect();
            case "deadport" -> replica.replicaOf(HOST, Integer.parseInt(method.split(":")[1]));
            case "noone" -> replica.promote();
            default -> throw new IllegalArgumentException("method: disconnect | deadport:PORT | noone");
        }
        // ReplCache's replica reconnects by itself after its reconnect delay: from the cut on, a
        // watcher polls it (about every 1-3 ms) for the link going down and coming back
        // (connecting, sync or up), while the writes run.
        long[] downBack = {-1, -1}; // last poll that saw the link down, first later poll that did not
        AtomicReference<Exception> watchFailure = new AtomicReference<>();
        Thread watcher = new Thread(() -> {
            try {
                while (true) {
                    Info r = poll(replica);
                    if (r == null) {
                        continue;
                    }
                    if ("down".equals(r.link())) {
                        downBack[0] = r.nanos();
                    } else if (downBack[0] >= 0) {
                        downBack[1] = r.nanos();
                        return;
                    }
                    if (downBack[0] < 0 && System.nanoTime() - cutAt > TimeUnit.SECONDS.toNanos(5)) {
                        throw new IllegalStateException("the link never went down after the disconnect: " + r);
                    }
                    if (System.nanoTime() - cutAt > TimeUnit.SECONDS.toNanos(60)) {
                        throw new IllegalStateException("the replica did not come back in 60 s: " + r);
                    }
                    Thread.sleep(1);
                }
            } catch (Exception e) {
                watchFailure.set(e);
            }
        });
        boolean selfReconnecting = method.equals("disconnect");
        if (selfReconnecting) {
            watcher.start();
        }
        Load w = master.setLoad(clients, writes, valueSize, keyspace, false);
        long writesDone = System.nanoTime();
        long reconnectAt;
        long lastDown = -1;
        long firstBack = -1;
        if (selfReconnecting) {
            watcher.join();
            if (watchFailure.get() != null) {
                throw watchFailure.get();
            }
            lastDown = downBack[0];
            firstBack = downBack[1];
            // The reconnect happened between the last poll that saw the link down and the first
            // that did not: time catch-up from the former (an upper bound; the lower one is also printed).
            reconnectAt = lastDown;
        } else {
            long due = cutAt + TimeUnit.MILLISECONDS.toNanos(cutMs);
            while (System.nanoTime() < due) {
                Thread.sleep(1);
            }
            reconnectAt = System.nanoTime();
            replica.replicaOf(HOST, master.replicationPort());
        }
        SyncWatch caught = new SyncWatch(reconnectAt);
        caught.await(master, replica, true, TimeUnit.MILLISECONDS.toNanos(1));
        Counters after = master.counters();
        out.put("method", method);
        out.put("writes", writes);
        out.put("writes_s", fmt((writesDone - cutAt) / 1e9));
        out.put("write_errors", w.errors());
        out.put("cut_s", fmt((reconnectAt - cutAt) / 1e9));
        out.put("writes_within_cut", writesDone <= reconnectAt ? "yes" : "no");
        out.put("catchup_ms", fmt(ms(caught.caughtUpNanos - reconnectAt)));
        if (firstBack >= 0) { // the reconnect happened between the last "down" poll and the first later one
            out.put("catchup_ms_from_first_back", fmt(ms(caught.caughtUpNanos - firstBack)));
        }
        out.put("cut_to_caught_up_s", fmt((caught.caughtUpNanos - cutAt) / 1e9));
        // When the writes outlast the cut, the replica cannot be caught up before they end.
        out.put("catchup_after_last_write_ms", fmt(ms(caught.caughtUpNanos - Math.max(reconnectAt, writesDone))));
        out.put("sync_full_delta", after.syncFull() - before.syncFull());
        out.put("sync_partial_ok_delta", after.syncPartialOk() - before.syncPartialOk());
        out.put("new_snapshot_bytes", master.newSnapshotBytes(before, after));
        out.put("repl_bytes_out_delta", after.replBytesOut() - before.replBytesOut());
        out.put("partial", after.syncPartialOk() > before.syncPartialOk() && after.syncFull() == before.syncFull()
                && master.newSnapshotBytes(before, after) == 0 ? "yes" : "no");
    }
}
