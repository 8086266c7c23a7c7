package dev.replcache.replication.sim;

import dev.replcache.keyspace.Bytes;
import dev.replcache.keyspace.CommandEntry;
import dev.replcache.keyspace.Entry;
import dev.replcache.keyspace.Keyspace;
import dev.replcache.keyspace.KeyspaceConfig;
import dev.replcache.keyspace.KeyspaceRole;
import dev.replcache.keyspace.KeyspaceSnapshot;
import dev.replcache.keyspace.rdb.RdbInfo;
import dev.replcache.keyspace.rdb.RdbReader;
import dev.replcache.keyspace.rdb.RdbWriter;
import dev.replcache.replication.MasterConfig;
import dev.replcache.replication.MasterLink;
import dev.replcache.replication.ReplicaConfig;
import dev.replcache.replication.ReplicaSession;
import dev.replcache.replication.ReplicationId;
import dev.replcache.replication.ReplicationLog;
import dev.replcache.replication.ReplicationMaster;
import dev.replcache.replication.SnapshotSource;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

/**
 * One simulated node: the real keyspace, log, master and link, with in-memory twins of the
 * data directory (snapshots as byte arrays) and of the snapshot writer thread (a pending job
 * the simulation runs at a random later step, so writes land between the cut and the walk).
 *
 * <p>Every node serves replicas (cascading); {@link #link} is null on a master. The simulation
 * wires the ports a node wires in CacheNode (history listener, upstream-in-sync, failover
 * target) after every (re)start, since a restart makes a new log and master.
 */
final class SimNode implements SnapshotSource, MasterLink.Dataset {

    static final KeyspaceConfig KEYSPACE = KeyspaceConfig.DEFAULTS.withSegments(8);

    /** A snapshot cut but not yet written, with the id of the history it was cut in. */
    private record PendingJob(KeyspaceSnapshot snapshot, String replId) {
    }

    final int index;
    final String name;
    final ManualClock clock;
    final SplittableRandom random;
    final int backlogBytes;
    final MasterConfig masterConfig;
    final ReplicaConfig replicaConfig;

    boolean alive = true;
    Keyspace keyspace;
    ReplicationLog log;
    ReplicationMaster master;
    MasterLink link; // null on a master
    /** The last dump this node saved (see saveDump), null before one. */
    byte[] dump;
    SimNode upstream; // the node this one replicates from; null on a master
    /** The current link lets an empty master of another history replace our data (the operator's override). */
    boolean allowUnsafeResync;
    /** Starts with no data (first boot included): the node forgot everything. */
    int emptyBoots;
    /** (replId, offset) this node restarted at from its own snapshot, until its history changes. */
    ReplicationId restartId;
    long restartOffset = -1;

    /** Snapshots cut but not yet written, by id. */
    private final Map<String, PendingJob> pendingJobs = new HashMap<>();
    private final List<String> jobOrder = new ArrayList<>();
    private final Map<String, byte[]> written = new HashMap<>();
    private ByteArrayOutputStream incoming;
    long loads;

    SimNode(int index, String name, ManualClock clock, SplittableRandom random, int backlogBytes,
            MasterConfig masterConfig, ReplicaConfig replicaConfig) {
        this.index = index;
        this.name = name;
        this.clock = clock;
        this.random = random;
        this.backlogBytes = backlogBytes;
        this.masterConfig = masterConfig;
        this.replicaConfig = replicaConfig;
        bootEmpty();
    }

    /** A (re)start with no data: a fresh history, as a node without a snapshot file. A master until told to follow. */
    void bootEmpty() {
        clearJobs();
        log = ReplicationLog.fresh(random, backlogBytes, clock);
        keyspace = new Keyspace(KEYSPACE, clock, random.split(), log);
        master = new ReplicationMaster(log, this, masterConfig, clock, "");
        link = null;
        upstream = null;
        allowUnsafeResync = false;
        incoming = null;
        dump = null; // no data: no dump file either
        restartId = null;
        restartOffset = -1;
        emptyBoots++;
    }

    /**
     * A clean restart: the keyspace is saved as an RDB image carrying its replId and offset (as
     * SnapshotFiles writes it), and the new process loads it into a fresh keyspace and a log at
     * that (replId, offset) with an empty backlog. A replica then follows the same master
     * offering its history (PSYNC replId offset); a master keeps serving that history.
     */
    void restartClean() {
        // A clean shutdown leaves the marker beside the file, which keeps its replId2 too.
        ReplicationId id2 = log.replId2();
        long second = log.secondReplOffset();
        restartFrom(image(), true);
        if (!id2.equals(ReplicationId.NONE)) {
            log.restoreSecondId(id2, second);
        }
    }

    /** The node saves its dump (an interval or on-demand save): what a crash restart comes back from. */
    void saveDump() {
        dump = image();
    }

    /**
     * A crash: the process comes back from its last dump, older than what it held. As a node
     * without a clean-shutdown marker does (DumpFile), it continues under a new id and keeps the
     * dump's as replId2 up to the dump's offset (Redis 7); its replicas past that must not follow it.
     */
    void restartFromDump() {
        restartFrom(dump, false);
    }

    /** The keyspace as an RDB image carrying its replId and offset, as SnapshotFiles writes it. */
    private byte[] image() {
        ByteArrayOutputStream image = new ByteArrayOutputStream();
        try (KeyspaceSnapshot snap = keyspace.openSnapshot(log::offset)) {
            RdbWriter.write(snap, log.replId().value(), snap.offset(), image);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return image.toByteArray();
    }

    private void restartFrom(byte[] image, boolean clean) {
        clearJobs();
        incoming = null;
        List<Map.Entry<Bytes, Entry>> entries = new ArrayList<>();
        RdbInfo info;
        try {
            info = RdbReader.read(new ByteArrayInputStream(image), (k, e) -> entries.add(Map.entry(k, e)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ReplicationId replId = new ReplicationId(info.replId().orElseThrow());
        long offset = info.replOffset().orElseThrow();
        log = new ReplicationLog(replId, offset, backlogBytes, clock);
        keyspace = new Keyspace(KEYSPACE, clock, random.split(), log);
        for (Map.Entry<Bytes, Entry> e : entries) {
            keyspace.load(e.getKey(), e.getValue());
        }
        if (!clean) {
            log.shiftReplicationId(ReplicationId.random(random));
        }
        master = new ReplicationMaster(log, this, masterConfig, clock, "");
        restartId = clean ? replId : null;
        restartOffset = clean ? offset : -1;
        if (upstream != null) {
            follow(upstream, true);
        } else {
            link = null;
        }
    }

    /** REPLICAOF: a new link to {@code up}; the data stays and is served read-only until the stream replaces it. */
    void follow(SimNode up, boolean hasHistory) {
        follow(up, hasHistory, false);
    }

    void follow(SimNode up, boolean hasHistory, boolean allowEmpty) {
        upstream = up;
        allowUnsafeResync = allowEmpty;
        keyspace.setRole(KeyspaceRole.REPLICA);
        ReplicaConfig rc = replicaConfig;
        if (allowEmpty) {
            rc = rc.allowingResyncs(true, true);
        }
        link = new MasterLink(log, this, rc, clock, random.split(), name, () -> name, hasHistory);
    }

    /** REPLICAOF NO ONE: a master continuing its history under a new id (the old one becomes replId2). */
    void promote(ReplicationId newId) {
        link = null;
        upstream = null;
        allowUnsafeResync = false;
        keyspace.setRole(KeyspaceRole.MASTER);
        log.shiftReplicationId(newId);
    }

    /** Stops: the snapshot writer's pending jobs are dropped with the process. */
    void clearJobs() {
        for (PendingJob job : pendingJobs.values()) {
            job.snapshot().close();
        }
        pendingJobs.clear();
        jobOrder.clear();
        written.clear();
    }

    // ---- SnapshotSource: the master's snapshots

    @Override
    public long datasetKeys() {
        return keyspace.dbSize();
    }

    @Override
    public long startSnapshot(String snapshotId) {
        KeyspaceSnapshot snap = keyspace.openSnapshot(log::offset);
        // The RDB names the history of the cut, as SnapshotFiles does.
        pendingJobs.put(snapshotId, new PendingJob(snap, log.replId().value()));
        jobOrder.add(snapshotId);
        return snap.offset();
    }

    boolean hasPendingSnapshotJobs() {
        return !jobOrder.isEmpty();
    }

    /** Runs the oldest pending snapshot job; returns sessions to drain. */
    List<ReplicaSession> runSnapshotJob() {
        if (jobOrder.isEmpty()) {
            return List.of();
        }
        String id = jobOrder.remove(0);
        PendingJob job = pendingJobs.remove(id);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long keys;
        try (KeyspaceSnapshot snap = job.snapshot()) {
            keys = RdbWriter.write(snap, job.replId(), snap.offset(), out).keys();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] bytes = out.toByteArray();
        written.put(id, bytes);
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        return master.snapshotWritten(id, bytes.length, (int) crc.getValue(), keys);
    }

    @Override
    public int read(String snapshotId, long position, byte[] dst, int len) {
        byte[] bytes = written.get(snapshotId);
        int n = (int) Math.min(len, bytes.length - position);
        System.arraycopy(bytes, (int) position, dst, 0, n);
        return n;
    }

    @Override
    public void delete(String snapshotId) {
        written.remove(snapshotId);
        PendingJob pending = pendingJobs.remove(snapshotId);
        if (pending != null) {
            pending.snapshot().close();
            jobOrder.remove(snapshotId);
        }
    }

    // ---- Dataset: the replica's side

    @Override
    public void apply(CommandEntry entry) {
        keyspace.apply(entry);
    }

    @Override
    public long keyCount() {
        return keyspace.dbSize();
    }

    @Override
    public void beginSnapshot(String snapshotId) {
        incoming = new ByteArrayOutputStream();
    }

    @Override
    public void writeSnapshotChunk(byte[] data) {
        incoming.writeBytes(data);
    }

    @Override
    public void abortSnapshot() {
        incoming = null;
    }

    @Override
    public void loadSnapshot(ReplicationId replId, long offset) {
        Keyspace fresh = new Keyspace(KEYSPACE, clock, random.split(), log);
        fresh.setRole(KeyspaceRole.REPLICA);
        try {
            RdbReader.read(new ByteArrayInputStream(incoming.toByteArray()), fresh::load);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        keyspace = fresh;
        log.resetTo(replId, offset);
        incoming = null;
        loads++;
    }

    @Override
    public String toString() {
        return name + (alive ? "" : "(dead)") + "[" + (link == null ? "master" : link.state() + "<-" + upstream.name)
                + " " + log.replId().value().substring(0, 6) + "@" + log.offset()
                + (log.replId2().isNone() ? "" : " id2=" + log.replId2().value().substring(0, 6) + "<=" + log.secondReplOffset())
                + " keys=" + keyspace.dbSize() + "]";
    }
}
