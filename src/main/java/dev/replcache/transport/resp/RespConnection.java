package dev.replcache.transport.resp;

import dev.replcache.keyspace.KeyspaceException;
import dev.replcache.node.CacheNode;
import dev.replcache.node.FailoverException;
import dev.replcache.node.InvalidRequestException;
import dev.replcache.node.LimitExceededException;
import dev.replcache.node.NoLeaseException;
import dev.replcache.node.NodeStoppingException;
import dev.replcache.node.NotEnoughReplicasException;
import dev.replcache.node.ReadOnlyReplicaException;
import dev.replcache.ops.OperationMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: runs its requests in order on its event loop and answers each in
 * order. Replies of a pipeline are gathered and written once per read (one syscall for many
 * commands). A reply that completes later (WAIT, a throttled write) stops reading until it is
 * written, so replies never overtake each other. A client that does not read its replies stops
 * being read (Netty's writability), so its output never grows without bound.
 */
final class RespConnection extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(RespConnection.class);

    private final RespCommands commands;
    private final RespClients clients;
    private final CacheNode node;
    private final OperationMetrics metrics;
    private final int maxClients;
    private final LongSupplier wallClockMs;
    private final ArrayDeque<Object> pending = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private RespSession session;
    private ByteBuf out;
    private boolean blocked;
    private boolean closing;

    RespConnection(RespCommands commands, RespClients clients, CacheNode node, OperationMetrics metrics, int maxClients,
                   LongSupplier wallClockMs) {
        this.commands = commands;
        this.clients = clients;
        this.node = node;
        this.metrics = metrics;
        this.maxClients = maxClients;
        this.wallClockMs = wallClockMs;
    }

    /** Whether this connection may send large requests: authenticated, or no password is set. */
    boolean authenticated() {
        return session == null || session.authenticated;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        session = new RespSession(clients.nextId(), wallClockMs.getAsLong(), ctx.channel().remoteAddress(),
                ctx.channel().localAddress(), !commands.passwordRequired());
        clients.connectionsReceived.increment();
        if (clients.connected() >= maxClients) {
            clients.rejectedConnections.increment();
            closing = true;
            ctx.writeAndFlush(ctx.alloc().buffer().writeBytes(
                    "-ERR max number of clients reached\r\n".getBytes(StandardCharsets.US_ASCII)))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        clients.add(session);
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        clients.remove(session);
        pending.clear();
        if (out != null) {
            out.release();
            out = null;
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closing) {
            return;
        }
        pending.add(msg);
        if (!blocked) {
            drain();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && !blocked && !closing) {
            ctx.channel().config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent && !blocked) {
            // Redis's timeout: idle clients are closed without a reply (blocked ones wait for their own timeout).
            log.debug("Closing idle RESP client {} (replcache.resp.timeout)", session.remote);
            closing = true;
            flush();
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A reset by the peer, a TLS failure: the connection is gone; the node goes on.
        log.debug("RESP connection {} failed: {}", session == null ? "?" : session.remote, cause.toString());
        ctx.close();
    }

    private void drain() {
        Object msg;
        while (!blocked && !closing && (msg = pending.poll()) != null) {
            if (msg instanceof RespDecoder.Request request) {
                execute(request.args());
            } else if (msg instanceof RespDecoder.ProtocolError error) {
                clients.errorReplies.increment();
                log.debug("Protocol error from RESP client {}: {}", session.remote, error.message());
                writer().error("ERR Protocol error: " + error.message());
                session.closeAfterReply = true;
            } else if (msg instanceof RespDecoder.QueryBufferOverflow) {
                log.warn("Closing RESP client {}: an unfinished request passed replcache.resp.client-query-buffer-limit",
                        session.remote);
                session.closeAfterReply = true;
            }
            if (session.closeAfterReply) {
                closing = true;
                pending.clear();
                ByteBuf last = out;
                out = null;
                if (last != null && last.isReadable()) {
                    clients.netOutputBytes.add(last.readableBytes());
                    ctx.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
                } else {
                    if (last != null) {
                        last.release();
                    }
                    ctx.close();
                }
            }
        }
    }

    private RespWriter writer() {
        if (out == null) {
            out = ctx.alloc().ioBuffer(256);
        }
        return new RespWriter(out, session.resp3);
    }

    private void flush() {
        if (out != null && out.isReadable()) {
            ByteBuf b = out;
            out = null;
            clients.netOutputBytes.add(b.readableBytes());
            ctx.writeAndFlush(b, ctx.voidPromise());
            if (!ctx.channel().isWritable()) {
                ctx.channel().config().setAutoRead(false); // resumed by channelWritabilityChanged
            }
        }
    }

    private void execute(List<byte[]> args) {
        long started = System.nanoTime();
        long nowMs = wallClockMs.getAsLong();
        session.lastCommandAtMs = nowMs;
        clients.commandsProcessed.increment();
        RespCommands.Spec spec = commands.lookup(args.get(0));
        if (spec == null) {
            clients.errorReplies.increment();
            writer().error(unknownCommand(args));
            return;
        }
        session.lastCommand = spec.name();
        OperationMetrics.Command timer = metrics == null ? null : metrics.resp(spec.name());
        int n = args.size();
        if ((spec.arity() > 0 && n != spec.arity()) || (spec.arity() < 0 && n < -spec.arity())) {
            reject(timer, started, "ERR wrong number of arguments for '" + spec.name() + "' command");
            return;
        }
        if (!session.authenticated && !spec.allowedBeforeAuth()) {
            reject(timer, started, "NOAUTH Authentication required.");
            return;
        }
        Reply reply;
        try {
            reply = spec.handler().run(session, args);
        } catch (RuntimeException e) {
            reject(timer, started, messageOf(e));
            return;
        }
        if (spec.write()) {
            session.lastWriteOffset = node.offset();
        }
        if (reply instanceof Reply.Later later) {
            block(later.future(), timer, started);
            return;
        }
        if (spec.write() && node.throttles()) {
            long delay = node.throttleDelayForWrite();
            if (delay > 0) {
                // Slow replicas, throttle policy: hold the reply, not the event loop.
                CompletableFuture<Reply> held = new CompletableFuture<>();
                node.schedule(() -> held.complete(reply), delay);
                block(held, timer, started);
                return;
            }
        }
        reply.writeTo(writer());
        record(timer, started, OperationMetrics.Outcome.OK);
    }

    private void reject(OperationMetrics.Command timer, long started, String message) {
        clients.errorReplies.increment();
        writer().error(message);
        record(timer, started, message.startsWith("NOREPLICAS") || message.startsWith("OOM")
                ? OperationMetrics.Outcome.SERVER_ERROR : OperationMetrics.Outcome.CLIENT_ERROR);
    }

    private static void record(OperationMetrics.Command timer, long started, OperationMetrics.Outcome outcome) {
        if (timer != null) {
            timer.record(outcome, System.nanoTime() - started);
        }
    }

    private void block(CompletableFuture<Reply> future, OperationMetrics.Command timer, long started) {
        blocked = true;
        clients.blocked.incrementAndGet();
        ctx.channel().config().setAutoRead(false);
        flush();
        future.whenComplete((reply, error) -> ctx.executor().execute(() -> {
            clients.blocked.decrementAndGet();
            blocked = false;
            if (!ctx.channel().isActive()) {
                return;
            }
            if (error != null) {
                Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                reject(timer, started, cause instanceof RuntimeException re ? messageOf(re) : "ERR " + cause);
            } else {
                reply.writeTo(writer());
                record(timer, started, OperationMetrics.Outcome.OK);
            }
            drain();
            flush();
            if (!blocked && !closing && ctx.channel().isWritable()) {
                ctx.channel().config().setAutoRead(true);
            }
        }));
    }

    /** Redis's reply for an exception a command may raise. */
    private static String messageOf(RuntimeException e) {
        if (e instanceof RespError || e instanceof KeyspaceException || e instanceof FailoverException
                || e instanceof NoLeaseException) {
            return e.getMessage();
        }
        if (e instanceof ReadOnlyReplicaException) {
            return e.getMessage().startsWith("READONLY") ? "READONLY You can't write against a read only replica."
                    : e.getMessage();
        }
        if (e instanceof dev.replcache.node.SaveInProgressException) {
            return "ERR Background save already in progress";
        }
        if (e instanceof dev.replcache.node.SaveFailedException) {
            return "ERR " + e.getMessage();
        }
        if (e instanceof NotEnoughReplicasException) {
            return "NOREPLICAS Not enough good replicas to write.";
        }
        if (e instanceof NodeStoppingException || e instanceof LimitExceededException
                || e instanceof InvalidRequestException || e instanceof IllegalArgumentException) {
            return "ERR " + e.getMessage();
        }
        log.error("RESP command failed", e);
        return "ERR internal error (" + e.getClass().getSimpleName() + "), see the server log";
    }

    /** Redis 7's wording: the name and the first arguments, each quoted, up to 128 characters. */
    static String unknownCommand(List<byte[]> args) {
        String name = truncate(new String(args.get(0), StandardCharsets.UTF_8), 128);
        StringBuilder b = new StringBuilder();
        for (int i = 1; i < args.size() && b.length() < 128; i++) {
            b.append('\'').append(truncate(new String(args.get(i), StandardCharsets.UTF_8), 128 - b.length())).append("' ");
        }
        return "ERR unknown command '" + name + "', with args beginning with: " + b;
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, Math.max(0, max));
    }
}
