package dev.replcache.transport.http;

import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.enums.ParameterIn;
import io.swagger.v3.oas.annotations.media.Schema;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A {@code Bytes} handler parameter bound to the {@code {key}} path segment, percent-decoded to
 * exact bytes and checked with {@code RequestLimits.checkKey}. See {@link PathBytesResolver} for
 * why Spring's {@code @PathVariable} is not used.
 */
@Documented
@Target(ElementType.PARAMETER)
@Retention(RetentionPolicy.RUNTIME)
@Parameter(name = "key", in = ParameterIn.PATH, required = true,
        description = "The key, percent-encoded (UTF-8); '/' as %2F, ';' as %3B",
        schema = @Schema(type = "string"))
public @interface PathKey {
}
