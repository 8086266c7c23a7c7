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
 * A {@code Bytes} handler parameter bound to the {@code {field}} path segment, percent-decoded
 * to exact bytes and checked with {@code RequestLimits.checkField}.
 */
@Documented
@Target(ElementType.PARAMETER)
@Retention(RetentionPolicy.RUNTIME)
@Parameter(name = "field", in = ParameterIn.PATH, required = true,
        description = "The hash field, percent-encoded (UTF-8)",
        schema = @Schema(type = "string"))
public @interface PathField {
}
