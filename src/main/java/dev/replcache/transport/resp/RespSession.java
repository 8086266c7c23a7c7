package dev.replcache.transport.resp;

import java.net.SocketAddress;

/**
 * One client connection's state, as Redis's {@code client} struct holds it: id, name, protocol,
 * whether it authenticated, and the offset of its last write (what its WAIT waits for).
 * Read by CLIENT LIST and INFO from other threads, written on the connection's event loop.
 */
final class RespSession {

    final long id;
    final long createdAtMs;
    final SocketAddress remote;
    final SocketAddress local;
    volatile String name = "";
    volatile String libName = "";
    volatile String libVersion = "";
    volatile boolean resp3;
    volatile boolean authenticated;
    /** AUTHed with replcache.replication.admin-token: may change roles (REPLICAOF, FAILOVER). */
    volatile boolean admin;
    volatile long lastCommandAtMs;
    volatile String lastCommand = "NULL";
    /** Stream offset after this client's last write: WAIT waits for replicas to ack it. */
    long lastWriteOffset;
    /** QUIT, or a protocol error: close once the replies so far are written. */
    boolean closeAfterReply;

    RespSession(long id, long nowMs, SocketAddress remote, SocketAddress local, boolean authenticated) {
        this.id = id;
        this.createdAtMs = nowMs;
        this.lastCommandAtMs = nowMs;
        this.remote = remote;
        this.local = local;
        this.authenticated = authenticated;
    }

    /** One line of CLIENT LIST, with Redis's field names (those that mean something here). */
    String describe(long nowMs) {
        return "id=" + id + " addr=" + address(remote) + " laddr=" + address(local) + " name=" + name
                + " age=" + (nowMs - createdAtMs) / 1000 + " idle=" + (nowMs - lastCommandAtMs) / 1000
                + " flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 user=default resp=" + (resp3 ? 3 : 2)
                + " cmd=" + lastCommand + " lib-name=" + libName + " lib-ver=" + libVersion;
    }

    private static String address(SocketAddress a) {
        if (a instanceof java.net.InetSocketAddress i) {
            return i.getAddress().getHostAddress() + ":" + i.getPort();
        }
        return String.valueOf(a);
    }
}
