package dev.replcache.transport.grpc;

import dev.replcache.config.GrpcProperties;
import dev.replcache.config.ReplicationProperties;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import java.io.File;
import java.io.IOException;

/**
 * gRPC credentials from the PEM files of the TLS properties. The properties have already
 * checked the files at start; reading them here can still fail if they changed since, and the
 * message then names the property.
 */
final class GrpcTls {

    private GrpcTls() {
    }

    /** The server's credentials: TLS (and client certificates) per {@code replcache.grpc.tls.*}, or plaintext. */
    static ServerCredentials server(GrpcProperties.Tls tls) {
        if (!tls.enabled()) {
            return InsecureServerCredentials.create();
        }
        String prefix = "replcache.grpc.tls.";
        TlsServerCredentials.Builder builder = TlsServerCredentials.newBuilder();
        read(() -> builder.keyManager(new File(tls.certChain()), new File(tls.privateKey())),
                prefix + "cert-chain / " + prefix + "private-key");
        if (tls.clientAuth() != GrpcProperties.Tls.ClientAuth.NONE) {
            read(() -> builder.trustManager(new File(tls.trustCerts())), prefix + "trust-certs");
        }
        builder.clientAuth(switch (tls.clientAuth()) {
            case NONE -> TlsServerCredentials.ClientAuth.NONE;
            case OPTIONAL -> TlsServerCredentials.ClientAuth.OPTIONAL;
            case REQUIRE -> TlsServerCredentials.ClientAuth.REQUIRE;
        });
        return builder.build();
    }

    /** A replica's credentials towards its master per {@code replcache.replication.tls.*}, or plaintext. */
    static ChannelCredentials channel(ReplicationProperties.Tls tls) {
        if (!tls.enabled()) {
            return InsecureChannelCredentials.create();
        }
        String prefix = "replcache.replication.tls.";
        TlsChannelCredentials.Builder builder = TlsChannelCredentials.newBuilder();
        if (!tls.trustCerts().isEmpty()) {
            read(() -> builder.trustManager(new File(tls.trustCerts())), prefix + "trust-certs");
        }
        if (!tls.certChain().isEmpty()) {
            read(() -> builder.keyManager(new File(tls.certChain()), new File(tls.privateKey())),
                    prefix + "cert-chain / " + prefix + "private-key");
        }
        return builder.build();
    }

    private interface FileRead {
        void run() throws IOException;
    }

    private static void read(FileRead read, String property) {
        try {
            read.run();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the TLS files of " + property + ": " + e, e);
        }
    }
}
