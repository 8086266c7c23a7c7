package dev.replcache.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.replcache.keyspace.EvictionPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.util.unit.DataSize;

/** Binding, defaults and start-time validation of {@code replcache.*}. */
class ReplcachePropertiesTest {

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties({ReplcacheProperties.class, GrpcProperties.class, SnapshotProperties.class})
    static class Props {
    }

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
            .withUserConfiguration(Props.class);

    @Test
    void defaultsAreTheDocumentedOnes() {
        runner.run(ctx -> {
            ReplcacheProperties p = ctx.getBean(ReplcacheProperties.class);
            assertThat(p.dataDir().normalize()).isEqualTo(Path.of("data"));
            assertThat(p.maxMemory()).isEqualTo(DataSize.ofBytes(0));
            assertThat(p.evictionPolicy()).isEqualTo(EvictionPolicy.NOEVICTION);
            assertThat(p.limits().maxKeyBytes()).isEqualTo(DataSize.ofKilobytes(64));
            assertThat(p.limits().maxValueBytes()).isEqualTo(DataSize.ofMegabytes(16));
            assertThat(p.keyspace().segments()).isEqualTo(256);
            assertThat(p.expiry().cycleInterval()).isEqualTo(Duration.ofMillis(100));
            GrpcProperties g = ctx.getBean(GrpcProperties.class);
            assertThat(g.port()).isEqualTo(9090);
            assertThat(g.shutdownGracePeriod()).isEqualTo(Duration.ofSeconds(10));
        });
    }

    @Test
    void snapshotDefaultsAreTheDocumentedOnes() {
        runner.run(ctx -> {
            SnapshotProperties s = ctx.getBean(SnapshotProperties.class);
            assertThat(s.file()).isEqualTo("dump.rdb");
            assertThat(s.interval()).isZero();
            assertThat(s.onShutdown()).isTrue();
            assertThat(s.shutdownTimeout()).isEqualTo(Duration.ofSeconds(60));
            assertThat(s.ignoreCorrupt()).isFalse();
            assertThat(s.keySaveDelay()).isZero();
        });
    }

    @Test
    void aSnapshotFileWithADirectoryFailsTheStartNamingTheProperty() {
        runner.withPropertyValues("replcache.snapshot.file=../elsewhere/dump.rdb").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(fullMessage(ctx.getStartupFailure())).contains("replcache.snapshot.file")
                    .contains("../elsewhere/dump.rdb");
        });
    }

    @Test
    void redisStyleNamesBind() {
        runner.withPropertyValues("replcache.eviction-policy=allkeys-lru", "replcache.max-memory=100MB")
                .run(ctx -> {
                    ReplcacheProperties p = ctx.getBean(ReplcacheProperties.class);
                    assertThat(p.evictionPolicy()).isEqualTo(EvictionPolicy.ALLKEYS_LRU);
                    assertThat(p.maxMemory().toBytes()).isEqualTo(100L * 1024 * 1024);
                });
    }

    @Test
    void environmentVariablesBind() {
        runner.withInitializer(ctx -> ctx.getEnvironment().getPropertySources().addFirst(
                        new SystemEnvironmentPropertySource("systemEnvironment", Map.of(
                                "REPLCACHE_LIMITS_MAXVALUEBYTES", "1MB",
                                "REPLCACHE_EVICTIONPOLICY", "volatile-ttl",
                                "REPLCACHE_GRPC_PORT", "9191"))))
                .run(ctx -> {
                    assertThat(ctx.getBean(ReplcacheProperties.class).limits().maxValueBytes())
                            .isEqualTo(DataSize.ofMegabytes(1));
                    assertThat(ctx.getBean(ReplcacheProperties.class).evictionPolicy())
                            .isEqualTo(EvictionPolicy.VOLATILE_TTL);
                    assertThat(ctx.getBean(GrpcProperties.class).port()).isEqualTo(9191);
                });
    }

    @Test
    void unknownEvictionPolicyFailsTheStartNamingTheProperty() {
        runner.withPropertyValues("replcache.eviction-policy=lru-please").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(fullMessage(ctx.getStartupFailure())).contains("replcache.eviction-policy").contains("lru-please");
        });
    }

    @Test
    void segmentsMustBeAPowerOfTwo() {
        runner.withPropertyValues("replcache.keyspace.segments=100").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(fullMessage(ctx.getStartupFailure())).contains("power of two");
        });
    }

    @Test
    void outOfRangeValuesFailTheStart() {
        runner.withPropertyValues("replcache.grpc.port=70000").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(fullMessage(ctx.getStartupFailure())).contains("replcache.grpc").contains("port");
        });
        runner.withPropertyValues("replcache.max-memory=-1MB").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(fullMessage(ctx.getStartupFailure())).contains("replcache.max-memory");
        });
        runner.withPropertyValues("replcache.expiry.cycle-interval=0s").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(fullMessage(ctx.getStartupFailure())).contains("cycle-interval");
        });
    }

    private static String fullMessage(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            sb.append(c.getMessage()).append('\n');
        }
        return sb.toString();
    }
}
