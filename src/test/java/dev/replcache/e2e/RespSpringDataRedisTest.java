package dev.replcache.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.replcache.keyspace.Bytes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.cache.Cache;
import org.springframework.cache.CacheManager;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.cache.BatchStrategies;
import org.springframework.data.redis.cache.RedisCacheConfiguration;
import org.springframework.data.redis.cache.RedisCacheManager;
import org.springframework.data.redis.cache.RedisCacheWriter;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.serializer.RedisSerializationContext;
import org.springframework.data.redis.serializer.StringRedisSerializer;

/**
 * Spring's cache abstraction on Spring Data Redis (Lettuce) pointed at a ReplCache master:
 * {@code @Cacheable} with a TTL, time-to-idle (GETEX), locking (SET NX), evict and clear (SCAN +
 * DEL), and the cached values read back through a second cache manager on the replica.
 */
class RespSpringDataRedisTest {

    @TempDir
    static Path tmp;

    private static TestNode master;
    private static TestNode replica;
    private static AnnotationConfigApplicationContext app;
    private static AnnotationConfigApplicationContext replicaApp;

    static final AtomicInteger LOOKUPS = new AtomicInteger();

    /** What the application caches: an expensive lookup. */
    public static class Books {
        @Cacheable("books")
        public String title(int id) {
            LOOKUPS.incrementAndGet();
            return "title-" + id;
        }
    }

    /** The application's cache configuration, as a Spring Boot application would declare it. */
    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    static class CachingApp {
        @Bean
        LettuceConnectionFactory redisConnectionFactory() {
            return new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", Integer.getInteger("test.resp.port")));
        }

        @Bean
        RedisCacheManager cacheManager(LettuceConnectionFactory factory) {
            RedisCacheConfiguration defaults = RedisCacheConfiguration.defaultCacheConfig()
                    .entryTtl(Duration.ofSeconds(60))
                    .serializeValuesWith(RedisSerializationContext.SerializationPair.fromSerializer(new StringRedisSerializer()));
            // immediateWrites: put and evict wait for their reply before they return (Spring Data
            // Redis 4 defers them by default), so the test reads its own writes without a race.
            RedisCacheWriter writer = RedisCacheWriter.create(factory,
                    w -> w.enableLocking().batchStrategy(BatchStrategies.scan(100)).immediateWrites());
            return RedisCacheManager.builder(writer).cacheDefaults(defaults)
                    .withCacheConfiguration("sessions", defaults.enableTimeToIdle())
                    .build();
        }

        @Bean
        Books books() {
            return new Books();
        }
    }

    @BeforeAll
    static void start() {
        master = TestNode.start("master", tmp.resolve("master"), "replcache.resp.port=" + TestNode.freePort());
        replica = TestNode.start("replica", tmp.resolve("replica"), "replcache.resp.port=" + TestNode.freePort(),
                "replcache.replication.master=" + master.grpcAddress());
        await().atMost(Duration.ofSeconds(30)).until(() -> replica.node().replicationView().master().ready());
        app = context(master);
        replicaApp = context(replica);
    }

    private static AnnotationConfigApplicationContext context(TestNode node) {
        System.setProperty("test.resp.port", Integer.toString(node.respPort()));
        try {
            return new AnnotationConfigApplicationContext(CachingApp.class);
        } finally {
            System.clearProperty("test.resp.port");
        }
    }

    @AfterAll
    static void stop() {
        replicaApp.close();
        app.close();
        replica.close();
        master.close();
    }

    @Test
    void cacheableValuesHaveTheTtlAndAreReadBackFromTheReplica() {
        Books books = app.getBean(Books.class);
        int before = LOOKUPS.get();
        assertThat(books.title(42)).isEqualTo("title-42");
        assertThat(books.title(42)).isEqualTo("title-42");
        assertThat(LOOKUPS.get() - before).as("lookups: the second call is served by the cache").isEqualTo(1);

        Bytes key = Bytes.utf8("books::42");
        assertThat(master.node().keyspace().get(key)).isEqualTo(Bytes.utf8("title-42"));
        assertThat(master.node().keyspace().pttl(key)).isBetween(1L, 60_000L);

        Cluster.awaitInSync(master, replica);
        Cache onReplica = replicaApp.getBean(CacheManager.class).getCache("books");
        assertThat(onReplica.get(42)).isNotNull();
        assertThat(onReplica.get(42).get()).isEqualTo("title-42");
        assertThat(onReplica.get(43)).isNull();
        assertThat(replica.node().keyspace().pttl(key)).isBetween(1L, 60_000L);
    }

    @Test
    void putIfAbsentEvictAndClear() {
        Cache cache = app.getBean(CacheManager.class).getCache("books");
        assertThat(cache.putIfAbsent(1, "one")).isNull();
        assertThat(cache.putIfAbsent(1, "uno").get()).isEqualTo("one");
        cache.put(2, "two");
        cache.put(3, "three");
        cache.evict(2);
        assertThat(cache.get(2)).isNull();
        assertThat(cache.get(3).get()).isEqualTo("three");
        cache.clear(); // SCAN MATCH books::* + DEL
        assertThat(cache.get(1)).isNull();
        assertThat(cache.get(3)).isNull();
        assertThat(master.node().keyspace().scan(0, Bytes.utf8("books::*"), 100_000).keys()).isEmpty();
        Cluster.awaitInSync(master, replica);
        assertThat(replicaApp.getBean(CacheManager.class).getCache("books").get(1)).isNull();
    }

    @Test
    void timeToIdleRefreshesTheTtlOnEveryRead() {
        Cache sessions = app.getBean(CacheManager.class).getCache("sessions");
        sessions.put("s1", "alice");
        Bytes key = Bytes.utf8("sessions::s1");
        master.node().writableKeyspace().pexpire(key, 5_000);
        assertThat(master.node().keyspace().pttl(key)).isLessThanOrEqualTo(5_000);
        assertThat(sessions.get("s1").get()).isEqualTo("alice"); // GETEX key PX 60000
        assertThat(master.node().keyspace().pttl(key)).isGreaterThan(5_000);
    }
}
