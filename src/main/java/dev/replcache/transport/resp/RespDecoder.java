package dev.replcache.transport.resp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Splits the bytes of a connection into requests as Redis's {@code processMultibulkBuffer} and
 * {@code processInlineBuffer} do: RESP arrays of bulk strings ({@code *2\r\n$3\r\nGET\r\n$1\r\nk\r\n})
 * and inline commands ({@code GET k\r\n}, for telnet users), any number back to back (pipelining).
 *
 * <p>Every size is bounded before anything is allocated for it: a count or length line longer
 * than {@link #INLINE_MAX_SIZE}, a bulk longer than {@code maxBulkLen}, more than
 * {@code maxMultibulkLen} arguments, or an unfinished request holding more than
 * {@code queryBufferLimit} bytes. The first three are answered as Redis answers them
 * ({@code -ERR Protocol error: ...}) and the connection is closed after the reply, as Redis
 * closes it; the last closes without a reply, as Redis does. Before AUTH, a connection that
 * needs a password may send at most 10 arguments of 16 KB each (Redis's unauthenticated limits).
 *
 * <p>State is kept between reads, so a large bulk arriving in many TCP segments is parsed once.
 */
final class RespDecoder extends ByteToMessageDecoder {

    /** Redis's PROTO_INLINE_MAX_SIZE: longest inline request and longest count/length line. */
    static final int INLINE_MAX_SIZE = 64 * 1024;
    private static final int UNAUTHENTICATED_MAX_ARGS = 10;
    private static final int UNAUTHENTICATED_MAX_BULK = 16 * 1024;

    /** A complete request: the command name and its arguments, binary-safe. */
    record Request(List<byte[]> args) {
    }

    /** Input Redis rejects with a protocol error; the connection closes after the reply. */
    record ProtocolError(String message) {
    }

    private final int maxBulkLen;
    private final int maxMultibulkLen;
    private final long queryBufferLimit;
    private final BooleanSupplier authenticated;

    // The multibulk request being read: args still expected (0 = between requests), the bulk
    // length being waited for (-1 = its length line comes next).
    private int argsLeft;
    private int bulkLen = -1;
    private List<byte[]> args;
    private boolean failed;

    RespDecoder(int maxBulkLen, int maxMultibulkLen, long queryBufferLimit, BooleanSupplier authenticated) {
        this.maxBulkLen = maxBulkLen;
        this.maxMultibulkLen = maxMultibulkLen;
        this.queryBufferLimit = queryBufferLimit;
        this.authenticated = authenticated;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        while (in.isReadable()) {
            Object decoded = argsLeft > 0 ? continueMultibulk(in) : in.getByte(in.readerIndex()) == '*'
                    ? startMultibulk(in) : inline(in);
            if (decoded == null) {
                // Incomplete: wait for more, unless the unfinished request is already too big.
                if (in.readableBytes() > queryBufferLimit) {
                    failed = true;
                    in.skipBytes(in.readableBytes());
                    out.add(new QueryBufferOverflow());
                }
                return;
            }
            if (decoded instanceof ProtocolError) {
                failed = true;
                in.skipBytes(in.readableBytes());
                out.add(decoded);
                return;
            }
            if (decoded != SKIP) {
                out.add(decoded);
            }
        }
    }

    /** The unfinished request reached {@code client-query-buffer-limit}: closed without a reply. */
    record QueryBufferOverflow() {
    }

    private static final Object SKIP = new Object();

    private Object startMultibulk(ByteBuf in) {
        int eol = findCrlf(in, in.readerIndex() + 1);
        if (eol < 0) {
            return in.readableBytes() > INLINE_MAX_SIZE ? new ProtocolError("too big mbulk count string") : null;
        }
        long count = parseLong(in, in.readerIndex() + 1, eol);
        in.readerIndex(eol + 2);
        if (count == Long.MIN_VALUE || count > maxMultibulkLen) { // maxMultibulkLen is an int
            return new ProtocolError("invalid multibulk length");
        }
        if (count > UNAUTHENTICATED_MAX_ARGS && !authenticated.getAsBoolean()) {
            return new ProtocolError("unauthenticated multibulk length");
        }
        if (count <= 0) {
            return SKIP; // Redis ignores *0 and *-1
        }
        argsLeft = (int) count;
        bulkLen = -1;
        args = new ArrayList<>(Math.min(argsLeft, 1024));
        return continueMultibulk(in);
    }

    private Object continueMultibulk(ByteBuf in) {
        while (argsLeft > 0) {
            if (bulkLen < 0) {
                if (!in.isReadable()) {
                    return null;
                }
                int eol = findCrlf(in, in.readerIndex());
                if (eol < 0) {
                    return in.readableBytes() > INLINE_MAX_SIZE ? new ProtocolError("too big bulk count string") : null;
                }
                byte marker = in.getByte(in.readerIndex());
                if (marker != '$') {
                    return new ProtocolError("expected '$', got '" + printable(marker) + "'");
                }
                long len = parseLong(in, in.readerIndex() + 1, eol);
                if (len < 0 || len > maxBulkLen) {
                    return new ProtocolError("invalid bulk length");
                }
                if (len > UNAUTHENTICATED_MAX_BULK && !authenticated.getAsBoolean()) {
                    return new ProtocolError("unauthenticated bulk length");
                }
                in.readerIndex(eol + 2);
                bulkLen = (int) len;
            }
            if (in.readableBytes() < bulkLen + 2L) {
                return null;
            }
            byte[] arg = new byte[bulkLen];
            in.readBytes(arg);
            in.skipBytes(2); // Redis does not check that these are CRLF either
            args.add(arg);
            bulkLen = -1;
            argsLeft--;
        }
        Request request = new Request(args);
        args = null;
        return request;
    }

    private Object inline(ByteBuf in) {
        int nl = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
        if (nl < 0) {
            return in.readableBytes() > INLINE_MAX_SIZE ? new ProtocolError("too big inline request") : null;
        }
        int end = nl > in.readerIndex() && in.getByte(nl - 1) == '\r' ? nl - 1 : nl;
        byte[] line = new byte[end - in.readerIndex()];
        in.getBytes(in.readerIndex(), line);
        in.readerIndex(nl + 1);
        List<byte[]> parts = InlineSplitter.split(line);
        if (parts == null) {
            return new ProtocolError("unbalanced quotes in request");
        }
        if (parts.isEmpty()) {
            return SKIP; // an empty line (telnet users press enter)
        }
        if (parts.size() > maxMultibulkLen) {
            return new ProtocolError("invalid multibulk length");
        }
        return new Request(parts);
    }

    /** Index of the '\r' of the first CRLF at or after {@code from}, or -1. */
    private static int findCrlf(ByteBuf in, int from) {
        int limit = Math.min(in.writerIndex(), from + INLINE_MAX_SIZE + 1);
        int cr = in.indexOf(from, limit, (byte) '\r');
        if (cr < 0 || cr + 1 >= in.writerIndex()) {
            return -1;
        }
        // A lone CR (no LF after it) ends the count line too: parseLong rejects what is not a number.
        return cr;
    }

    /** A decimal integer as Redis's string2ll reads it; Long.MIN_VALUE when it is not one. */
    private static long parseLong(ByteBuf in, int from, int to) {
        int len = to - from;
        if (len <= 0 || len > 19) {
            return Long.MIN_VALUE;
        }
        int i = from;
        boolean negative = in.getByte(i) == '-';
        if (negative) {
            i++;
            if (i == to) {
                return Long.MIN_VALUE;
            }
        }
        long v = 0;
        for (; i < to; i++) {
            int d = in.getByte(i) - '0';
            if (d < 0 || d > 9) {
                return Long.MIN_VALUE;
            }
            v = v * 10 + d; // at most 19 digits: no overflow past what the callers bound anyway
            if (v < 0) {
                return Long.MIN_VALUE;
            }
        }
        return negative ? -v : v;
    }

    private static String printable(byte b) {
        return b >= 0x20 && b < 0x7f ? String.valueOf((char) b) : String.format("\\x%02x", b & 0xff);
    }
}
