package dev.replcache.transport.grpc;

import dev.replcache.api.replication.v1.ReplicationServiceGrpc;
import dev.replcache.config.BearerToken;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Requires {@code authorization: Bearer <replcache.grpc.auth-token>} metadata on every call of
 * the services it wraps; others end with {@code UNAUTHENTICATED} before the service sees them,
 * and are logged (without what was presented).
 *
 * <p>The replication stream ({@code ReplicationService/Sync}) is let through: a replica proves
 * itself in its {@code Hello} with {@code replcache.replication.auth-token}, as Redis's
 * {@code masterauth}, and need not know the client API's token. Health and reflection are not
 * wrapped at all, so probes work without a token.
 */
final class GrpcBearerAuthInterceptor implements ServerInterceptor {

    private static final Logger log = LoggerFactory.getLogger(GrpcBearerAuthInterceptor.class);

    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private static final String SYNC_METHOD = ReplicationServiceGrpc.getSyncMethod().getFullMethodName();

    /** The calls that change roles: with an admin token set, they need it (and only it). */
    private static final java.util.Set<String> ROLE_CHANGES = java.util.Set.of(
            ReplicationServiceGrpc.getReplicaOfMethod().getFullMethodName(),
            ReplicationServiceGrpc.getPromoteMethod().getFullMethodName(),
            ReplicationServiceGrpc.getFailoverMethod().getFullMethodName());

    private final java.util.Optional<BearerToken> token;
    private final java.util.Optional<BearerToken> adminToken;

    /**
     * @param token      {@code replcache.grpc.auth-token}, for every call but Sync
     * @param adminToken {@code replcache.replication.admin-token}, for ReplicaOf, Promote and Failover
     */
    GrpcBearerAuthInterceptor(java.util.Optional<BearerToken> token, java.util.Optional<BearerToken> adminToken) {
        this.token = Objects.requireNonNull(token, "token");
        this.adminToken = Objects.requireNonNull(adminToken, "adminToken");
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        if (method.equals(SYNC_METHOD)) {
            return next.startCall(call, headers);
        }
        boolean admin = adminToken.isPresent() && ROLE_CHANGES.contains(method);
        java.util.Optional<BearerToken> needed = admin ? adminToken : token;
        if (needed.isEmpty()) {
            return next.startCall(call, headers);
        }
        BearerToken.Outcome outcome = needed.get().check(headers.get(AUTHORIZATION));
        if (outcome == BearerToken.Outcome.ACCEPTED) {
            return next.startCall(call, headers);
        }
        String why = outcome == BearerToken.Outcome.MISSING ? "no bearer token" : "wrong bearer token";
        log.warn("Refused gRPC call {} from {}: {}", method, call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR), why);
        call.close(Status.UNAUTHENTICATED.withDescription(why + (admin
                ? ": changing roles requires 'authorization: Bearer <admin-token>' metadata (replcache.replication.admin-token)"
                : ": this server requires 'authorization: Bearer <token>' metadata (replcache.grpc.auth-token)")), new Metadata());
        return new ServerCall.Listener<>() {
        };
    }
}
