package dev.replcache.transport.http;

import dev.replcache.keyspace.Bytes;
import dev.replcache.node.LimitExceededException;
import dev.replcache.node.RequestLimits;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads a value body (raw bytes, any Content-Type) without ever holding more than
 * max-value-bytes + 1 of it: a declared Content-Length over the limit is refused before a byte
 * is read, and a body without one (chunked) is read only until it passes the limit.
 */
final class RawBody {

    private RawBody() {
    }

    static Bytes readValue(HttpServletRequest request, RequestLimits limits) {
        long declared = request.getContentLengthLong();
        if (declared >= 0) {
            limits.checkValueLength(declared);
        }
        int max = limits.maxValueBytes();
        byte[] body;
        try {
            InputStream in = request.getInputStream();
            // One byte past the limit is enough to know the body is too large.
            body = in.readNBytes(max == Integer.MAX_VALUE ? max : max + 1);
        } catch (IOException e) {
            // A broken chunked encoding or a client that went away mid-body.
            throw ApiProblemException.invalid("could not read the request body: " + e.getMessage());
        }
        if (body.length > max) {
            throw new LimitExceededException("value body read so far", "replcache.limits.max-value-bytes",
                    max, body.length, "bytes");
        }
        return limits.checkValue(Bytes.of(body));
    }
}
