package dev.replcache.transport.resp;

/** A command refused with a Redis error reply; the message starts with its code (ERR, WRONGPASS, ...). */
final class RespError extends RuntimeException {

    RespError(String message) {
        super(message, null, false, false);
    }

    static RespError syntax() {
        return new RespError("ERR syntax error");
    }

    static RespError notInteger() {
        return new RespError("ERR value is not an integer or out of range");
    }

    static RespError arity(String command) {
        return new RespError("ERR wrong number of arguments for '" + command + "' command");
    }
}
