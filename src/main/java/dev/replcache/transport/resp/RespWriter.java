package dev.replcache.transport.resp;

import dev.replcache.keyspace.Bytes;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Map;

/**
 * Encodes replies into a connection's output buffer in the protocol the connection speaks:
 * RESP2, or RESP3 after {@code HELLO 3} (nulls as {@code _}, maps as {@code %}, INFO as a
 * verbatim string {@code =}), as Redis 7 writes them.
 */
final class RespWriter {

    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[][] SMALL_INTS = new byte[512][];

    static {
        for (int i = 0; i < SMALL_INTS.length; i++) {
            SMALL_INTS[i] = Integer.toString(i).getBytes(StandardCharsets.US_ASCII);
        }
    }

    private final ByteBuf out;
    private final boolean resp3;

    RespWriter(ByteBuf out, boolean resp3) {
        this.out = out;
        this.resp3 = resp3;
    }

    boolean resp3() {
        return resp3;
    }

    void ok() {
        out.writeBytes(OK);
    }

    private static final byte[] OK = "+OK\r\n".getBytes(StandardCharsets.US_ASCII);

    void status(String s) {
        out.writeByte('+');
        out.writeCharSequence(s, StandardCharsets.UTF_8);
        out.writeBytes(CRLF);
    }

    /** An error: {@code message} starts with its code (ERR, WRONGTYPE, ...); CR and LF become spaces. */
    void error(String message) {
        out.writeByte('-');
        out.writeCharSequence(message.replace('\r', ' ').replace('\n', ' '), StandardCharsets.UTF_8);
        out.writeBytes(CRLF);
    }

    void integer(long v) {
        out.writeByte(':');
        number(v);
        out.writeBytes(CRLF);
    }

    void nullBulk() {
        if (resp3) {
            out.writeBytes(NULL3);
        } else {
            out.writeBytes(NULL_BULK);
        }
    }

    void nullArray() {
        if (resp3) {
            out.writeBytes(NULL3);
        } else {
            out.writeBytes(NULL_ARRAY);
        }
    }

    private static final byte[] NULL3 = "_\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NULL_BULK = "$-1\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NULL_ARRAY = "*-1\r\n".getBytes(StandardCharsets.US_ASCII);

    /** A bulk string, or the null bulk for null. */
    void bulk(Bytes b) {
        if (b == null) {
            nullBulk();
            return;
        }
        bulk(b.unsafeArray());
    }

    void bulk(byte[] b) {
        out.writeByte('$');
        number(b.length);
        out.writeBytes(CRLF);
        out.writeBytes(b);
        out.writeBytes(CRLF);
    }

    void bulk(String s) {
        bulk(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Text a human reads (INFO, CLIENT LIST): RESP3's verbatim string, RESP2's bulk string. */
    void verbatim(String s) {
        if (!resp3) {
            bulk(s);
            return;
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeByte('=');
        number(b.length + 4);
        out.writeBytes(CRLF);
        out.writeCharSequence("txt:", StandardCharsets.US_ASCII);
        out.writeBytes(b);
        out.writeBytes(CRLF);
    }

    void arrayHeader(int n) {
        out.writeByte('*');
        number(n);
        out.writeBytes(CRLF);
    }

    /** A map of {@code n} pairs: {@code %n} in RESP3, an array of 2n in RESP2. */
    void mapHeader(int n) {
        if (resp3) {
            out.writeByte('%');
            number(n);
        } else {
            out.writeByte('*');
            number(2L * n);
        }
        out.writeBytes(CRLF);
    }

    /** An array of bulk strings (null elements as null bulks). */
    void bulks(Collection<Bytes> items) {
        arrayHeader(items.size());
        for (Bytes b : items) {
            bulk(b);
        }
    }

    void map(Map<Bytes, Bytes> map) {
        mapHeader(map.size());
        for (Map.Entry<Bytes, Bytes> e : map.entrySet()) {
            bulk(e.getKey());
            bulk(e.getValue());
        }
    }

    private void number(long v) {
        if (v >= 0 && v < SMALL_INTS.length) {
            out.writeBytes(SMALL_INTS[(int) v]);
        } else {
            out.writeCharSequence(Long.toString(v), StandardCharsets.US_ASCII);
        }
    }
}
