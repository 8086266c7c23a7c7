package dev.replcache.transport.grpc;

import dev.replcache.api.persistence.v1.PersistenceInfo;
import dev.replcache.api.persistence.v1.PersistenceInfoRequest;
import dev.replcache.api.persistence.v1.PersistenceServiceGrpc;
import dev.replcache.api.persistence.v1.SaveInfo;
import dev.replcache.api.persistence.v1.SaveRequest;
import dev.replcache.node.Persistence;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletionException;

/**
 * {@code persistence.v1.PersistenceService}: the dump file, as {@code POST/GET /v1/snapshot}.
 * Save answers from the save thread when the file is written, so that no network thread waits
 * for the disk (calls may run on them, {@code replcache.grpc.executor=direct}).
 */
public final class PersistenceGrpcService extends PersistenceServiceGrpc.PersistenceServiceImplBase {

    private final Persistence persistence;

    public PersistenceGrpcService(Persistence persistence) {
        this.persistence = persistence;
    }

    @Override
    public void save(SaveRequest request, StreamObserver<SaveInfo> out) {
        // In progress or stopping: thrown here, mapped by the error interceptor.
        persistence.saveAsync().whenComplete((saved, error) -> {
            if (error != null) {
                Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                out.onError(GrpcErrors.toStatusException(cause, PersistenceServiceGrpc.getSaveMethod().getFullMethodName()));
                return;
            }
            out.onNext(toProto(saved));
            out.onCompleted();
        });
    }

    @Override
    public void info(PersistenceInfoRequest request, StreamObserver<PersistenceInfo> out) {
        Persistence.Status s = persistence.status();
        PersistenceInfo.Builder b = PersistenceInfo.newBuilder()
                .setFile(s.file())
                .setInProgress(s.inProgress())
                .setInProgressOffset(s.inProgressOffset())
                .setLastError(s.lastError() == null ? "" : s.lastError())
                .setStreamBytesSinceLastSave(s.streamBytesSinceLastSave())
                .setIntervalMs(s.intervalMs())
                .setOnShutdown(s.onShutdown());
        if (s.lastSave() != null) {
            b.setLastSave(toProto(s.lastSave()));
        }
        out.onNext(b.build());
        out.onCompleted();
    }

    private static SaveInfo toProto(Persistence.Saved s) {
        return SaveInfo.newBuilder()
                .setFile(s.file())
                .setReplId(s.replId())
                .setOffset(s.offset())
                .setKeys(s.keys())
                .setBytes(s.bytes())
                .setDurationMs(s.durationMs())
                .setReason(s.reason())
                .setSavedAtMs(s.savedAtMs())
                .build();
    }
}
