package dev.replcache.transport.resp;

import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** The connected clients and the counters INFO shows (clients and stats sections). */
final class RespClients {

    private final ConcurrentHashMap<Long, RespSession> sessions = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong(1);
    final LongAdder connectionsReceived = new LongAdder();
    final LongAdder rejectedConnections = new LongAdder();
    final LongAdder commandsProcessed = new LongAdder();
    final LongAdder errorReplies = new LongAdder();
    final LongAdder netInputBytes = new LongAdder();
    final LongAdder netOutputBytes = new LongAdder();
    /** Connections waiting for WAIT or a throttled write (Redis's blocked_clients). */
    final AtomicLong blocked = new AtomicLong();

    long nextId() {
        return nextId.getAndIncrement();
    }

    void add(RespSession s) {
        sessions.put(s.id, s);
    }

    void remove(RespSession s) {
        sessions.remove(s.id);
    }

    int connected() {
        return sessions.size();
    }

    Collection<RespSession> all() {
        return sessions.values();
    }
}
