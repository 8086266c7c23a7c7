package dev.replcache.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.Optional;

/**
 * A configured shared secret that clients present as {@code Authorization: Bearer <token>}
 * (HTTP header or gRPC metadata). The check takes the same time whatever the presented value:
 * both sides are hashed to SHA-256 and compared with {@link MessageDigest#isEqual}, so neither
 * the content nor the length of the token leaks through response times. The token itself is
 * never part of {@link #toString()} or of any message.
 */
public final class BearerToken {

    private static final String SCHEME = "bearer";

    private final byte[] expectedDigest;

    private BearerToken(String token) {
        this.expectedDigest = sha256(token);
    }

    /** The token to check, or empty when {@code configured} is empty (no authentication). */
    public static Optional<BearerToken> of(String configured) {
        return configured == null || configured.isEmpty() ? Optional.empty() : Optional.of(new BearerToken(configured));
    }

    /**
     * A configured token as the properties keep it: without surrounding whitespace (a token read
     * from a file or a Kubernetes secret often ends in a newline), and with no whitespace or
     * control character inside, which no client could send in a header.
     *
     * @throws IllegalArgumentException naming {@code property} otherwise
     */
    public static String normalize(String configured, String property) {
        if (configured == null) {
            return "";
        }
        String token = configured.strip();
        if (!configured.isEmpty() && token.isEmpty()) {
            throw new IllegalArgumentException(property + " is blank; leave it empty for no authentication");
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (Character.isWhitespace(c) || Character.isISOControl(c)) {
                throw new IllegalArgumentException(property + " must not contain spaces or control characters");
            }
        }
        return token;
    }

    /** What an {@code Authorization} value proves. */
    public enum Outcome {
        /** The value carries the configured token. */
        ACCEPTED,
        /** No value, or not of the Bearer scheme. */
        MISSING,
        /** A Bearer value with another token. */
        WRONG
    }

    /**
     * Checks an {@code Authorization} value: the scheme is {@code Bearer} in any case (RFC 7235),
     * followed by one or more spaces and the token.
     *
     * @param authorization the header or metadata value; null when absent
     */
    public Outcome check(String authorization) {
        if (authorization == null) {
            return Outcome.MISSING;
        }
        String value = authorization.strip();
        int space = value.indexOf(' ');
        if (space < 0 || !value.substring(0, space).toLowerCase(Locale.ROOT).equals(SCHEME)) {
            return Outcome.MISSING;
        }
        return matches(value.substring(space + 1).strip()) ? Outcome.ACCEPTED : Outcome.WRONG;
    }

    /** Whether {@code presented} is the token, exactly; compared in constant time (no timing oracle). */
    public boolean matches(String presented) {
        return presented != null && MessageDigest.isEqual(expectedDigest, sha256(presented));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "BearerToken[redacted]";
    }
}
