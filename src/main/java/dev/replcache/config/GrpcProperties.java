package dev.replcache.config;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * The gRPC server under {@code replcache.grpc.*}.
 *
 * @param port                  listening port; 0 = any free port (tests)
 * @param address               address to bind
 * @param maxInboundMessageSize largest request message; it must hold a max-size value plus its key
 * @param shutdownGracePeriod   how long in-flight calls may finish at shutdown before they are cancelled
 * @param executor              where calls run: {@code direct} on the network threads (no hand-off:
 *                              right for short in-memory commands), or {@code pool} on gRPC's
 *                              default thread pool (for deployments with long calls)
 * @param tls                   TLS, and client certificates (mutual TLS), for every service of the server
 * @param authToken             bearer token every {@code cache.v1} and replication admin call must carry
 *                              ({@code authorization: Bearer <token>} metadata); empty = none. The
 *                              replication stream itself is checked by {@code replcache.replication.auth-token};
 *                              health and reflection stay open for probes
 */
@Validated
@ConfigurationProperties("replcache.grpc")
public record GrpcProperties(
        @DefaultValue("9090") @Min(0) @Max(65535) int port,
        @DefaultValue("0.0.0.0") @NotNull String address,
        @DefaultValue("32MB") @NotNull DataSize maxInboundMessageSize,
        @DefaultValue("10s") @NotNull Duration shutdownGracePeriod,
        @DefaultValue("direct") @NotNull Executor executor,
        @DefaultValue @Valid Tls tls,
        @DefaultValue("") String authToken) {

    /** Where gRPC calls run. */
    public enum Executor {
        /** On the Netty event loop that read the call: no thread hand-off per call. */
        DIRECT,
        /** On gRPC's default cached thread pool: one hand-off per call. */
        POOL
    }

    public GrpcProperties {
        authToken = BearerToken.normalize(authToken, "replcache.grpc.auth-token");
        if (maxInboundMessageSize != null
                && (maxInboundMessageSize.toBytes() < 1024 || maxInboundMessageSize.toBytes() > Integer.MAX_VALUE)) {
            throw new IllegalArgumentException(
                    "replcache.grpc.max-inbound-message-size must be between 1KB and 2GB, got " + maxInboundMessageSize);
        }
    }

    /**
     * TLS for the gRPC server under {@code replcache.grpc.tls.*}, from PEM files. When enabled,
     * the files are checked at start: a missing or unreadable file, a key that is not PKCS#8, a
     * key that does not belong to the certificate, or an expired certificate stops the start
     * with a message naming the property.
     *
     * @param enabled    serve TLS only (no plaintext port)
     * @param certChain  PEM file: the server's certificate first, then any intermediate CA certificates
     * @param privateKey PEM file: the server certificate's unencrypted PKCS#8 private key
     *                   ({@code -----BEGIN PRIVATE KEY-----})
     * @param trustCerts PEM file: the CA certificates that client certificates must chain to;
     *                   required when {@code client-auth} is {@code optional} or {@code require},
     *                   unused when it is {@code none}
     * @param clientAuth whether clients must present a certificate (mutual TLS)
     */
    public record Tls(
            @DefaultValue("false") boolean enabled,
            @DefaultValue("") String certChain,
            @DefaultValue("") String privateKey,
            @DefaultValue("") String trustCerts,
            @DefaultValue("none") @NotNull ClientAuth clientAuth) {

        private static final String PREFIX = "replcache.grpc.tls.";

        public Tls {
            certChain = certChain == null ? "" : certChain.trim();
            privateKey = privateKey == null ? "" : privateKey.trim();
            trustCerts = trustCerts == null ? "" : trustCerts.trim();
            if (enabled) {
                if (certChain.isEmpty() || privateKey.isEmpty()) {
                    throw new IllegalArgumentException(PREFIX + "enabled=true needs " + PREFIX + "cert-chain and "
                            + PREFIX + "private-key (PEM files)");
                }
                PemFiles.requireKeyPair(PREFIX, Path.of(certChain), Path.of(privateKey));
                if (clientAuth != null && clientAuth != ClientAuth.NONE && trustCerts.isEmpty()) {
                    throw new IllegalArgumentException(PREFIX + "client-auth=" + clientAuth.name().toLowerCase(Locale.ROOT)
                            + " needs " + PREFIX + "trust-certs: the CA certificates (PEM) client certificates must chain to");
                }
                if (!trustCerts.isEmpty()) {
                    // Checked even when client-auth is none (then unused): a wrong path is still a mistake.
                    PemFiles.certificates(Path.of(trustCerts), PREFIX + "trust-certs");
                }
            }
        }

        /** Whether the server asks for client certificates (mutual TLS). */
        public enum ClientAuth {
            /** Clients are not asked for a certificate. */
            NONE,
            /** Clients are asked; one that sends a certificate must send one that chains to trust-certs. */
            OPTIONAL,
            /** Clients without a certificate that chains to trust-certs cannot connect. */
            REQUIRE
        }
    }
}
