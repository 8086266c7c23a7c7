package dev.replcache.transport.http;

import dev.replcache.keyspace.Bytes;
import dev.replcache.node.CacheNode;
import jakarta.servlet.http.HttpServletRequest;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.springframework.core.MethodParameter;
import org.springframework.web.bind.support.WebDataBinderFactory;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.method.support.ModelAndViewContainer;
import org.springframework.web.servlet.HandlerMapping;

/**
 * Resolves {@link PathKey} and {@link PathField} parameters from the raw request path.
 *
 * <p>Why not {@code @PathVariable}: Spring's path matching strips {@code ;params} from a
 * segment (so {@code /v1/keys/a;b} would silently be key {@code a}) and decodes invalid UTF-8
 * to U+FFFD (so {@code %FE} and {@code %FF} would be one key). Keys are binary-safe in Redis;
 * here the segment of the raw URI is percent-decoded to exactly the bytes the client sent.
 * A malformed escape is a 400.
 *
 * <p>Tomcat itself refuses some bytes in a path before we see it (invalid UTF-8 such as
 * {@code %FF}, {@code %00}). For those keys, and any other, a request with the header
 * {@code Key-Encoding: base64url} sends its key and field segments in the URL-safe base64 form
 * (RFC 4648 section 5, padding optional): any bytes, and only {@code [A-Za-z0-9_-]} on the wire.
 */
final class PathBytesResolver implements HandlerMethodArgumentResolver {

    /** The request header that says how the path's key and field segments are encoded. */
    static final String KEY_ENCODING = "Key-Encoding";

    private final CacheNode node;

    PathBytesResolver(CacheNode node) {
        this.node = node;
    }

    @Override
    public boolean supportsParameter(MethodParameter parameter) {
        return parameter.getParameterType() == Bytes.class
                && (parameter.hasParameterAnnotation(PathKey.class) || parameter.hasParameterAnnotation(PathField.class));
    }

    @Override
    public Object resolveArgument(MethodParameter parameter, ModelAndViewContainer mavContainer,
                                  NativeWebRequest webRequest, WebDataBinderFactory binderFactory) {
        HttpServletRequest request = webRequest.getNativeRequest(HttpServletRequest.class);
        boolean isKey = parameter.hasParameterAnnotation(PathKey.class);
        String variable = isKey ? "{key}" : "{field}";
        String what = isKey ? "key" : "hash field";
        String encoding = request.getHeader(KEY_ENCODING);
        String raw = rawSegment(request, variable);
        Bytes bytes;
        if (encoding == null) {
            bytes = percentDecode(raw, what);
        } else if (encoding.trim().equalsIgnoreCase("base64url")) {
            bytes = base64urlDecode(raw, what);
        } else {
            throw ApiProblemException.invalid(KEY_ENCODING + " must be base64url (or absent for percent-encoded paths), got '"
                    + dev.replcache.config.LogText.escape(encoding, 40) + "'");
        }
        return isKey ? node.limits().checkKey(bytes) : node.limits().checkField(bytes);
    }

    /**
     * The still-encoded path segment where the matched pattern has {@code variable}. The pattern
     * was matched against this same raw URI segment by segment, so the indexes line up.
     */
    static String rawSegment(HttpServletRequest request, String variable) {
        Object pattern = request.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
        if (pattern == null) {
            throw new IllegalStateException("no matched pattern for " + variable);
        }
        String[] patternSegments = pattern.toString().split("/", -1);
        int index = -1;
        for (int i = 0; i < patternSegments.length; i++) {
            if (patternSegments[i].equals(variable)) {
                index = i;
                break;
            }
        }
        String path = request.getRequestURI().substring(request.getContextPath().length());
        String[] pathSegments = path.split("/", -1);
        if (index < 0 || index >= pathSegments.length) {
            throw new IllegalStateException("pattern " + pattern + " has no " + variable + " in " + path);
        }
        return pathSegments[index];
    }

    /** The URL-safe base64 form (RFC 4648 section 5), padding optional. */
    static Bytes base64urlDecode(String raw, String what) {
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
                    || (c == '=' && i >= raw.length() - 2);
            if (!ok) {
                throw ApiProblemException.invalid(what + " is not base64url (Key-Encoding: base64url): character "
                        + (c < 0x20 || c > 0x7e ? String.format("U+%04X", (int) c) : "'" + c + "'") + " at position " + i);
            }
        }
        try {
            return Bytes.of(java.util.Base64.getUrlDecoder().decode(raw));
        } catch (IllegalArgumentException e) {
            throw ApiProblemException.invalid(what + " is not base64url (Key-Encoding: base64url): " + e.getMessage());
        }
    }

    /** Percent-decodes to bytes; other characters are taken as their UTF-8 encoding. */
    static Bytes percentDecode(String raw, String what) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
        int i = 0;
        while (i < raw.length()) {
            char c = raw.charAt(i);
            if (c == '%') {
                int hi = i + 1 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
                int lo = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 2), 16) : -1;
                if (hi < 0 || lo < 0) {
                    throw ApiProblemException.invalid(what + " has a malformed percent-escape at position " + i);
                }
                out.write((hi << 4) | lo);
                i += 3;
            } else if (c < 0x80) {
                out.write(c);
                i++;
            } else {
                int cp = raw.codePointAt(i);
                out.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
                i += Character.charCount(cp);
            }
        }
        return Bytes.of(out.toByteArray());
    }
}
