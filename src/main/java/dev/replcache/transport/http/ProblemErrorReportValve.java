package dev.replcache.transport.http;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;

/**
 * Tomcat's own error responses, for requests it refuses before Spring sees them (a percent-escape
 * it cannot decode, invalid UTF-8 or NUL in the path, a request line or headers over their limit):
 * RFC 7807 problem+json like every other error of the API, instead of Tomcat's HTML page.
 * Responses Spring wrote already are left alone.
 */
public final class ProblemErrorReportValve extends ErrorReportValve {

    public ProblemErrorReportValve() {
        setShowReport(false);
        setShowServerInfo(false);
    }

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        ProblemType type = ProblemType.forStatus(status);
        String detail = switch (status) {
            case 400 -> "The server could not parse the request: a malformed percent-escape, invalid UTF-8 or a NUL"
                    + " in the path, a malformed header, or a request line and headers over"
                    + " server.max-http-request-header-size. For keys that are not UTF-8 text, send the key"
                    + " base64url-encoded with the header Key-Encoding: base64url.";
            case 414, 431 -> "The request line or its headers are over server.max-http-request-header-size. Long keys fit"
                    + " up to that size (in the path, or base64url-encoded with Key-Encoding: base64url).";
            default -> type.title();
        };
        String body = "{\"type\":\"" + type.uri() + "\",\"title\":\"" + type.title() + "\",\"status\":" + status
                + ",\"detail\":\"" + detail + "\"}";
        try {
            response.setContentType("application/problem+json");
            response.setCharacterEncoding(StandardCharsets.UTF_8.name());
            Writer writer = response.getReporter();
            if (writer != null) {
                writer.write(body);
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException e) {
            // The connection is gone or the response committed meanwhile: nothing more to say.
        }
    }
}
