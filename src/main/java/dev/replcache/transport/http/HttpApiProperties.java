package dev.replcache.transport.http;

import dev.replcache.config.BearerToken;
import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * The HTTP API's own bounds under {@code replcache.http.*}. (Key and value sizes are the
 * node's {@code replcache.limits.*}, the same for every transport.)
 *
 * @param maxJsonBody largest JSON request body (MGET, MSET, DEL, HSET); larger gets 413.
 *                    Raw value bodies are bounded by {@code replcache.limits.max-value-bytes}.
 * @param authToken   bearer token every {@code /v1/**} request must carry
 *                    ({@code Authorization: Bearer <token>}); empty = none. The actuator (health
 *                    probes), {@code /} and the OpenAPI document stay open.
 */
@Validated
@ConfigurationProperties("replcache.http")
public record HttpApiProperties(
        @DefaultValue("32MB") @NotNull DataSize maxJsonBody,
        @DefaultValue("") String authToken) {

    public HttpApiProperties {
        authToken = BearerToken.normalize(authToken, "replcache.http.auth-token");
        if (maxJsonBody != null && (maxJsonBody.toBytes() < 1 || maxJsonBody.toBytes() > Integer.MAX_VALUE)) {
            throw new IllegalArgumentException("replcache.http.max-json-body must be between 1B and 2GB, got " + maxJsonBody);
        }
    }
}
