package dev.replcache.replication.sim;

import dev.replcache.keyspace.CommandEntry;
import dev.replcache.keyspace.Keyspace;
import dev.replcache.keyspace.KeyspaceConfig;
import dev.replcache.keyspace.KeyspaceRole;
import dev.replcache.keyspace.KeyspaceSnapshot;
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
 */
final class SimNode implements SnapshotSource, MasterLink.Dataset {

    static final KeyspaceConfig KEYSPACE = KeyspaceConfig.DEFAULTS.withSegments(8);

    final String name;
    final ManualClock clock;
    final SplittableRandom random;
    final int backlogBytes;
    final MasterConfig masterConfig;
    final ReplicaConfig replicaConfig;

    Keyspace keyspace;
    ReplicationLog log;
    ReplicationMaster master;
    MasterLink link; // null on the master
    SimNode upstream; // the node this one replicates from

    /** Snapshots cut but not yet written, by id. */
    final Map<String, KeyspaceSnapshot> pendingJobs = new HashMap<>();
    final List<String> jobOrder = new ArrayList<>();
    final Map<String, byte[]> written = new HashMap<>();
    private ByteArrayOutputStream incoming;
    long loads;

    SimNode(String name, ManualClock clock, SplittableRandom random, int backlogBytes, MasterConfig masterConfig,
            ReplicaConfig replicaConfig) {
        this.name = name;
        this.clock = clock;
        this.random = random;
        this.backlogBytes = backlogBytes;
        this.masterConfig = masterConfig;
        this.replicaConfig = replicaConfig;
        boot();
    }

    /** A (re)start with no data: a fresh history, as a node without a snapshot file. */
    void boot() {
        log = ReplicationLog.fresh(random, backlogBytes, clock);
        keyspace = new Keyspace(KEYSPACE, clock, random.split(), log);
        master = new ReplicationMaster(log, this, masterConfig, clock, "");
        pendingJobs.clear();
        jobOrder.clear();
        written.clear();
        incoming = null;
        if (upstream != null) {
            becomeReplicaOf(upstream);
        }
    }

    void becomeReplicaOf(SimNode up) {
        upstream = up;
        keyspace.setRole(KeyspaceRole.REPLICA);
        // A booted replica starts empty: it asks with '?', as Redis does on its first sync.
        link = new MasterLink(log, this, replicaConfig, clock, random.split(), name, () -> name + ":9090", false);
    }

    // ---- SnapshotSource: the master's snapshots

    @Override
    public long datasetKeys() {
        return keyspace.dbSize();
    }

    @Override
    public long startSnapshot(String snapshotId) {
        KeyspaceSnapshot snap = keyspace.openSnapshot(log::offset);
        pendingJobs.put(snapshotId, snap);
        jobOrder.add(snapshotId);
        return snap.offset();
    }

    /** Runs the oldest pending snapshot job; returns sessions to drain. */
    List<ReplicaSession> runSnapshotJob() {
        if (jobOrder.isEmpty()) {
            return List.of();
        }
        String id = jobOrder.remove(0);
        KeyspaceSnapshot snap = pendingJobs.remove(id);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long keys;
        try (snap) {
            keys = RdbWriter.write(snap, log.replId().value(), snap.offset(), out).keys();
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
        KeyspaceSnapshot pending = pendingJobs.remove(snapshotId);
        if (pending != null) {
            pending.close();
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
        incoming = null;
        loads++;
    }
}
