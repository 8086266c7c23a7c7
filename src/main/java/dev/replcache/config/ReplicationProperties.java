package dev.replcache.config;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Replication under {@code replcache.replication.*}, with Redis's names where Redis has one.
 *
 * @param master            {@code host:port} of the master's gRPC endpoint; empty = this node starts as a master
 * @param backlogSize       replication backlog ring (Redis's {@code repl-backlog-size})
 * @param ackInterval       how often a replica acks its offset
 * @param timeout           a silent link is dead after this long, on either side (Redis's {@code repl-timeout})
 * @param pingInterval      master heartbeat to replicas (Redis's {@code repl-ping-replica-period})
 * @param snapshotChunkSize largest snapshot chunk on the wire
 * @param entriesBatchSize  largest batch of stream bytes on the wire
 * @param reconnectMinDelay first reconnect delay of a replica; doubles per failure
 * @param reconnectMaxDelay cap of the reconnect delay
 * @param maxFrameSize      largest stream entry a replica accepts
 * @param syncBufferLimit   how far the backlog may grow to keep the stream from a snapshot's offset
 *                          during a full sync; past it the sync is abandoned and retried (Redis's
 *                          {@code client-output-buffer-limit replica})
 * @param authToken         shared secret replicas must present (Redis's {@code masterauth}); empty = none
 * @param tls               TLS (and a client certificate) for this node's link to its master
 * @param announceAddress   {@code host:port} this node announces to its master; empty = its gRPC address
 * @param tickInterval      how often the node drives timers (acks, pings, timeouts, reconnects)
 * @param minReplicasToWrite refuse client writes unless this many replicas acked within
 *                          {@code minReplicasMaxLag} (Redis's {@code min-replicas-to-write}); 0 = off
 * @param minReplicasMaxLag how recent a replica's last ack must be to count (Redis's {@code min-replicas-max-lag})
 * @param maxWaitTimeout    longest a WAIT may block; a WAIT with timeout 0 waits this long
 * @param adminToken        when set, changing roles (REPLICAOF, REPLICAOF NO ONE, FAILOVER, dropping
 *                          the master link) over HTTP and gRPC needs {@code Authorization: Bearer
 *                          <admin-token>}, and the client token does not suffice; empty = the client
 *                          tokens cover them as every other call
 * @param handshakeTimeout  a replication stream must send Hello and PSYNC within this, or it is closed
 * @param maxReplicas       replication streams this node serves at once (handshakes included); more
 *                          are refused with RESOURCE_EXHAUSTED. Each may hold up to a snapshot chunk
 *                          or an entries batch plus gRPC's buffer, so this bounds their memory
 * @param failoverTimeout   default time a FAILOVER waits for its target before aborting
 * @param failoverMaxTimeout the longest timeout a FAILOVER request may ask for (writes are paused
 *                          meanwhile); longer ones are refused
 * @param allowEmptyResync  let a master of another history with an empty dataset (or one under
 *                          {@code min-resync-keys-ratio} of ours) replace this replica's data (off:
 *                          such a full resync is refused, no silent wipe)
 * @param minResyncKeysRatio a master of another history must hold at least this share of this
 *                          replica's keys for its full resync to be taken; 0 = only an empty one is refused
 * @param allowRewindingResync let a master that holds this replica's history only up to an offset
 *                          below the replica's (one restarted from an older dump, or a lagging node
 *                          promoted) take back the writes past it (off: such a full resync is
 *                          refused, no silent rewind)
 * @param slowReplica       what a master does about a replica that cannot keep up
 * @param maxHelloFieldSize longest field (replica id, announced address, auth token) a replica's
 *                          Hello may carry; a longer one ends its stream with INVALID_ARGUMENT. The
 *                          fields go into the master's log and its topology, so a peer must not
 *                          choose their size (a 20 MiB Hello added 40 MiB of log)
 * @param shutdownTimeout   at a clean shutdown, how long client writes are refused while the node
 *                          waits for its replicas to ack its last offset (Redis's {@code shutdown-timeout})
 */
@Validated
@ConfigurationProperties("replcache.replication")
public record ReplicationProperties(
        @DefaultValue("") String master,
        @DefaultValue("16MB") @NotNull DataSize backlogSize,
        @DefaultValue("1s") @NotNull Duration ackInterval,
        @DefaultValue("60s") @NotNull Duration timeout,
        @DefaultValue("1s") @NotNull Duration pingInterval,
        @DefaultValue("1MB") @NotNull DataSize snapshotChunkSize,
        @DefaultValue("256KB") @NotNull DataSize entriesBatchSize,
        @DefaultValue("100ms") @NotNull Duration reconnectMinDelay,
        @DefaultValue("5s") @NotNull Duration reconnectMaxDelay,
        @DefaultValue("64MB") @NotNull DataSize maxFrameSize,
        @DefaultValue("64MB") @NotNull DataSize syncBufferLimit,
        @DefaultValue("") String authToken,
        @DefaultValue @Valid Tls tls,
        @DefaultValue("") String announceAddress,
        @DefaultValue("100ms") @NotNull Duration tickInterval,
        @DefaultValue("0") int minReplicasToWrite,
        @DefaultValue("10s") @NotNull Duration minReplicasMaxLag,
        @DefaultValue("60s") @NotNull Duration maxWaitTimeout,
        @DefaultValue("") String adminToken,
        @DefaultValue("5s") @NotNull Duration handshakeTimeout,
        @DefaultValue("64") int maxReplicas,
        @DefaultValue("10s") @NotNull Duration failoverTimeout,
        @DefaultValue("60s") @NotNull Duration failoverMaxTimeout,
        @DefaultValue("false") boolean allowEmptyResync,
        @DefaultValue("0.01") double minResyncKeysRatio,
        @DefaultValue("false") boolean allowRewindingResync,
        @DefaultValue @NotNull SlowReplica slowReplica,
        @DefaultValue("10s") @NotNull Duration shutdownTimeout,
        @DefaultValue("1KB") @NotNull DataSize maxHelloFieldSize) {

    public ReplicationProperties {
        master = master == null ? "" : master.trim();
        authToken = authToken == null ? "" : authToken;
        adminToken = adminToken == null ? "" : adminToken;
        announceAddress = announceAddress == null ? "" : announceAddress.trim();
        if (!master.isEmpty()) {
            HostPort.parse(master, "replcache.replication.master");
        }
        requireRange(backlogSize, 1024, Integer.MAX_VALUE - 8, "backlog-size");
        requireRange(snapshotChunkSize, 1024, 3L << 20, "snapshot-chunk-size"); // under gRPC's 4 MiB default
        requireRange(entriesBatchSize, 1024, 3L << 20, "entries-batch-size");
        requireRange(maxFrameSize, 1024, Integer.MAX_VALUE - 8, "max-frame-size");
        requireRange(syncBufferLimit, 0, Integer.MAX_VALUE - 8, "sync-buffer-limit");
        requireRange(maxHelloFieldSize, 64, 1L << 20, "max-hello-field-size");
        requirePositive(ackInterval, "ack-interval");
        requirePositive(timeout, "timeout");
        requirePositive(pingInterval, "ping-interval");
        requirePositive(reconnectMinDelay, "reconnect-min-delay");
        requirePositive(tickInterval, "tick-interval");
        requirePositive(minReplicasMaxLag, "min-replicas-max-lag");
        requirePositive(maxWaitTimeout, "max-wait-timeout");
        requirePositive(failoverTimeout, "failover-timeout");
        requirePositive(handshakeTimeout, "handshake-timeout");
        if (maxReplicas < 1) {
            throw new IllegalArgumentException("replcache.replication.max-replicas must be >= 1, got " + maxReplicas);
        }
        requirePositive(failoverMaxTimeout, "failover-max-timeout");
        if (failoverTimeout != null && failoverMaxTimeout != null && failoverTimeout.compareTo(failoverMaxTimeout) > 0) {
            throw new IllegalArgumentException("replcache.replication.failover-timeout must be <= failover-max-timeout");
        }
        if (minReplicasToWrite < 0) {
            throw new IllegalArgumentException("replcache.replication.min-replicas-to-write must be >= 0, got "
                    + minReplicasToWrite);
        }
        if (shutdownTimeout != null && shutdownTimeout.isNegative()) {
            throw new IllegalArgumentException("replcache.replication.shutdown-timeout must be >= 0, got " + shutdownTimeout);
        }
        if (reconnectMaxDelay != null && reconnectMinDelay != null && reconnectMaxDelay.compareTo(reconnectMinDelay) < 0) {
            throw new IllegalArgumentException("replcache.replication.reconnect-max-delay must be >= reconnect-min-delay");
        }
    }

    private static void requireRange(DataSize size, long min, long max, String name) {
        if (size != null && (size.toBytes() < min || size.toBytes() > max)) {
            throw new IllegalArgumentException("replcache.replication." + name + " must be between " + min + " and "
                    + max + " bytes, got " + size);
        }
    }

    private static void requirePositive(Duration d, String name) {
        if (d != null && (d.isNegative() || d.isZero())) {
            throw new IllegalArgumentException("replcache.replication." + name + " must be > 0, got " + d);
        }
    }

    /**
     * {@code replcache.replication.slow-replica.*}: the master's policy for a replica that cannot
     * keep up. Lag is the master's offset minus the replica's acked offset.
     *
     * @param policy           {@code disconnect} (Redis's output buffer limit) or {@code throttle}
     * @param hardLimit        disconnect: drop a replica this far behind at once; 0 = off
     * @param softLimit        disconnect: drop a replica this far behind for {@code softSeconds}; 0 = off
     * @param softSeconds      see {@code softLimit}
     * @param throttleStart    throttle: slow writers once a replica is this far behind; the delay
     *                         grows linearly to {@code throttleMaxDelay} at twice this lag
     * @param throttleMaxDelay throttle: the most a write's response is held
     */
    public record SlowReplica(
            @DefaultValue("disconnect") String policy,
            @DefaultValue("256MB") @NotNull DataSize hardLimit,
            @DefaultValue("64MB") @NotNull DataSize softLimit,
            @DefaultValue("60s") @NotNull Duration softSeconds,
            @DefaultValue("8MB") @NotNull DataSize throttleStart,
            @DefaultValue("50ms") @NotNull Duration throttleMaxDelay) {

        public SlowReplica {
            policy = policy == null ? "disconnect" : policy;
            dev.replcache.replication.SlowReplicaPolicy.Mode.parse(policy);
            if (throttleStart != null && throttleStart.toBytes() < 1) {
                throw new IllegalArgumentException("replcache.replication.slow-replica.throttle-start must be > 0");
            }
        }

        public dev.replcache.replication.SlowReplicaPolicy toPolicy() {
            return new dev.replcache.replication.SlowReplicaPolicy(
                    dev.replcache.replication.SlowReplicaPolicy.Mode.parse(policy), hardLimit.toBytes(),
                    softLimit.toBytes(), softSeconds.toMillis(), throttleStart.toBytes(), throttleMaxDelay.toMillis());
        }
    }

    /** A {@code host:port} pair. */
    public record HostPort(String host, int port) {

        /** A DNS name (RFC 1123 labels; '_' allowed, as some resolvers do) or an IPv4 literal. */
        private static final java.util.regex.Pattern HOSTNAME = java.util.regex.Pattern.compile(
                "[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\\.?");
        /** An IPv6 literal, without brackets, with an optional zone. */
        private static final java.util.regex.Pattern IPV6 = java.util.regex.Pattern.compile(
                "[0-9A-Fa-f:.]{2,45}(?:%[A-Za-z0-9_.-]{1,32})?");

        public HostPort {
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("host must not be empty");
            }
            boolean valid = host.length() <= 253
                    && (host.contains(":") ? IPV6.matcher(host).matches() : HOSTNAME.matcher(host).matches());
            if (!valid) {
                throw new IllegalArgumentException("host must be a DNS name or an IP address, got '"
                        + LogText.escape(host, 100) + "'");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port must be between 1 and 65535, got " + port);
            }
        }

        /** Parses {@code host:port} (or {@code [v6]:port}); the message names {@code property}. */
        public static HostPort parse(String text, String property) {
            int colon = text.lastIndexOf(':');
            if (colon <= 0 || colon == text.length() - 1) {
                throw new IllegalArgumentException(property + " must be host:port, got '" + LogText.escape(text, 100) + "'");
            }
            String host = text.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            try {
                return new HostPort(host, Integer.parseInt(text.substring(colon + 1)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(property + " must be host:port, got '" + LogText.escape(text, 100) + "': "
                        + e.getMessage());
            }
        }

        @Override
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }

    }

    /**
     * TLS for the replica's link to its master under {@code replcache.replication.tls.*}, from
     * PEM files checked at start (a bad file stops the start with a message naming the property).
     *
     * @param enabled    connect to the master over TLS (the master must have {@code replcache.grpc.tls.enabled})
     * @param trustCerts PEM file: the CA certificates the master's certificate must chain to;
     *                   empty = the JVM's default trust store (public CAs)
     * @param certChain  PEM file: this replica's client certificate (then intermediates), for a
     *                   master that requires client certificates; empty = none
     * @param privateKey PEM file: the client certificate's unencrypted PKCS#8 private key
     * @param authority  the name the master's certificate must carry, when it differs from the
     *                   host in {@code master} (for example a master reached by IP whose certificate
     *                   names {@code replcache-master}); empty = that host
     */
    public record Tls(
            @DefaultValue("false") boolean enabled,
            @DefaultValue("") String trustCerts,
            @DefaultValue("") String certChain,
            @DefaultValue("") String privateKey,
            @DefaultValue("") String authority) {

        private static final String PREFIX = "replcache.replication.tls.";

        public Tls {
            trustCerts = trustCerts == null ? "" : trustCerts.trim();
            certChain = certChain == null ? "" : certChain.trim();
            privateKey = privateKey == null ? "" : privateKey.trim();
            authority = authority == null ? "" : authority.trim();
            if (enabled) {
                if (!trustCerts.isEmpty()) {
                    PemFiles.certificates(Path.of(trustCerts), PREFIX + "trust-certs");
                }
                if (certChain.isEmpty() != privateKey.isEmpty()) {
                    throw new IllegalArgumentException(PREFIX + "cert-chain and " + PREFIX
                            + "private-key go together (a client certificate and its key); one of them is empty");
                }
                if (!certChain.isEmpty()) {
                    PemFiles.requireKeyPair(PREFIX, Path.of(certChain), Path.of(privateKey));
                }
                if (!authority.isEmpty() && (authority.contains("/") || authority.contains(" "))) {
                    throw new IllegalArgumentException(PREFIX + "authority must be a host name, got '" + authority + "'");
                }
            }
        }
    }
}
