package dev.replcache;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** Entry point: one ReplCache node per process. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class ReplCacheApplication {

    public static void main(String[] args) {
        SpringApplication.run(ReplCacheApplication.class, args);
    }
}
