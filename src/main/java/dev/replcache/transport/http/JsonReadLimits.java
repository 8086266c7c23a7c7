package dev.replcache.transport.http;

import org.springframework.boot.jackson.autoconfigure.JsonFactoryBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import tools.jackson.core.StreamReadConstraints;

/**
 * Jackson's own read constraints, aligned with ours. By default Jackson refuses an object name
 * longer than 50,000 characters (and a string longer than 100 million), so an MSET or HSET
 * whose key or field was within {@code replcache.limits.max-key-bytes} (64KB) failed with a
 * 400 about the JSON's shape. The whole body is already bounded by
 * {@code replcache.http.max-json-body}, and no name or string can be longer than the body, so
 * Jackson's name and string bounds are raised to it: every key and value then reaches our own
 * checks, which answer a 413 naming the limit that was passed.
 */
@Configuration(proxyBeanMethods = false)
class JsonReadLimits {

    @Bean
    JsonFactoryBuilderCustomizer replcacheJsonReadLimits(HttpApiProperties properties) {
        int bodyBytes = (int) properties.maxJsonBody().toBytes();
        return new Customizer(bodyBytes);
    }

    /**
     * After Spring Boot's own customizer (order 0), which always sets the read constraints from
     * {@code spring.jackson.factory.constraints.read.*}; the builder cannot be asked for them, so
     * these are Jackson's defaults with the name and string bounds raised (ReplCache sets none of
     * those properties).
     */
    private record Customizer(int maxBodyBytes) implements JsonFactoryBuilderCustomizer, Ordered {

        @Override
        public void customize(tools.jackson.core.json.JsonFactoryBuilder builder) {
            StreamReadConstraints current = StreamReadConstraints.defaults();
            builder.streamReadConstraints(current.rebuild()
                    .maxNameLength(Math.max(current.getMaxNameLength(), maxBodyBytes))
                    .maxStringLength(Math.max(current.getMaxStringLength(), maxBodyBytes))
                    .build());
        }

        @Override
        public int getOrder() {
            return Ordered.LOWEST_PRECEDENCE;
        }
    }
}
