package dev.replcache.transport.resp;

import java.util.concurrent.CompletableFuture;

/**
 * What a command answers, written once its turn comes: replies go out in request order, so a
 * command that completes later (WAIT, a throttled write) holds back the replies after it.
 */
@FunctionalInterface
interface Reply {

    void writeTo(RespWriter w);

    Reply OK = RespWriter::ok;
    Reply NULL = RespWriter::nullBulk;

    static Reply integer(long n) {
        return w -> w.integer(n);
    }

    static Reply bool(boolean b) {
        return b ? ONE : ZERO;
    }

    Reply ONE = w -> w.integer(1);
    Reply ZERO = w -> w.integer(0);

    /** A reply that completes later; the connection reads no further requests until it does. */
    record Later(CompletableFuture<Reply> future) implements Reply {
        @Override
        public void writeTo(RespWriter w) {
            throw new IllegalStateException("a later reply is written when its future completes");
        }
    }
}
