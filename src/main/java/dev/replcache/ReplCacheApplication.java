package dev.replcache;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * Entry point: one ReplCache node per process.
 *
 * <p>Component scanning covers only the packages that hold Spring components, not the core
 * ({@code keyspace}, {@code replication}) nor the ~350 generated protobuf classes under
 * {@code api}: reading those took about 0.6 s of a 5 s start on a 2-core machine.
 * ArchitectureTest keeps every component inside these packages.
 */
@SpringBootApplication(scanBasePackages = {"dev.replcache.config", "dev.replcache.failover", "dev.replcache.node",
        "dev.replcache.ops", "dev.replcache.transport"})
@ConfigurationPropertiesScan({"dev.replcache.config", "dev.replcache.transport.http"})
public class ReplCacheApplication {

    public static void main(String[] args) {
        SpringApplication.run(ReplCacheApplication.class, args);
    }
}
