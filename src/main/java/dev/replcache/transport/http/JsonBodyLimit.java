package dev.replcache.transport.http;

import dev.replcache.node.LimitExceededException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Type;
import org.springframework.core.MethodParameter;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpInputMessage;
import org.springframework.http.converter.HttpMessageConverter;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.servlet.mvc.method.annotation.RequestBodyAdviceAdapter;

/**
 * Bounds every {@code @RequestBody} (JSON) read by {@code replcache.http.max-json-body}, so a
 * huge MSET cannot make the node buffer it: a larger Content-Length is refused before reading,
 * and a chunked body is cut off once it passes the bound. Both end in a 413.
 */
@ControllerAdvice
class JsonBodyLimit extends RequestBodyAdviceAdapter {

    private static final String PROPERTY = "replcache.http.max-json-body";

    private final long maxBytes;

    JsonBodyLimit(HttpApiProperties properties) {
        this.maxBytes = properties.maxJsonBody().toBytes();
    }

    @Override
    public boolean supports(MethodParameter methodParameter, Type targetType,
                            Class<? extends HttpMessageConverter<?>> converterType) {
        return true;
    }

    @Override
    public HttpInputMessage beforeBodyRead(HttpInputMessage inputMessage, MethodParameter parameter, Type targetType,
                                           Class<? extends HttpMessageConverter<?>> converterType) throws IOException {
        long declared = inputMessage.getHeaders().getContentLength();
        if (declared > maxBytes) {
            throw new LimitExceededException("JSON body", PROPERTY, maxBytes, declared, "bytes");
        }
        InputStream limited = new Bounded(inputMessage.getBody(), maxBytes);
        return new HttpInputMessage() {
            @Override
            public InputStream getBody() {
                return limited;
            }

            @Override
            public HttpHeaders getHeaders() {
                return inputMessage.getHeaders();
            }
        };
    }

    /** Throws once more than {@code max} bytes were read. */
    private static final class Bounded extends FilterInputStream {
        private final long max;
        private long count;

        Bounded(InputStream in, long max) {
            super(in);
            this.max = max;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                counted(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            if (n > 0) {
                counted(n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            counted(skipped);
            return skipped;
        }

        private void counted(long n) {
            count += n;
            if (count > max) {
                throw new LimitExceededException("JSON body read so far", PROPERTY, max, count, "bytes");
            }
        }
    }
}
