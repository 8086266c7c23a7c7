package dev.replcache.transport.http;

import dev.replcache.config.BearerToken;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.RequestPath;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.servlet.HandlerExceptionResolver;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;

/**
 * With {@code replcache.http.auth-token} set, every request to the API ({@code /v1/**}) must
 * carry {@code Authorization: Bearer <token>}; any other gets a 401 problem with a
 * {@code WWW-Authenticate} challenge before a controller or a body reader sees it, and is
 * logged (never with what it presented). The actuator (health probes), {@code /} and the OpenAPI
 * document stay open.
 *
 * <p>The path is matched as Spring MVC matches routes (decoded segments, without matrix
 * parameters), so no spelling of a {@code /v1} path reaches a controller unchecked. The 401 is
 * rendered by the MVC exception resolvers, so it is the same problem+json as every other error.
 */
final class BearerAuthFilter extends OncePerRequestFilter {

    private static final Logger log = LoggerFactory.getLogger(BearerAuthFilter.class);

    private static final PathPattern PROTECTED = PathPatternParser.defaultInstance.parse("/v1/**");
    /** The routes that change roles: with an admin token set, they need it (and only it). */
    private static final PathPattern MASTER = PathPatternParser.defaultInstance.parse("/v1/replication/master");
    private static final PathPattern DISCONNECT = PathPatternParser.defaultInstance.parse("/v1/replication/master/disconnect");
    private static final PathPattern FAILOVER = PathPatternParser.defaultInstance.parse("/v1/replication/failover");

    private final java.util.Optional<BearerToken> token;
    private final java.util.Optional<BearerToken> adminToken;
    private final HandlerExceptionResolver problems;

    /**
     * @param token      {@code replcache.http.auth-token}, for every {@code /v1} route
     * @param adminToken {@code replcache.replication.admin-token}, for the routes that change roles
     * @param problems   Spring MVC's exception resolvers, which render {@link UnauthorizedException}
     *                   through {@link HttpProblemHandler}
     */
    BearerAuthFilter(java.util.Optional<BearerToken> token, java.util.Optional<BearerToken> adminToken,
                     HandlerExceptionResolver problems) {
        this.token = Objects.requireNonNull(token, "token");
        this.adminToken = Objects.requireNonNull(adminToken, "adminToken");
        this.problems = Objects.requireNonNull(problems, "problems");
    }

    /**
     * PUT/DELETE /v1/replication/master, POST .../master/disconnect, POST .../failover, matched
     * as Spring MVC matches routes (so no other spelling of them reaches a controller).
     */
    static boolean changesRoles(String method, org.springframework.http.server.PathContainer path) {
        return MASTER.matches(path) ? method.equals("PUT") || method.equals("DELETE")
                : (DISCONNECT.matches(path) || FAILOVER.matches(path)) && method.equals("POST");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        org.springframework.http.server.PathContainer path =
                RequestPath.parse(request.getRequestURI(), request.getContextPath()).pathWithinApplication();
        if (!PROTECTED.matches(path)) {
            chain.doFilter(request, response);
            return;
        }
        boolean admin = adminToken.isPresent() && changesRoles(request.getMethod(), path);
        java.util.Optional<BearerToken> needed = admin ? adminToken : token;
        if (needed.isEmpty()) {
            chain.doFilter(request, response);
            return;
        }
        BearerToken.Outcome outcome = needed.get().check(request.getHeader(HttpHeaders.AUTHORIZATION));
        if (outcome == BearerToken.Outcome.ACCEPTED) {
            chain.doFilter(request, response);
            return;
        }
        UnauthorizedException refused = new UnauthorizedException(outcome, admin);
        log.warn("Refused HTTP {} {} from {}: {}", request.getMethod(), request.getRequestURI(),
                request.getRemoteAddr(), refused.getMessage());
        if (problems.resolveException(request, response, null, refused) == null) {
            // No resolver took it (cannot happen with HttpProblemHandler in place): still refuse.
            response.setHeader(HttpHeaders.WWW_AUTHENTICATE, refused.challenge());
            response.sendError(HttpServletResponse.SC_UNAUTHORIZED, refused.getMessage());
        }
    }

    /** A request without the right bearer token; answered 401 with a challenge (RFC 6750). */
    static final class UnauthorizedException extends RuntimeException {

        private static final String REALM = "Bearer realm=\"replcache\"";

        private final BearerToken.Outcome outcome;

        UnauthorizedException(BearerToken.Outcome outcome, boolean admin) {
            super(admin
                    ? (outcome == BearerToken.Outcome.MISSING
                            ? "changing roles requires an 'Authorization: Bearer <admin-token>' header"
                            + " (replcache.replication.admin-token)"
                            : "the bearer token is not the admin token (replcache.replication.admin-token)")
                    : outcome == BearerToken.Outcome.MISSING
                            ? "this API requires an 'Authorization: Bearer <token>' header (replcache.http.auth-token)"
                            : "the bearer token is not valid", null, false, false);
            this.outcome = outcome;
        }

        /** The {@code WWW-Authenticate} value: RFC 6750 adds {@code invalid_token} when a token was sent. */
        String challenge() {
            return outcome == BearerToken.Outcome.WRONG ? REALM + ", error=\"invalid_token\"" : REALM;
        }
    }
}
