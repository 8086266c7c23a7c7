package dev.replcache.transport.resp;

import dev.replcache.keyspace.KeyspaceStats;
import dev.replcache.node.CacheNode;
import dev.replcache.node.Persistence;
import dev.replcache.node.ReplicationView;
import dev.replcache.replication.MasterLink;
import dev.replcache.replication.ReplicaInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * INFO, ROLE and CONFIG GET in Redis's formats, from the node's own views. Replicas are listed
 * at the RESP port they announced (Redis's {@code REPLCONF listening-port}), so that clients that
 * discover a topology from INFO replication or ROLE (Lettuce's MasterReplica) reach them over
 * RESP. On a replica, {@code master_host}/{@code master_port} are its master's replication
 * address (what REPLICAOF and {@code replcache.replication.master} name).
 */
final class RespInfo {

    private static final List<String> DEFAULT_SECTIONS =
            List.of("server", "clients", "memory", "persistence", "stats", "replication", "cpu", "keyspace");

    private final CacheNode node;
    private final Persistence persistence;
    private final RespClients clients;
    private final Map<String, String> config;
    private final IntSupplier port;
    private final LongSupplier wallClockMs;
    private final long startedAtMs;

    RespInfo(CacheNode node, Persistence persistence, RespClients clients, Map<String, String> config, IntSupplier port,
             LongSupplier wallClockMs) {
        this.node = node;
        this.persistence = persistence;
        this.clients = clients;
        this.config = Map.copyOf(config);
        this.port = port;
        this.wallClockMs = wallClockMs;
        this.startedAtMs = wallClockMs.getAsLong();
    }

    /** What CONFIG GET matches against. */
    Map<String, String> config() {
        return config;
    }

    long lastSaveSeconds() {
        Persistence.Saved last = persistence.status().lastSave();
        return (last == null ? startedAtMs : last.savedAtMs()) / 1000;
    }

    /** INFO [section ...]: the default sections, {@code all}/{@code everything}, or the named ones. */
    String render(List<byte[]> args) {
        List<String> sections = new ArrayList<>();
        for (byte[] a : args) {
            String s = new String(a, java.nio.charset.StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
            if (s.equals("all") || s.equals("everything") || s.equals("default")) {
                sections.addAll(DEFAULT_SECTIONS);
            } else {
                sections.add(s);
            }
        }
        if (sections.isEmpty()) {
            sections.addAll(DEFAULT_SECTIONS);
        }
        StringBuilder b = new StringBuilder();
        for (String s : sections.stream().distinct().toList()) {
            int before = b.length();
            switch (s) {
                case "server" -> server(b);
                case "clients" -> clients(b);
                case "memory" -> memory(b);
                case "persistence" -> persistence(b);
                case "stats" -> stats(b);
                case "replication" -> replication(b);
                case "cpu" -> cpu(b);
                case "keyspace" -> keyspace(b);
                default -> {
                    // Redis answers unknown sections with nothing.
                }
            }
            if (b.length() > before) {
                b.append("\r\n");
            }
        }
        if (b.length() >= 2) {
            b.setLength(b.length() - 2);
        }
        return b.toString();
    }

    private static void line(StringBuilder b, String key, Object value) {
        b.append(key).append(':').append(value).append("\r\n");
    }

    private void server(StringBuilder b) {
        long uptimeMs = wallClockMs.getAsLong() - startedAtMs;
        b.append("# Server\r\n");
        line(b, "redis_version", RespCommands.REDIS_VERSION);
        line(b, "replcache_version", version());
        line(b, "redis_mode", "standalone");
        line(b, "os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        line(b, "arch_bits", System.getProperty("sun.arch.data.model", "64"));
        line(b, "process_id", ProcessHandle.current().pid());
        line(b, "run_id", node.nodeId());
        line(b, "tcp_port", port.getAsInt());
        line(b, "server_time_usec", wallClockMs.getAsLong() * 1000);
        line(b, "uptime_in_seconds", uptimeMs / 1000);
        line(b, "uptime_in_days", uptimeMs / 86_400_000);
        line(b, "executable", "java");
    }

    private static String version() {
        String v = RespInfo.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    private void clients(StringBuilder b) {
        b.append("# Clients\r\n");
        line(b, "connected_clients", clients.connected());
        line(b, "cluster_connections", 0);
        line(b, "maxclients", config.get("maxclients"));
        line(b, "blocked_clients", clients.blocked.get());
        line(b, "tracking_clients", 0);
        line(b, "clients_in_timeout_table", 0);
    }

    private void memory(StringBuilder b) {
        long used = node.keyspace().usedMemory();
        b.append("# Memory\r\n");
        line(b, "used_memory", used);
        line(b, "used_memory_human", human(used));
        line(b, "used_memory_dataset", used);
        line(b, "maxmemory", config.get("maxmemory"));
        line(b, "maxmemory_human", human(Long.parseLong(config.get("maxmemory"))));
        line(b, "maxmemory_policy", config.get("maxmemory-policy"));
        line(b, "jvm_heap_used", Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory());
        line(b, "jvm_heap_max", Runtime.getRuntime().maxMemory());
    }

    private void persistence(StringBuilder b) {
        Persistence.Status st = persistence.status();
        b.append("# Persistence\r\n");
        line(b, "loading", 0);
        line(b, "rdb_changes_since_last_save", Math.max(0, st.streamBytesSinceLastSave()));
        line(b, "rdb_bgsave_in_progress", st.inProgress() ? 1 : 0);
        line(b, "rdb_last_save_time", lastSaveSeconds());
        line(b, "rdb_last_bgsave_status", st.lastError() == null ? "ok" : "err");
        line(b, "aof_enabled", 0);
    }

    private void stats(StringBuilder b) {
        KeyspaceStats ks = node.keyspace().stats();
        ReplicationView v = node.replicationView();
        b.append("# Stats\r\n");
        line(b, "total_connections_received", clients.connectionsReceived.sum());
        line(b, "total_commands_processed", clients.commandsProcessed.sum());
        line(b, "total_net_input_bytes", clients.netInputBytes.sum());
        line(b, "total_net_output_bytes", clients.netOutputBytes.sum());
        line(b, "rejected_connections", clients.rejectedConnections.sum());
        line(b, "sync_full", v.stats().syncFull());
        line(b, "sync_partial_ok", v.stats().syncPartialOk());
        line(b, "sync_partial_err", v.stats().syncPartialErr());
        line(b, "expired_keys", ks.expiredKeys());
        line(b, "evicted_keys", ks.evictedKeys());
        line(b, "total_error_replies", clients.errorReplies.sum());
    }

    private void cpu(StringBuilder b) {
        b.append("# CPU\r\n");
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        line(b, "available_processors", os.getAvailableProcessors());
    }

    private void keyspace(StringBuilder b) {
        KeyspaceStats ks = node.keyspace().stats();
        b.append("# Keyspace\r\n");
        if (ks.keys() > 0) {
            line(b, "db0", "keys=" + ks.keys() + ",expires=" + ks.expires() + ",avg_ttl=0");
        }
    }

    /** Replicas with a RESP port, as Redis lists them (ip, port, state, offset, lag in seconds). */
    private List<String[]> replicaLines() {
        List<String[]> out = new ArrayList<>();
        for (ReplicaInfo r : node.master().replicas()) {
            if (r.respPort() <= 0) {
                continue;
            }
            String host = hostOf(r.address());
            String state = switch (r.state()) {
                case HANDSHAKE, WAIT_SNAPSHOT -> "wait_bgsave";
                case SEND_SNAPSHOT -> "send_bulk";
                case ONLINE -> "online";
            };
            out.add(new String[] {host, Integer.toString(r.respPort()), state, Long.toString(Math.max(0, r.ackOffset())),
                    Long.toString(r.lagMs() < 0 ? 0 : r.lagMs() / 1000)});
        }
        return out;
    }

    private static String hostOf(String address) {
        int colon = address.lastIndexOf(':');
        String host = colon > 0 ? address.substring(0, colon) : address;
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return host.isEmpty() ? "127.0.0.1" : host;
    }

    private void replication(StringBuilder b) {
        ReplicationView v = node.replicationView();
        b.append("# Replication\r\n");
        if (v.master() == null) {
            line(b, "role", "master");
        } else {
            ReplicationView.MasterLinkView m = v.master();
            MasterLink link = node.masterLink();
            line(b, "role", "slave");
            line(b, "master_host", m.host());
            line(b, "master_port", m.port());
            line(b, "master_link_status", m.linkStatus().equals("up") ? "up" : "down");
            line(b, "master_last_io_seconds_ago", m.linkStatus().equals("up") ? 0 : -1);
            line(b, "master_sync_in_progress", m.sync().inProgress() ? 1 : 0);
            line(b, "slave_read_repl_offset", v.offset());
            line(b, "slave_repl_offset", v.offset());
            if (m.sync().inProgress()) {
                line(b, "master_sync_total_bytes", m.sync().bytesTotal());
                line(b, "master_sync_read_bytes", m.sync().bytesReceived());
                line(b, "master_sync_left_bytes", m.sync().bytesTotal() - m.sync().bytesReceived());
            }
            if (link != null && !m.linkStatus().equals("up")) {
                line(b, "master_link_down_since_seconds", -1);
            }
            line(b, "slave_priority", 100);
            line(b, "slave_read_only", 1);
            line(b, "replica_announced", 1);
        }
        List<String[]> replicas = replicaLines();
        line(b, "connected_slaves", replicas.size());
        for (int i = 0; i < replicas.size(); i++) {
            String[] r = replicas.get(i);
            line(b, "slave" + i, "ip=" + r[0] + ",port=" + r[1] + ",state=" + r[2] + ",offset=" + r[3] + ",lag=" + r[4]);
        }
        line(b, "master_failover_state", v.failoverState());
        line(b, "master_replid", v.replId());
        line(b, "master_replid2", v.replId2().equals("?") ? "0000000000000000000000000000000000000000" : v.replId2());
        line(b, "master_repl_offset", v.offset());
        line(b, "second_repl_offset", v.secondReplOffset());
        line(b, "repl_backlog_active", 1);
        line(b, "repl_backlog_size", v.backlog().capacityBytes());
        line(b, "repl_backlog_first_byte_offset", v.backlog().firstOffset());
        line(b, "repl_backlog_histlen", v.backlog().sizeBytes());
    }

    /** ROLE: {@code master offset [[ip port offset] ...]} or {@code slave host port state offset}. */
    Reply role() {
        ReplicationView v = node.replicationView();
        if (v.master() == null) {
            List<String[]> replicas = replicaLines();
            long offset = v.offset();
            return w -> {
                w.arrayHeader(3);
                w.bulk("master");
                w.integer(offset);
                w.arrayHeader(replicas.size());
                for (String[] r : replicas) {
                    w.arrayHeader(3);
                    w.bulk(r[0]);
                    w.bulk(r[1]);
                    w.bulk(r[3]);
                }
            };
        }
        ReplicationView.MasterLinkView m = v.master();
        String state = switch (m.linkStatus()) {
            case "up" -> "connected";
            case "sync" -> "sync";
            case "connecting" -> "connecting";
            default -> "connect";
        };
        long offset = v.offset();
        return w -> {
            w.arrayHeader(5);
            w.bulk("slave");
            w.bulk(m.host());
            w.integer(m.port());
            w.bulk(state);
            w.integer(offset);
        };
    }

    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + "B";
        }
        String[] units = {"K", "M", "G", "T"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.2f%s", v, units[u]);
    }
}
