package dev.replcache.bench;

import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code bench/failover.sh}: automatic failover after {@code kill -9} of the master, ReplCache
 * under {@code failover.mode=lease} (three nodes, fabric8's mock Kubernetes API server in CRUD
 * mode in this JVM) beside Redis with three Sentinels ({@code down-after-milliseconds 5000}), in
 * the same run. Per round: a paced SET load (RESP, one client) on the master, {@code kill -9} of
 * it, the client trying every node until one acknowledges a SET; the failover time is the kill
 * to that first acknowledged write on the new master, and the writes lost are the acknowledged
 * SETs the new master does not have. The killed node is then restarted and rejoins as a replica
 * before the next round.
 *
 * <pre>
 * LeaseFailoverBench system(rc|redis) rounds ratePerSec workDir [jar leaseDuration renewDeadline retryPeriod]
 * </pre>
 * Prints one line per round ({@code round=N failoverMs=.. acked=.. lost=..}) and a summary line.
 */
public final class LeaseFailoverBench {

    private static final String HOST = "127.0.0.1";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** The mock API server logs every request through java.util.logging; held so the level sticks. */
    private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    private LeaseFailoverBench() {
    }

    /** One server: how to start it, where its RESP port is. */
    private interface Server {
        int respPort();

        void start() throws IOException;

        void kill() throws InterruptedException;
    }

    private static final class Proc implements Server {
        final int port;
        final List<String> command;
        final Path log;
        Process process;

        Proc(int port, List<String> command, Path log) {
            this.port = port;
            this.command = command;
            this.log = log;
        }

        @Override
        public int respPort() {
            return port;
        }

        @Override
        public void start() throws IOException {
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        }

        @Override
        public void kill() throws InterruptedException {
            if (process != null) {
                process.destroyForcibly();
                process.waitFor();
            }
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: LeaseFailoverBench rc|redis rounds ratePerSec workDir [jar lease renew retry]");
            System.exit(2);
        }
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
        String system = args[0];
        int rounds = Integer.parseInt(args[1]);
        int rate = Integer.parseInt(args[2]);
        Path work = Path.of(args[3]);
        Files.createDirectories(work);
        List<Proc> servers = new ArrayList<>();
        List<Proc> sentinels = new ArrayList<>();
        KubernetesMockServer api = null;
        try {
            Cluster cluster;
            if (system.equals("rc")) {
                api = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                        new KubernetesCrudDispatcher(), false);
                api.init(InetAddress.getLoopbackAddress(), 0);
                cluster = replcache(servers, work, args[4], api.url("/"), args[5], args[6], args[7]);
            } else {
                cluster = redis(servers, sentinels, work);
            }
            run(system, servers, cluster, rounds, rate);
        } finally {
            for (Proc p : sentinels) {
                p.kill();
            }
            for (Proc p : servers) {
                p.kill();
            }
            if (api != null) {
                api.destroy();
            }
        }
    }

    /** What differs between the two systems: who the master is, when a restarted node is back. */
    private interface Cluster {

        int master() throws Exception;

        boolean rejoined(int node, int master) throws Exception;
    }

    private static Cluster replcache(List<Proc> servers, Path work, String jar, String apiUrl, String lease,
                                     String renew, String retry) throws Exception {
        int[] http = {28281, 28282, 28283};
        int[] grpc = {29291, 29292, 29293};
        int[] resp = {26591, 26592, 26593};
        String peers = String.format("%s:%d,%s:%d,%s:%d", HOST, grpc[0], HOST, grpc[1], HOST, grpc[2]);
        for (int i = 0; i < 3; i++) {
            Path dir = work.resolve("rc" + i);
            Files.createDirectories(dir);
            servers.add(new Proc(resp[i], List.of("java", "-Xmx512m", "-jar", jar,
                    "--server.address=" + HOST, "--server.port=" + http[i],
                    "--replcache.grpc.address=" + HOST, "--replcache.grpc.port=" + grpc[i],
                    "--replcache.resp.address=" + HOST, "--replcache.resp.port=" + resp[i],
                    "--replcache.data-dir=" + dir, "--spring.main.banner-mode=off",
                    "--replcache.failover.mode=lease", "--replcache.failover.name=rc" + i,
                    "--replcache.failover.peers=" + peers, "--replcache.failover.api-url=" + apiUrl,
                    "--replcache.failover.namespace=bench", "--replcache.failover.lease-duration=" + lease,
                    "--replcache.failover.renew-deadline=" + renew, "--replcache.failover.retry-period=" + retry,
                    "--logging.level.io.fabric8=WARN"),
                    work.resolve("rc" + i + ".log")));
        }
        for (Proc p : servers) {
            p.start();
        }
        Cluster c = new Cluster() {
            @Override
            public int master() throws Exception {
                for (int i = 0; i < 3; i++) {
                    JsonNode lease = replication(http[i]).path("lease");
                    if (lease.path("holder").asBoolean() && lease.path("mayWrite").asBoolean()) {
                        return i;
                    }
                }
                return -1;
            }

            @Override
            public boolean rejoined(int node, int master) throws Exception {
                JsonNode r = replication(http[node]);
                return "replica".equals(r.path("role").asString()) && r.path("master").path("port").asInt() == grpc[master]
                        && "up".equals(r.path("master").path("linkStatus").asString());
            }
        };
        awaitSet(c, 120);
        return c;
    }

    private static JsonNode replication(int httpPort) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + HOST + ":" + httpPort
                    + "/v1/replication")).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(r.body());
        } catch (IOException e) {
            return JSON.createObjectNode();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return JSON.createObjectNode();
        }
    }

    private static Cluster redis(List<Proc> servers, List<Proc> sentinels, Path work) throws Exception {
        int[] ports = {26691, 26692, 26693};
        for (int i = 0; i < 3; i++) {
            Path dir = work.resolve("redis" + i);
            Files.createDirectories(dir);
            List<String> cmd = new ArrayList<>(List.of("redis-server", "--bind", HOST, "--port", Integer.toString(ports[i]),
                    "--dir", dir.toString(), "--save", "", "--appendonly", "no"));
            if (i > 0) {
                cmd.addAll(List.of("--replicaof", HOST, Integer.toString(ports[0])));
            }
            servers.add(new Proc(ports[i], cmd, work.resolve("redis" + i + ".log")));
        }
        for (Proc p : servers) {
            p.start();
        }
        int[] sentinelPorts = {26791, 26792, 26793};
        for (int i = 0; i < 3; i++) {
            Path conf = work.resolve("sentinel" + i + ".conf");
            // failover-timeout 10 s: a Sentinel does not retry a failover of the same master within
            // twice it; the rounds are spaced accordingly.
            Files.writeString(conf, "bind " + HOST + "\nport " + sentinelPorts[i] + "\ndir " + work + "\n"
                    + "sentinel monitor mymaster " + HOST + " " + ports[0] + " 2\n"
                    + "sentinel down-after-milliseconds mymaster 5000\n"
                    + "sentinel failover-timeout mymaster 10000\n"
                    + "sentinel parallel-syncs mymaster 1\n");
            Proc s = new Proc(sentinelPorts[i], List.of("redis-server", conf.toString(), "--sentinel"),
                    work.resolve("sentinel" + i + ".log"));
            s.start();
            sentinels.add(s);
        }
        Cluster c = new Cluster() {
            @Override
            public int master() throws Exception {
                for (Proc s : sentinels) {
                    try (ReplicationBench.Resp r = resp(s.port)) {
                        Object a = r.call("SENTINEL", "get-master-addr-by-name", "mymaster");
                        if (a instanceof Object[] l && l.length == 2) {
                            int port = Integer.parseInt(String.valueOf(l[1]));
                            for (int i = 0; i < 3; i++) {
                                if (ports[i] == port && role(ports[i]).equals("master")) {
                                    return i;
                                }
                            }
                        }
                    } catch (IOException e) {
                        // ask the next
                    }
                }
                return -1;
            }

            @Override
            public boolean rejoined(int node, int master) throws Exception {
                String info = info(ports[node]);
                boolean sentinelsSeeIt = true;
                for (Proc s : sentinels) {
                    try (ReplicationBench.Resp r = resp(s.port)) {
                        Object reps = r.call("SENTINEL", "replicas", "mymaster");
                        String all = reps instanceof Object[] arr ? java.util.Arrays.deepToString(arr) : String.valueOf(reps);
                        sentinelsSeeIt &= all.contains(Integer.toString(ports[node])) && !all.contains("s_down");
                    } catch (IOException e) {
                        sentinelsSeeIt = false;
                    }
                }
                return info.contains("role:slave") && info.contains("master_port:" + ports[master])
                        && info.contains("master_link_status:up") && sentinelsSeeIt;
            }
        };
        awaitSet(c, 60);
        return c;
    }

    private static String info(int port) {
        try (ReplicationBench.Resp r = resp(port)) {
            return String.valueOf(r.call("INFO", "replication"));
        } catch (IOException e) {
            return "";
        }
    }

    private static String role(int port) {
        String info = info(port);
        return info.contains("role:master") ? "master" : info.contains("role:slave") ? "replica" : "down";
    }

    /** Waits until there is a master and the two others follow it. */
    private static void awaitSet(Cluster c, int seconds) throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            int m = c.master();
            if (m >= 0 && c.rejoined((m + 1) % 3, m) && c.rejoined((m + 2) % 3, m)) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the set did not form within " + seconds + " s");
    }

    private static void run(String system, List<Proc> servers, Cluster c, int rounds, int rate) throws Exception {
        List<Long> times = new ArrayList<>();
        long lostTotal = 0;
        long ackedTotal = 0;
        long lastKill = 0;
        for (int round = 1; round <= rounds; round++) {
            int master = c.master();
            if (master < 0) {
                throw new IllegalStateException("no master before round " + round);
            }
            if (system.equals("redis")) {
                // A Sentinel does not fail the same master over again within 2 x failover-timeout.
                long wait = lastKill + 21_000 - System.currentTimeMillis();
                if (wait > 0) {
                    Thread.sleep(wait);
                }
            }
            Writer w = new Writer(servers, master, rate, "r" + round + "-");
            Thread t = new Thread(w, "writer");
            t.start();
            Thread.sleep(2_000);
            long killedAt = System.nanoTime();
            lastKill = System.currentTimeMillis();
            w.killed = master;
            w.killedAt = killedAt;
            servers.get(master).kill();
            long deadline = killedAt + 120_000_000_000L;
            while (w.firstAckAfterKill == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            if (w.firstAckAfterKill == 0) {
                w.running.set(false);
                t.join();
                throw new IllegalStateException("round " + round + ": no write acknowledged within 120 s of the kill");
            }
            long failoverMs = (w.firstAckAfterKill - killedAt) / 1_000_000;
            Thread.sleep(1_000);
            w.running.set(false);
            t.join();
            int newMaster = w.newMaster;
            Thread.sleep(500);
            long lost = 0;
            try (ReplicationBench.Resp r = resp(servers.get(newMaster).respPort())) {
                for (String key : w.acked.keySet()) {
                    Object n = r.call("EXISTS", key);
                    if (!Long.valueOf(1).equals(n)) {
                        lost++;
                    }
                }
            }
            times.add(failoverMs);
            lostTotal += lost;
            ackedTotal += w.acked.size();
            System.out.printf(Locale.ROOT, "round=%d system=%s failoverMs=%d acked=%d lost=%d%n", round, system,
                    failoverMs, w.acked.size(), lost);
            System.out.flush();
            servers.get(master).start();
            long rejoinDeadline = System.nanoTime() + 180_000_000_000L;
            while (!c.rejoined(master, newMaster)) {
                if (System.nanoTime() > rejoinDeadline) {
                    throw new IllegalStateException("round " + round + ": the killed node did not rejoin");
                }
                Thread.sleep(200);
            }
        }
        List<Long> sorted = new ArrayList<>(times);
        sorted.sort(null);
        System.out.printf(Locale.ROOT, "summary system=%s rounds=%d failoverMsMedian=%d failoverMsMin=%d failoverMsMax=%d "
                        + "acked=%d lost=%d times=%s%n", system, rounds, sorted.get(sorted.size() / 2), sorted.get(0),
                sorted.get(sorted.size() - 1), ackedTotal, lostTotal,
                times.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(",")));
    }

    /** One client, paced: SET a new key; on an error or a refusal it tries the next node. */
    private static final class Writer implements Runnable {
        final List<Proc> nodes;
        final int rate;
        final String prefix;
        final AtomicBoolean running = new AtomicBoolean(true);
        final Map<String, Integer> acked = new ConcurrentHashMap<>();
        volatile int killed = -1;
        volatile long killedAt;
        volatile long firstAckAfterKill;
        volatile int newMaster = -1;
        int target;

        Writer(List<Proc> nodes, int master, int rate, String prefix) {
            this.nodes = nodes;
            this.target = master;
            this.rate = rate;
            this.prefix = prefix;
        }

        @Override
        public void run() {
            long interval = 1_000_000_000L / rate;
            long next = System.nanoTime();
            ReplicationBench.Resp conn = null;
            int connected = -1;
            for (long seq = 0; running.get(); seq++) {
                LockSupport.parkNanos(next - System.nanoTime());
                next += interval;
                String key = prefix + seq;
                try {
                    if (conn == null || connected != target) {
                        closeQuietly(conn);
                        conn = resp(nodes.get(target).respPort());
                        connected = target;
                    }
                    conn.call("SET", key, "v");
                    acked.put(key, target);
                    if (killed >= 0 && target != killed && firstAckAfterKill == 0) {
                        firstAckAfterKill = System.nanoTime();
                        newMaster = target;
                    }
                } catch (IOException e) {
                    closeQuietly(conn);
                    conn = null;
                    target = (target + 1) % nodes.size();
                    if (target == killed) {
                        target = (target + 1) % nodes.size();
                    }
                    next = System.nanoTime() + 10_000_000L; // 10 ms before the next try
                }
            }
            closeQuietly(conn);
        }
    }

    private static void closeQuietly(Closeable c) {
        try {
            if (c != null) {
                c.close();
            }
        } catch (IOException e) {
            // closing
        }
    }

    /** RESP with short timeouts: a killed server must not hold the writer. */
    private static ReplicationBench.Resp resp(int port) throws IOException {
        return new ReplicationBench.Resp(port, 1_000, 2_000);
    }
}
