package dev.replcache.transport.grpc;


import com.google.protobuf.UnsafeByteOperations;
import dev.replcache.api.replication.v1.Ack;
import dev.replcache.api.replication.v1.Continue;
import dev.replcache.api.replication.v1.Entries;
import dev.replcache.api.replication.v1.FullResync;
import dev.replcache.api.replication.v1.GetAck;
import dev.replcache.api.replication.v1.Hello;
import dev.replcache.api.replication.v1.Ping;
import dev.replcache.api.replication.v1.Psync;
import dev.replcache.api.replication.v1.SnapshotChunk;
import dev.replcache.api.replication.v1.SnapshotEnd;
import dev.replcache.replication.MasterMessage;
import dev.replcache.replication.ReplicaMessage;
import dev.replcache.replication.ReplicationId;
import io.grpc.Status;

/**
 * Translation between the replication protos and the core's messages. A peer's malformed
 * message (no kind set, a bad replication id) becomes INVALID_ARGUMENT, never a crash.
 */
final class ReplicationProtos {

    private ReplicationProtos() {
    }

    static dev.replcache.api.replication.v1.MasterMessage toProto(MasterMessage m) {
        var b = dev.replcache.api.replication.v1.MasterMessage.newBuilder();
        if (m instanceof MasterMessage.Entries e) {
            // The array is a fresh copy from the backlog, never touched again: wrap without copying.
            b.setEntries(Entries.newBuilder().setStartOffset(e.startOffset()).setData(UnsafeByteOperations.unsafeWrap(e.data()))
                    .setCrc32C(e.crc32c()));
        } else if (m instanceof MasterMessage.SnapshotChunk c) {
            b.setSnapshotChunk(SnapshotChunk.newBuilder().setSnapshotId(c.snapshotId()).setSeq(c.seq())
                    .setData(UnsafeByteOperations.unsafeWrap(c.data())).setCrc32C(c.crc32c()));
        } else if (m instanceof MasterMessage.Continue c) {
            Continue.Builder cb = Continue.newBuilder().setReplId(c.replId().value()).setOffset(c.offset());
            if (!c.lease().isNone()) {
                cb.setLease(toProto(c.lease()));
            }
            b.setContinue(cb);
        } else if (m instanceof MasterMessage.FullResync f) {
            FullResync.Builder fb = FullResync.newBuilder().setReplId(f.replId().value()).setOffset(f.offset())
                    .setSnapshotId(f.snapshotId()).setSizeEstimate(f.sizeEstimate()).setKeyCount(f.keyCount())
                    .setReplId2(f.replId2().value()).setSecondReplOffset(f.secondReplOffset());
            if (!f.lease().isNone()) {
                fb.setLease(toProto(f.lease()));
            }
            b.setFullResync(fb);
        } else if (m instanceof MasterMessage.SnapshotEnd e) {
            b.setSnapshotEnd(SnapshotEnd.newBuilder().setSnapshotId(e.snapshotId()).setTotalBytes(e.totalBytes())
                    .setChecksum(e.crc32c()));
        } else if (m instanceof MasterMessage.GetAck) {
            b.setGetAck(GetAck.getDefaultInstance());
        } else if (m instanceof MasterMessage.Ping p) {
            Ping.Builder pb = Ping.newBuilder().setMasterOffset(p.masterOffset());
            if (!p.lease().isNone()) {
                pb.setLease(toProto(p.lease()));
            }
            b.setPing(pb);
        } else {
            throw new AssertionError("no proto for " + m);
        }
        return b.build();
    }

    static MasterMessage fromProto(dev.replcache.api.replication.v1.MasterMessage m) {
        return switch (m.getKindCase()) {
            case ENTRIES -> new MasterMessage.Entries(m.getEntries().getStartOffset(), m.getEntries().getData().toByteArray(),
                    m.getEntries().getCrc32C());
            case SNAPSHOT_CHUNK -> new MasterMessage.SnapshotChunk(m.getSnapshotChunk().getSnapshotId(),
                    m.getSnapshotChunk().getSeq(), m.getSnapshotChunk().getData().toByteArray(), m.getSnapshotChunk().getCrc32C());
            case CONTINUE -> new MasterMessage.Continue(replId(m.getContinue().getReplId()), m.getContinue().getOffset(),
                    lease(m.getContinue().hasLease(), m.getContinue().getLease()));
            case FULL_RESYNC -> new MasterMessage.FullResync(replId(m.getFullResync().getReplId()),
                    m.getFullResync().getOffset(), m.getFullResync().getSnapshotId(), m.getFullResync().getSizeEstimate(),
                    m.getFullResync().getKeyCount(),
                    m.getFullResync().getReplId2().isEmpty() ? ReplicationId.NONE : replId(m.getFullResync().getReplId2()),
                    m.getFullResync().getReplId2().isEmpty() ? -1 : m.getFullResync().getSecondReplOffset(),
                    lease(m.getFullResync().hasLease(), m.getFullResync().getLease()));
            case SNAPSHOT_END -> new MasterMessage.SnapshotEnd(m.getSnapshotEnd().getSnapshotId(),
                    m.getSnapshotEnd().getTotalBytes(), m.getSnapshotEnd().getChecksum());
            case GET_ACK -> new MasterMessage.GetAck();
            case PING -> new MasterMessage.Ping(m.getPing().getMasterOffset(),
                    lease(m.getPing().hasLease(), m.getPing().getLease()));
            case KIND_NOT_SET -> throw invalid("master message without a kind");
        };
    }

    static dev.replcache.api.replication.v1.ReplicaMessage toProto(ReplicaMessage m) {
        var b = dev.replcache.api.replication.v1.ReplicaMessage.newBuilder();
        if (m instanceof ReplicaMessage.Ack a) {
            b.setAck(Ack.newBuilder().setOffset(a.offset()));
        } else if (m instanceof ReplicaMessage.Psync p) {
            b.setPsync(Psync.newBuilder().setReplId(p.replId().value()).setOffset(p.offset()).setFailover(p.failover())
                    .setHandoverKey(p.handoverKey()));
        } else if (m instanceof ReplicaMessage.Hello h) {
            b.setHello(Hello.newBuilder().setReplicaId(h.replicaId()).setAnnouncedAddress(h.announcedAddress())
                    .setAuthToken(h.authToken()).setHandoverKey(h.handoverKey()).setRespPort(h.respPort()));
        } else {
            throw new AssertionError("no proto for " + m);
        }
        return b.build();
    }

    static ReplicaMessage fromProto(dev.replcache.api.replication.v1.ReplicaMessage m) {
        return switch (m.getKindCase()) {
            case ACK -> new ReplicaMessage.Ack(m.getAck().getOffset());
            case PSYNC -> new ReplicaMessage.Psync(replId(m.getPsync().getReplId()), m.getPsync().getOffset(),
                    m.getPsync().getFailover(), m.getPsync().getHandoverKey());
            case HELLO -> new ReplicaMessage.Hello(m.getHello().getReplicaId(), m.getHello().getAnnouncedAddress(),
                    m.getHello().getAuthToken(), m.getHello().getHandoverKey(), m.getHello().getRespPort());
            case KIND_NOT_SET -> throw invalid("replica message without a kind");
        };
    }

    private static ReplicationId replId(String text) {
        ReplicationId id = ReplicationId.parseOrNull(text);
        if (id == null) {
            throw invalid("'" + text + "' is not a replication id (40 hex characters or ?)");
        }
        return id;
    }

    private static RuntimeException invalid(String what) {
        return Status.INVALID_ARGUMENT.withDescription(what).asRuntimeException();
    }


    /** A lease epoch from the wire: absent, or negative (never sent), is none. */
    private static dev.replcache.replication.LeaseEpoch lease(boolean present,
                                                              dev.replcache.api.replication.v1.LeaseEpoch l) {
        if (!present || l.getEpoch() < 0) {
            return dev.replcache.replication.LeaseEpoch.NONE;
        }
        return new dev.replcache.replication.LeaseEpoch(l.getEpoch(), l.getStartOffset(), Math.max(-1, l.getPrevious()));
    }

    private static dev.replcache.api.replication.v1.LeaseEpoch toProto(dev.replcache.replication.LeaseEpoch l) {
        return dev.replcache.api.replication.v1.LeaseEpoch.newBuilder().setEpoch(l.epoch())
                .setStartOffset(l.startOffset()).setPrevious(l.previous()).build();
    }
}
