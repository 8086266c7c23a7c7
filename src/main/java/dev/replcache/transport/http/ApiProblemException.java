package dev.replcache.transport.http;

/**
 * An error the HTTP layer itself decides (a missing key, a failed precondition, an unparsable
 * parameter), answered as a problem of {@link #type()}.
 */
final class ApiProblemException extends RuntimeException {

    private final ProblemType type;

    ApiProblemException(ProblemType type, String detail) {
        super(detail, null, false, false);
        this.type = type;
    }

    static ApiProblemException invalid(String detail) {
        return new ApiProblemException(ProblemType.INVALID_REQUEST, detail);
    }

    static ApiProblemException keyNotFound() {
        return new ApiProblemException(ProblemType.KEY_NOT_FOUND, "no such key");
    }

    static ApiProblemException fieldNotFound() {
        return new ApiProblemException(ProblemType.FIELD_NOT_FOUND, "no such hash field");
    }

    ProblemType type() {
        return type;
    }
}
