package dev.replcache.transport.http;

import dev.replcache.node.CacheNode;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import java.util.List;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.boot.tomcat.TomcatContextCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;

/** Wires the HTTP API: the path-bytes resolver, the Tomcat connector settings, the OpenAPI info. */
@Configuration(proxyBeanMethods = false)
class HttpConfiguration implements WebMvcConfigurer {

    private final CacheNode node;

    HttpConfiguration(CacheNode node) {
        this.node = node;
    }

    @Override
    public void addArgumentResolvers(List<HandlerMethodArgumentResolver> resolvers) {
        resolvers.add(new PathBytesResolver(node));
    }

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(WriteAckFilter.headerCheck()).addPathPatterns("/v1/**");
    }

    /** Inline WAIT and the slow-replica throttle for writes on the API (not the actuator). */
    @Bean
    FilterRegistrationBean<WriteAckFilter> writeAckFilter() {
        FilterRegistrationBean<WriteAckFilter> registration = new FilterRegistrationBean<>(new WriteAckFilter(node));
        registration.addUrlPatterns("/v1/*");
        return registration;
    }

    /**
     * Keys are binary-safe, so Tomcat must hand encoded path characters to us unchanged: by
     * default it rejects {@code %2F} (a '/' inside a key) with a bare 400. And it must never
     * parse a body as a form: a value sent with curl's default
     * {@code application/x-www-form-urlencoded} is still just bytes.
     */
    @Bean
    TomcatConnectorCustomizer replcacheConnectorCustomizer() {
        return connector -> {
            connector.setEncodedSolidusHandling("passthrough");
            connector.setEncodedReverseSolidusHandling("passthrough");
            connector.setParseBodyMethods("");
        };
    }

    /**
     * Tomcat's own error pages (requests it refuses before Spring runs) as problem+json: the
     * host's error report valve, set while the context is added and before the host starts.
     */
    @Bean
    TomcatContextCustomizer problemErrorReports() {
        return context -> {
            if (context.getParent() instanceof org.apache.catalina.core.StandardHost host) {
                host.setErrorReportValveClass(ProblemErrorReportValve.class.getName());
            }
        };
    }

    /**
     * Error responses are problems, whatever the operation returns on success, and a 204 has
     * no body: springdoc would otherwise give both the success type.
     */
    @Bean
    OpenApiCustomizer problemResponses() {
        return openApi -> {
            openApi.getComponents().addSchemas("Problem", new ObjectSchema()
                    .description("RFC 7807 problem; type is one of " + ProblemType.BASE + "*")
                    .addProperty("type", new StringSchema().format("uri"))
                    .addProperty("title", new StringSchema())
                    .addProperty("status", new IntegerSchema())
                    .addProperty("detail", new StringSchema())
                    .addProperty("instance", new StringSchema().format("uri")));
            Content problem = new Content().addMediaType("application/problem+json",
                    new io.swagger.v3.oas.models.media.MediaType().schema(new Schema<>().$ref("#/components/schemas/Problem")));
            openApi.getPaths().values().forEach(path -> path.readOperations().forEach(op ->
                    op.getResponses().forEach((code, response) -> {
                        if (code.startsWith("4") || code.startsWith("5")) {
                            response.setContent(problem);
                        } else if (code.equals("204")) {
                            response.setContent(null);
                        }
                    })));
        };
    }

    @Bean
    OpenAPI replcacheOpenApi() {
        return new OpenAPI().info(new Info()
                .title("ReplCache HTTP API")
                .version("v1")
                .description("An in-memory cache with Redis commands and Redis-style replication. Errors are RFC 7807"
                        + " application/problem+json with a type under " + ProblemType.BASE + "."));
    }
}
