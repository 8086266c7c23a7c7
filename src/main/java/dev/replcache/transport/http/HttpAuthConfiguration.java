package dev.replcache.transport.http;

import dev.replcache.config.BearerToken;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.web.servlet.HandlerExceptionResolver;
import org.springframework.web.servlet.ModelAndView;

/** The bearer check of the HTTP API, present only when {@code replcache.http.auth-token} is set. */
@Configuration(proxyBeanMethods = false)
@Conditional(HttpAuthConfiguration.TokenSet.class)
class HttpAuthConfiguration {

    private static final String PROPERTY = "replcache.http.auth-token";
    private static final String SCHEME = "bearerAuth";

    /**
     * Runs before Spring MVC, so a refused request never reaches a controller or has its body
     * read; after character encoding and the observation filter, so refusals are measured.
     */
    @Bean
    FilterRegistrationBean<BearerAuthFilter> bearerAuthFilter(
            HttpApiProperties properties,
            @Qualifier("handlerExceptionResolver") ObjectProvider<HandlerExceptionResolver> resolvers) {
        BearerToken token = BearerToken.of(properties.authToken())
                .orElseThrow(() -> new IllegalStateException(PROPERTY + " is not set"));
        FilterRegistrationBean<BearerAuthFilter> registration =
                new FilterRegistrationBean<>(new BearerAuthFilter(token, new LazyResolver(resolvers)));
        registration.setName("replcacheBearerAuth");
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
        return registration;
    }

    /**
     * The OpenAPI document says that every operation needs the bearer token and may answer 401,
     * so generated clients ask for it.
     */
    @Bean
    OpenApiCustomizer bearerAuthDocumented() {
        return openApi -> {
            openApi.getComponents().addSecuritySchemes(SCHEME, new SecurityScheme()
                    .type(SecurityScheme.Type.HTTP).scheme("bearer")
                    .description("replcache.http.auth-token, as 'Authorization: Bearer <token>'"));
            openApi.addSecurityItem(new SecurityRequirement().addList(SCHEME));
            Content problem = new Content().addMediaType("application/problem+json",
                    new MediaType().schema(new Schema<>().$ref("#/components/schemas/Problem")));
            openApi.getPaths().values().forEach(path -> path.readOperations().forEach(op ->
                    op.getResponses().addApiResponse("401", new ApiResponse()
                            .description("no bearer token, or a wrong one").content(problem))));
        };
    }

    /** Defers the lookup of MVC's resolvers: filters are created before the MVC infrastructure. */
    private record LazyResolver(ObjectProvider<HandlerExceptionResolver> resolvers) implements HandlerExceptionResolver {
        @Override
        public ModelAndView resolveException(HttpServletRequest request, HttpServletResponse response, Object handler,
                                             Exception ex) {
            return resolvers.getObject().resolveException(request, response, handler, ex);
        }
    }

    /** The token property is set to something (the properties record rejects a blank one). */
    static final class TokenSet implements Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            String token = context.getEnvironment().getProperty(PROPERTY, "");
            return !token.isEmpty();
        }
    }
}
