package dev.replcache.transport.grpc;

import dev.replcache.api.replication.v1.FailoverRequest;
import dev.replcache.api.replication.v1.FailoverResponse;
import dev.replcache.api.replication.v1.InfoRequest;
import dev.replcache.api.replication.v1.PromoteRequest;
import dev.replcache.api.replication.v1.ReplicaOfRequest;
import dev.replcache.api.replication.v1.ReplicationInfo;
import dev.replcache.api.replication.v1.ReplicationServiceGrpc;
import dev.replcache.config.LogText;
import dev.replcache.config.ReplicationProperties.HostPort;
import dev.replcache.node.CacheNode;
import dev.replcache.node.InvalidRequestException;
import dev.replcache.node.ReplicationView;
import dev.replcache.replication.ReplicaSession;
import dev.replcache.replication.ReplicationMaster;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master side of {@code replication.v1.ReplicationService/Sync}, a thin adapter over
 * {@link ReplicationMaster}: inbound messages go to the core; outbound ones are pulled from the
 * core only while the stream {@code isReady()}, on a small sender pool, woken by new writes,
 * timers, finished snapshots and gRPC's on-ready callback. A replica that stops reading thus
 * stops its own sending and costs the master nothing beyond gRPC's window; the backlog is the
 * only buffer.
 */
public final class ReplicationGrpcService extends ReplicationServiceGrpc.ReplicationServiceImplBase {

    private static final Logger log = LoggerFactory.getLogger(ReplicationGrpcService.class);

    private final CacheNode node;
    private final Set<SyncStream> streams = ConcurrentHashMap.newKeySet();
    private final ExecutorService senders = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "replcache-sender");
        t.setDaemon(true);
        return t;
    });

    public ReplicationGrpcService(CacheNode node) {
        this.node = node;
        node.setSenderWakeup(this::wakeAll);
    }

    private void wakeAll() {
        for (SyncStream s : streams) {
            s.wake();
        }
    }

    @Override
    public StreamObserver<dev.replcache.api.replication.v1.ReplicaMessage> sync(
            StreamObserver<dev.replcache.api.replication.v1.MasterMessage> responses) {
        ServerCallStreamObserver<dev.replcache.api.replication.v1.MasterMessage> call =
                (ServerCallStreamObserver<dev.replcache.api.replication.v1.MasterMessage>) responses;
        ReplicationMaster master = node.master();
        ReplicaSession session = master.open(UUID.randomUUID().toString());
        if (session == null) {
            responses.onError(Status.RESOURCE_EXHAUSTED.withDescription("max number of replication streams reached ("
                    + master.config().maxSessions() + ", replcache.replication.max-replicas)").asRuntimeException());
            return new StreamObserver<>() { // whatever the peer still sends is dropped
                @Override
                public void onNext(dev.replcache.api.replication.v1.ReplicaMessage message) {
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                }
            };
        }
        SyncStream stream = new SyncStream(call, session);
        streams.add(stream);
        call.setOnReadyHandler(stream::wake);
        call.setOnCancelHandler(() -> stream.finish(null, "replica cancelled the stream"));
        return new StreamObserver<>() {
            @Override
            public void onNext(dev.replcache.api.replication.v1.ReplicaMessage message) {
                try {
                    master.onMessage(session, ReplicationProtos.fromProto(message));
                } catch (StatusRuntimeException e) {
                    stream.finish(e.getStatus(), e.getStatus().getDescription());
                    return;
                }
                stream.wake();
            }

            @Override
            public void onError(Throwable t) {
                stream.finish(null, "stream failed: " + Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                stream.finish(Status.OK, "replica closed the stream");
            }
        };
    }

    /** One replica's stream; drains are serialized on the stream. */
    private final class SyncStream {
        private final ServerCallStreamObserver<dev.replcache.api.replication.v1.MasterMessage> call;
        private final ReplicaSession session;
        private final AtomicBoolean scheduled = new AtomicBoolean();
        private boolean done; // guarded by this
        private long fullSyncStartNanos; // guarded by this: when FULLRESYNC went out, for the log

        SyncStream(ServerCallStreamObserver<dev.replcache.api.replication.v1.MasterMessage> call, ReplicaSession session) {
            this.call = call;
            this.session = session;
        }

        void wake() {
            if (scheduled.compareAndSet(false, true)) {
                try {
                    senders.execute(this::drain);
                } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
                    scheduled.set(false);
                }
            }
        }

        private void drain() {
            scheduled.set(false); // cleared first: a wake during this drain schedules another
            synchronized (this) {
                try {
                    while (!done) {
                        if (!call.isReady()) {
                            // A replica that stopped reading is not ready: its close cannot wait for that.
                            String reason = session.closeReason();
                            if (reason != null) {
                                finish(statusFor(reason), reason);
                            }
                            return;
                        }
                        ReplicationMaster.Next next = node.master().poll(session);
                        if (next.isIdle()) {
                            return;
                        }
                        if (next.closeReason() != null) {
                            finish(statusFor(next.closeReason()), next.closeReason());
                            return;
                        }
                        logHandshake(next.message());
                        call.onNext(ReplicationProtos.toProto(next.message()));
                    }
                } catch (RuntimeException e) {
                    log.error("Replication stream to {} failed", session.sessionId(), e);
                    finish(Status.INTERNAL.withDescription("internal error; the master's log has the details"),
                            e.toString());
                }
            }
        }

        /**
         * Every PSYNC answer is logged with its reason (as Redis logs each refused partial resync),
         * and a full resync's end with its bytes and time.
         */
        private void logHandshake(dev.replcache.replication.MasterMessage m) {
            if (m instanceof dev.replcache.replication.MasterMessage.Continue c) {
                log.info("Partial resync accepted: replica={} address={} offset={} reason={} ({})", LogText.escape(session.replicaId()),
                        LogText.escape(session.address()),
                        c.offset(), session.decision().reason().label(), session.decision().reason().description());
            } else if (m instanceof dev.replcache.replication.MasterMessage.FullResync f) {
                fullSyncStartNanos = System.nanoTime();
                var p = session.psync();
                var reason = session.decision().reason();
                log.info("{}: replica={} address={} askedReplId={} askedOffset={} reason={} ({}) snapshot={} bytes={} offset={}",
                        reason == dev.replcache.replication.PsyncDecision.Reason.NO_HISTORY
                                ? "Full resync started" : "Partial resync refused, full resync started",
                        LogText.escape(session.replicaId()), LogText.escape(session.address()), p.replId(), p.offset(), reason.label(),
                        reason.description(),
                        f.snapshotId(), f.sizeEstimate(), f.offset());
            } else if (m instanceof dev.replcache.replication.MasterMessage.SnapshotEnd end) {
                log.info("Full resync sent: replica={} address={} snapshot={} bytes={} ms={}", LogText.escape(session.replicaId()),
                        LogText.escape(session.address()), end.snapshotId(),
                        end.totalBytes(), (System.nanoTime() - fullSyncStartNanos) / 1_000_000);
            }
        }

        synchronized void finish(Status status, String reason) {
            if (done) {
                return;
            }
            done = true;
            streams.remove(this);
            node.master().close(session);
            log.info("Replication stream closed: replica={} address={} session={} reason=\"{}\"", LogText.escape(session.replicaId()),
                    LogText.escape(session.address()),
                    session.sessionId(), LogText.escape(reason));
            if (status == null) {
                return; // already cancelled or failed
            }
            try {
                if (status.isOk()) {
                    call.onCompleted();
                } else {
                    call.onError(status.withDescription(reason).asRuntimeException());
                }
            } catch (IllegalStateException alreadyClosed) {
                // the call ended meanwhile
            }
        }
    }

    /** The core's reason for dropping a replica, as a status the replica can act on. */
    static Status statusFor(String reason) {
        if (reason.startsWith("unauthenticated")) {
            return Status.UNAUTHENTICATED;
        }
        if (reason.startsWith("protocol")) {
            return Status.INVALID_ARGUMENT;
        }
        if (reason.startsWith("replica fell behind") || reason.startsWith("full sync abandoned")
                || reason.startsWith("slow replica")) {
            return Status.RESOURCE_EXHAUSTED;
        }
        return Status.UNAVAILABLE;
    }

    // ------------------------------------------------------------------ admin

    @Override
    public void replicaOf(ReplicaOfRequest request, StreamObserver<ReplicationInfo> out) {
        HostPort target;
        try {
            target = new HostPort(request.getHost(), request.getPort());
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("replicaof: " + e.getMessage());
        }
        node.replicaOf(target);
        out.onNext(info(node.replicationView()));
        out.onCompleted();
    }

    @Override
    public void promote(PromoteRequest request, StreamObserver<ReplicationInfo> out) {
        node.promote();
        out.onNext(info(node.replicationView()));
        out.onCompleted();
    }

    @Override
    public void failover(FailoverRequest request, StreamObserver<FailoverResponse> out) {
        HostPort to = null;
        if (!request.getTo().isBlank()) {
            try {
                to = HostPort.parse(request.getTo().trim(), "to");
            } catch (IllegalArgumentException e) {
                throw new InvalidRequestException("failover: " + e.getMessage());
            }
        }
        if (request.getTimeoutMs() < 0) {
            throw new InvalidRequestException("failover: timeout_ms must not be negative");
        }
        // Runs on the node's failover thread; the answer goes out when it is done.
        node.failover(to, request.getTimeoutMs()).whenComplete((result, error) -> {
            if (error != null) {
                Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                out.onError(GrpcErrors.toStatusException(cause, "replication.v1.ReplicationService/Failover"));
                return;
            }
            out.onNext(FailoverResponse.newBuilder().setNewMaster(result.newMaster()).setOffset(result.offset())
                    .setPausedMs(result.pausedMs()).build());
            out.onCompleted();
        });
    }

    @Override
    public void info(InfoRequest request, StreamObserver<ReplicationInfo> out) {
        out.onNext(info(node.replicationView()));
        out.onCompleted();
    }

    private static ReplicationInfo info(ReplicationView v) {
        ReplicationInfo.Builder b = ReplicationInfo.newBuilder()
                .setRole(v.role())
                .setReplId(v.replId())
                .setReplId2(v.replId2())
                .setOffset(v.offset())
                .setSecondReplOffset(v.secondReplOffset())
                .setSyncFull(v.stats().syncFull())
                .setSyncPartialOk(v.stats().syncPartialOk())
                .setSyncPartialErr(v.stats().syncPartialErr());
        if (v.lease() != null) {
            ReplicationView.LeaseView l = v.lease();
            b.setLease(dev.replcache.api.replication.v1.LeaseCandidate.newBuilder().setName(l.name())
                    .setPriority(l.priority()).setSynced(l.synced()).setRefused(l.refused())
                    .setApiReachable(l.apiReachable()).setHistoryEpoch(l.historyEpoch()));
        }
        if (v.master() != null) {
            b.setMasterHost(v.master().host()).setMasterPort(v.master().port()).setLinkStatus(v.master().linkStatus());
        }
        for (ReplicationView.ReplicaView r : v.replicas()) {
            b.addReplicas(dev.replcache.api.replication.v1.ReplicaView.newBuilder()
                    .setId(r.id()).setAddress(r.address()).setState(r.state())
                    .setAckOffset(r.ackOffset()).setLagBytes(r.lagBytes()).setLagMs(r.lagMs()));
        }
        return b.build();
    }

    /** Stops the sender threads (at context close). */
    public void shutdown() {
        senders.shutdownNow();
    }
}
