package dev.replcache.transport.http;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The servlet error path ({@code /error}), where the container forwards errors that happen
 * outside Spring MVC's handlers (a filter, a committed async request): a problem with the
 * forwarded status, never its exception's message. Requested directly it is no route (404),
 * where Spring Boot's default controller answered 500.
 */
@RestController
@io.swagger.v3.oas.annotations.Hidden
class ProblemErrorController implements ErrorController {

    @RequestMapping("${server.error.path:/error}")
    ResponseEntity<ProblemDetail> error(HttpServletRequest request) {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        ProblemType type;
        int status;
        String detail;
        if (code instanceof Integer forwarded && forwarded >= 400) {
            status = forwarded;
            type = ProblemType.forStatus(status);
            detail = status >= 500 ? "The server failed; the error is logged" : HttpStatus.valueOf(status).getReasonPhrase();
        } else {
            type = ProblemType.NO_ROUTE;
            status = type.status().value();
            detail = "No route for " + request.getMethod() + " " + request.getRequestURI();
        }
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.valueOf(status), detail);
        problem.setType(type.uri());
        problem.setTitle(type.title());
        Object uri = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI);
        if (uri instanceof String path) {
            problem.setInstance(java.net.URI.create(path.replaceAll("[^\\x21-\\x7e]", "_")));
        }
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(problem);
    }
}
