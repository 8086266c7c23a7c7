package dev.replcache.e2e;

import com.google.protobuf.ByteString;
import dev.replcache.api.replication.v1.MasterMessage;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Faults on the master's side of the Sync stream, for end-to-end tests: bytes flipped inside a
 * snapshot chunk on the wire (its CRC32C left as sent), and slow chunks.
 */
final class SnapshotChunkFaults implements ServerInterceptor {

    private final int corruptChunks;
    private final long delayPerChunkMs;
    final AtomicInteger corrupted = new AtomicInteger();

    private SnapshotChunkFaults(int corruptChunks, long delayPerChunkMs) {
        this.corruptChunks = corruptChunks;
        this.delayPerChunkMs = delayPerChunkMs;
    }

    /** Flips one bit in the first snapshot chunk sent, once. */
    static SnapshotChunkFaults corruptFirstChunk() {
        return new SnapshotChunkFaults(1, 0);
    }

    /** Sends every snapshot chunk late, so that a full sync takes a while. */
    static SnapshotChunkFaults slowChunks(long delayMs) {
        return new SnapshotChunkFaults(0, delayMs);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (!call.getMethodDescriptor().getFullMethodName().equals("replication.v1.ReplicationService/Sync")) {
            return next.startCall(call, headers);
        }
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            @SuppressWarnings("unchecked")
            public void sendMessage(R message) {
                MasterMessage m = (MasterMessage) message;
                if (m.hasSnapshotChunk()) {
                    if (delayPerChunkMs > 0) {
                        try {
                            Thread.sleep(delayPerChunkMs);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    if (corrupted.get() < corruptChunks && corrupted.incrementAndGet() <= corruptChunks) {
                        byte[] data = m.getSnapshotChunk().getData().toByteArray();
                        data[data.length / 2] ^= 0x10;
                        m = m.toBuilder().setSnapshotChunk(m.getSnapshotChunk().toBuilder()
                                .setData(ByteString.copyFrom(data))).build();
                    }
                }
                super.sendMessage((R) m);
            }
        }, headers);
    }
}
