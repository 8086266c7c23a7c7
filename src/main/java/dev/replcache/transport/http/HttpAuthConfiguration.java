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

/**
 * The bearer checks of the HTTP API, present when {@code replcache.http.auth-token} or
 * {@code replcache.replication.admin-token} is set (the latter for the routes that change roles).
 */
@Configuration(proxyBeanMethods = false)
@Conditional(HttpAuthConfiguration.TokenSet.class)
class HttpAuthConfiguration {

    private static final String PROPERTY = "replcache.http.auth-token";
    private static final String ADMIN_PROPERTY = "replcache.replication.admin-token";
    private static final String SCHEME = "bearerAuth";

    /**
     * Runs before Spring MVC, so a refused request never reaches a controller or has its body
     * read; after character encoding and the observation filter, so refusals are measured.
     */
    @Bean
    FilterRegistrationBean<BearerAuthFilter> bearerAuthFilter(
            HttpApiProperties properties, dev.replcache.config.ReplicationProperties replication,
            @Qualifier("handlerExceptionResolver") ObjectProvider<HandlerExceptionResolver> resolvers) {
        FilterRegistrationBean<BearerAuthFilter> registration = new FilterRegistrationBean<>(new BearerAuthFilter(
                BearerToken.of(properties.authToken()), BearerToken.of(replication.adminToken()), new LazyResolver(resolvers)));
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
            return !context.getEnvironment().getProperty(PROPERTY, "").isEmpty()
                    || !context.getEnvironment().getProperty(ADMIN_PROPERTY, "").isEmpty();
        }
    }
}
