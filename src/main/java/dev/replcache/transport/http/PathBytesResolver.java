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
 */
final class PathBytesResolver implements HandlerMethodArgumentResolver {

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
        Bytes bytes = percentDecode(rawSegment(request, variable), what);
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
