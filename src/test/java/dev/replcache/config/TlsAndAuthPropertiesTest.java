package dev.replcache.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.replcache.tls.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.MapPropertySource;

/**
 * {@code replcache.grpc.tls.*}, {@code replcache.replication.tls.*} and the auth tokens: a
 * usable setting binds; a missing, unreadable or mismatched PEM file stops the start with a
 * message naming the property (and, for a key in the wrong format, the command that fixes it).
 */
class TlsAndAuthPropertiesTest {

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties({GrpcProperties.class, ReplicationProperties.class})
    static class Props {
    }

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
            .withUserConfiguration(Props.class);

    @TempDir
    Path tmp;

    private TestPki pki;
    private TestPki.Issued server;
    private TestPki.Issued client;

    @BeforeEach
    void certificates() {
        pki = TestPki.create(tmp, "test");
        server = pki.server("server");
        client = pki.client("client");
    }

    private String[] serverTls(String... extra) {
        List<String> props = new java.util.ArrayList<>(List.of(
                "replcache.grpc.tls.enabled=true",
                "replcache.grpc.tls.cert-chain=" + server.certChain(),
                "replcache.grpc.tls.private-key=" + server.privateKey()));
        props.addAll(List.of(extra));
        return props.toArray(String[]::new);
    }

    private void assertFailsWith(String[] properties, String... fragments) {
        runner.withPropertyValues(properties).run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(fullMessage(ctx)).contains(fragments);
        });
    }

    @Test
    void tlsIsOffAndTokensAreEmptyByDefault() {
        runner.run(ctx -> {
            GrpcProperties g = ctx.getBean(GrpcProperties.class);
            assertThat(g.tls().enabled()).isFalse();
            assertThat(g.tls().clientAuth()).isEqualTo(GrpcProperties.Tls.ClientAuth.NONE);
            assertThat(g.authToken()).isEmpty();
            ReplicationProperties r = ctx.getBean(ReplicationProperties.class);
            assertThat(r.tls().enabled()).isFalse();
            assertThat(r.tls().authority()).isEmpty();
        });
    }

    @Test
    void aUsableServerSettingBinds() {
        runner.withPropertyValues(serverTls("replcache.grpc.tls.trust-certs=" + pki.caCert(),
                "replcache.grpc.tls.client-auth=require")).run(ctx -> {
                    GrpcProperties.Tls tls = ctx.getBean(GrpcProperties.class).tls();
                    assertThat(tls.enabled()).isTrue();
                    assertThat(tls.certChain()).isEqualTo(server.certChain().toString());
                    assertThat(tls.trustCerts()).isEqualTo(pki.caCert().toString());
                    assertThat(tls.clientAuth()).isEqualTo(GrpcProperties.Tls.ClientAuth.REQUIRE);
                });
    }

    @Test
    void enabledWithoutFilesNamesTheProperties() {
        assertFailsWith(new String[] {"replcache.grpc.tls.enabled=true"},
                "replcache.grpc.tls.cert-chain", "replcache.grpc.tls.private-key");
    }

    @Test
    void aMissingFileNamesThePropertyAndThePath() {
        Path missing = tmp.resolve("nope.pem");
        assertFailsWith(serverTls("replcache.grpc.tls.cert-chain=" + missing),
                "replcache.grpc.tls.cert-chain", missing.toString(), "does not exist");
        assertFailsWith(serverTls("replcache.grpc.tls.private-key=" + tmp),
                "replcache.grpc.tls.private-key", "is not a file");
    }

    @Test
    void aFileWithoutACertificateIsRefused() throws Exception {
        Path notPem = Files.writeString(tmp.resolve("garbage.pem"), "hello\n");
        assertFailsWith(serverTls("replcache.grpc.tls.cert-chain=" + notPem), "replcache.grpc.tls.cert-chain", "garbage.pem");
        // A key where the certificate belongs.
        assertFailsWith(serverTls("replcache.grpc.tls.cert-chain=" + server.privateKey()), "replcache.grpc.tls.cert-chain");
    }

    @Test
    void aKeyThatIsNotPkcs8SaysHowToConvertIt() throws Exception {
        Path sec1 = Files.writeString(tmp.resolve("sec1-key.pem"), TestPki.pem(server.keys()));
        assertThat(Files.readString(sec1)).contains("BEGIN EC PRIVATE KEY");
        assertFailsWith(serverTls("replcache.grpc.tls.private-key=" + sec1),
                "replcache.grpc.tls.private-key", "EC (not PKCS#8)", "openssl pkcs8 -topk8 -nocrypt");
        // A certificate where the key belongs.
        assertFailsWith(serverTls("replcache.grpc.tls.private-key=" + server.certChain()),
                "replcache.grpc.tls.private-key", "no PEM private key");
    }

    @Test
    void aKeyOfAnotherCertificateIsRefused() {
        assertFailsWith(serverTls("replcache.grpc.tls.private-key=" + client.privateKey()),
                "replcache.grpc.tls.private-key is not the private key of the first certificate in replcache.grpc.tls.cert-chain");
    }

    @Test
    void anExpiredCertificateIsRefused() {
        TestPki.Issued expired = pki.issue("expired", List.of("127.0.0.1"), KeyPurposeId.id_kp_serverAuth,
                Instant.now().minus(Duration.ofDays(3)), Instant.now().minus(Duration.ofDays(1)));
        assertFailsWith(serverTls("replcache.grpc.tls.cert-chain=" + expired.certChain(),
                "replcache.grpc.tls.private-key=" + expired.privateKey()), "replcache.grpc.tls.cert-chain", "valid only from");
    }

    @Test
    void clientAuthNeedsTrustCerts() {
        assertFailsWith(serverTls("replcache.grpc.tls.client-auth=require"),
                "replcache.grpc.tls.client-auth=require needs replcache.grpc.tls.trust-certs");
        assertFailsWith(serverTls("replcache.grpc.tls.client-auth=optional"),
                "replcache.grpc.tls.client-auth=optional needs replcache.grpc.tls.trust-certs");
        // Trust certificates without client-auth are unused but allowed (the Helm chart always
        // mounts its CA), and still checked.
        runner.withPropertyValues(serverTls("replcache.grpc.tls.trust-certs=" + pki.caCert()))
                .run(ctx -> assertThat(ctx).hasNotFailed());
        assertFailsWith(serverTls("replcache.grpc.tls.trust-certs=" + tmp.resolve("no-ca.pem")),
                "replcache.grpc.tls.trust-certs", "does not exist");
        assertFailsWith(serverTls("replcache.grpc.tls.client-auth=sometimes"), "replcache.grpc.tls.client-auth", "sometimes");
    }

    @Test
    void filesAreNotCheckedWhileTlsIsOff() {
        runner.withPropertyValues("replcache.grpc.tls.cert-chain=/no/such/file.pem",
                "replcache.replication.tls.trust-certs=/no/such/ca.pem").run(ctx -> assertThat(ctx).hasNotFailed());
    }

    @Test
    void aReplicaSettingBindsAndIsChecked() {
        runner.withPropertyValues("replcache.replication.tls.enabled=true",
                "replcache.replication.tls.trust-certs=" + pki.caCert(),
                "replcache.replication.tls.cert-chain=" + client.certChain(),
                "replcache.replication.tls.private-key=" + client.privateKey(),
                "replcache.replication.tls.authority=replcache-master").run(ctx -> {
                    ReplicationProperties.Tls tls = ctx.getBean(ReplicationProperties.class).tls();
                    assertThat(tls.enabled()).isTrue();
                    assertThat(tls.authority()).isEqualTo("replcache-master");
                    assertThat(tls.privateKey()).isEqualTo(client.privateKey().toString());
                });
        // Without trust-certs: the JVM's trust store, which is a valid choice.
        runner.withPropertyValues("replcache.replication.tls.enabled=true").run(ctx -> assertThat(ctx).hasNotFailed());
        assertFailsWith(new String[] {"replcache.replication.tls.enabled=true",
                "replcache.replication.tls.trust-certs=" + tmp.resolve("missing-ca.pem")},
                "replcache.replication.tls.trust-certs", "does not exist");
        assertFailsWith(new String[] {"replcache.replication.tls.enabled=true",
                "replcache.replication.tls.cert-chain=" + client.certChain()},
                "replcache.replication.tls.cert-chain and replcache.replication.tls.private-key go together");
        assertFailsWith(new String[] {"replcache.replication.tls.enabled=true",
                "replcache.replication.tls.cert-chain=" + client.certChain(),
                "replcache.replication.tls.private-key=" + server.privateKey()},
                "replcache.replication.tls.private-key is not the private key");
    }

    @Test
    void tokensAreTrimmedAndABlankOneIsRefused() {
        // Raw values (withPropertyValues would trim them): a token from a file often ends in a newline.
        withRaw("replcache.grpc.auth-token", " abc \n").run(ctx ->
                assertThat(ctx.getBean(GrpcProperties.class).authToken()).isEqualTo("abc"));
        withRaw("replcache.grpc.auth-token", "   ").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(fullMessage(ctx)).contains("replcache.grpc.auth-token is blank");
        });
        withRaw("replcache.grpc.auth-token", "a b").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(fullMessage(ctx)).contains("replcache.grpc.auth-token must not contain spaces");
        });
    }

    private ApplicationContextRunner withRaw(String name, String value) {
        return runner.withInitializer(ctx -> ctx.getEnvironment().getPropertySources()
                .addFirst(new MapPropertySource("raw", Map.of(name, value))));
    }

    private static String fullMessage(AssertableApplicationContext ctx) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = ctx.getStartupFailure(); c != null; c = c.getCause()) {
            sb.append(c.getMessage()).append('\n');
        }
        return sb.toString();
    }
}
