package dev.replcache.bench;

import com.google.protobuf.ByteString;
import dev.replcache.api.cache.v1.CacheServiceGrpc;
import dev.replcache.api.cache.v1.Command;
import dev.replcache.api.cache.v1.GetRequest;
import dev.replcache.api.cache.v1.GetResponse;
import dev.replcache.api.cache.v1.PipelineRequest;
import dev.replcache.api.cache.v1.PipelineResponse;
import dev.replcache.api.cache.v1.Result;
import dev.replcache.api.cache.v1.SetRequest;
import dev.replcache.api.cache.v1.SetResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Drives SET or GET over gRPC the way {@code redis-benchmark} drives Redis: {@code clients}
 * request lanes (redis-benchmark's {@code -c}), each keeping {@code pipeline} requests in flight
 * (1 = plain unary round trips, 16 = the analogue of {@code -P 16}: 50 lanes x 16 in flight),
 * random keys {@code key:%012d} below {@code keyspace}, and values of {@code valueSize} bytes.
 * The lanes share {@code channels} HTTP/2 connections round-robin (default: one per lane, like
 * redis-benchmark's one TCP connection per client; gRPC multiplexes, so fewer is legitimate).
 * Prints one line: ops/s, latency percentiles, the error count and this process's CPU time per
 * measured request (the client shares the machine's cores with the server).
 *
 * <p>Honesty rules: every request's latency is measured from just before it is sent to its
 * completion, into an HdrHistogram; a warm-up run (same lanes, same channels) is excluded;
 * ops/s counts only successful requests over the wall time of the measured run; every call
 * has a deadline and the run as a whole is bounded, so nothing hangs.
 *
 * <p>With op {@code set-stream} or {@code get-stream}, each lane is one {@code Pipeline} stream
 * instead, used as redis-benchmark uses a connection with {@code -P}: it sends {@code pipeline}
 * commands in one message, waits for their results, then sends the next batch.
 *
 * <p>Usage: {@code GrpcLoadGenerator host port op(set|get|set-stream|get-stream) clients pipeline requests valueSize keyspace [channels]}
 *
 * <p>A benchmark, not a test: run by {@code bench/run.sh}, never by {@code mvn verify}. Traffic
 * goes to the address given, which the script sets to 127.0.0.1.
 */
public final class GrpcLoadGenerator {

    /** A call that takes this long is failed (and counted as an error) rather than waited for. */
    private static final long CALL_DEADLINE_SECONDS = 30;
    /** Upper bound for one measured run. */
    private static final long RUN_TIMEOUT_MINUTES = 10;

    public static void main(String[] args) throws Exception {
        if (args.length != 8 && args.length != 9) {
            System.err.println("usage: GrpcLoadGenerator host port set|get|set-stream|get-stream clients pipeline requests"
                    + " valueSize keyspace [channels]");
            System.exit(2);
        }
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        if (!List.of("set", "get", "set-stream", "get-stream").contains(args[2])) {
            System.err.println("op must be set, get, set-stream or get-stream, got " + args[2]);
            System.exit(2);
        }
        boolean set = args[2].startsWith("set");
        boolean stream = args[2].endsWith("-stream");
        int clients = Integer.parseInt(args[3]);
        int pipeline = Integer.parseInt(args[4]);
        long requests = Long.parseLong(args[5]);
        int valueSize = Integer.parseInt(args[6]);
        int keyspace = Integer.parseInt(args[7]);
        int channelCount = args.length == 9 ? Integer.parseInt(args[8]) : clients;
        if (clients < 1 || pipeline < 1 || requests < 1 || keyspace < 1 || channelCount < 1 || channelCount > clients) {
            System.err.println("need clients, pipeline, requests, keyspace >= 1 and 1 <= channels <= clients");
            System.exit(2);
        }

        // Filled like redis-benchmark's and wrk-put.lua's values (not that it matters: no compression).
        byte[] raw = new byte[valueSize];
        Arrays.fill(raw, (byte) 'x');
        ByteString value = ByteString.copyFrom(raw);
        List<ManagedChannel> channels = new ArrayList<>();
        for (int i = 0; i < channelCount; i++) {
            channels.add(ManagedChannelBuilder.forAddress(host, port).usePlaintext().directExecutor().build());
        }
        try {
            // Warm-up: JIT (client and server) and connections ready before measuring; not recorded.
            RunResult warm = run(channels, clients, set, stream, pipeline, Math.min(Math.max(requests / 10, 1), 50_000), value,
                    keyspace);
            if (warm.errors > 0) {
                System.err.println("warm-up: " + warm.errors + " requests failed");
            }
            long cpu0 = processCpuNanos();
            RunResult r = run(channels, clients, set, stream, pipeline, requests, value, keyspace);
            long cpu = processCpuNanos() - cpu0;
            Histogram h = r.histogram;
            System.out.printf(Locale.ROOT, "grpc %s%s clients=%d pipeline=%d channels=%d requests=%d ok=%d errors=%d"
                            + " ops/s=%.0f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f client_cpu_us=%.1f%n",
                    set ? "SET" : "GET", stream ? " (Pipeline stream)" : "", clients, pipeline, channelCount, requests, h.getTotalCount(), r.errors,
                    h.getTotalCount() / r.seconds,
                    h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6,
                    h.getValueAtPercentile(99.9) / 1e6, h.getMaxValue() / 1e6,
                    cpu < 0 ? Double.NaN : cpu / 1e3 / requests);
            if (r.errors > 0) {
                System.exit(1);
            }
        } finally {
            for (ManagedChannel c : channels) {
                c.shutdownNow();
            }
            for (ManagedChannel c : channels) {
                c.awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    /** CPU time of this JVM (all threads), or -1 when the platform does not tell. */
    private static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : -1;
    }

    private record RunResult(Histogram histogram, long errors, double seconds) {
    }

    /** What every lane of one run shares: the operation, the requests left, and what they measured. */
    private record Load(boolean set, ByteString value, int keyspace, AtomicLong remaining, Histogram histogram,
                        AtomicLong errors) {

        /** Takes one request from the run's budget; false when none is left. */
        boolean take() {
            return remaining.getAndDecrement() > 0;
        }

        ByteString randomKey() {
            return key(ThreadLocalRandom.current().nextInt(keyspace));
        }

        /** Counts a failed request, and prints the first few. */
        void failed(String what) {
            if (errors.getAndIncrement() < 5) {
                System.err.println(what);
            }
        }
    }

    private static long await(CountDownLatch done) throws InterruptedException {
        if (!done.await(RUN_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
            throw new IllegalStateException("benchmark did not finish in " + RUN_TIMEOUT_MINUTES + " minutes");
        }
        return System.nanoTime();
    }

    private static RunResult run(List<ManagedChannel> channels, int clients, boolean set, boolean stream, int pipeline,
                                 long requests, ByteString value, int keyspace) throws InterruptedException {
        Load load = new Load(set, value, keyspace, new AtomicLong(requests), new ConcurrentHistogram(3), new AtomicLong());
        long start;
        long end;
        if (stream) {
            CountDownLatch done = new CountDownLatch(clients);
            List<StreamLane> lanes = new ArrayList<>(clients);
            for (int c = 0; c < clients; c++) {
                lanes.add(new StreamLane(load, pipeline, done));
            }
            start = System.nanoTime();
            for (int c = 0; c < clients; c++) {
                CacheServiceGrpc.newStub(channels.get(c % channels.size()))
                        .withDeadlineAfter(RUN_TIMEOUT_MINUTES, TimeUnit.MINUTES).pipeline(lanes.get(c));
            }
            end = await(done);
        } else {
            CountDownLatch done = new CountDownLatch(clients * pipeline);
            List<Slot> slots = new ArrayList<>(clients * pipeline);
            for (int c = 0; c < clients; c++) {
                CacheServiceGrpc.CacheServiceStub stub = CacheServiceGrpc.newStub(channels.get(c % channels.size()));
                for (int p = 0; p < pipeline; p++) {
                    slots.add(new Slot(stub, load, done));
                }
            }
            start = System.nanoTime();
            for (Slot slot : slots) {
                slot.next();
            }
            end = await(done);
        }
        return new RunResult(load.histogram(), load.errors().get(), (end - start) / 1e9);
    }

    /**
     * One in-flight request of a lane: the next request is sent from the completion of the
     * previous one, so a lane with {@code pipeline} slots always has {@code pipeline} in flight.
     */
    private static final class Slot {
        private final CacheServiceGrpc.CacheServiceStub stub;
        private final Load load;
        private final CountDownLatch done;

        Slot(CacheServiceGrpc.CacheServiceStub stub, Load load, CountDownLatch done) {
            this.stub = stub;
            this.load = load;
            this.done = done;
        }

        void next() {
            if (!load.take()) {
                done.countDown();
                return;
            }
            ByteString key = load.randomKey();
            CacheServiceGrpc.CacheServiceStub s = stub.withDeadlineAfter(CALL_DEADLINE_SECONDS, TimeUnit.SECONDS);
            long start = System.nanoTime();
            if (load.set()) {
                s.set(SetRequest.newBuilder().setKey(key).setValue(load.value()).build(), new Completion<SetResponse>(start));
            } else {
                s.get(GetRequest.newBuilder().setKey(key).build(), new Completion<GetResponse>(start));
            }
        }

        private final class Completion<T> implements StreamObserver<T> {
            private final long start;

            Completion(long start) {
                this.start = start;
            }

            @Override
            public void onNext(T response) {
            }

            @Override
            public void onError(Throwable t) {
                load.failed("request failed: " + t);
                next();
            }

            @Override
            public void onCompleted() {
                load.histogram().recordValue(System.nanoTime() - start);
                next();
            }
        }
    }

    /**
     * One lane as one Pipeline stream, driven like a redis-benchmark connection with {@code -P}:
     * a message of {@code pipeline} commands, then its response, then the next. Each command's
     * latency runs from the batch's send to its response, as redis-benchmark measures.
     */
    private static final class StreamLane implements ClientResponseObserver<PipelineRequest, PipelineResponse> {
        private final Load load;
        private final int pipeline;
        private final CountDownLatch done;
        private ClientCallStreamObserver<PipelineRequest> out;
        private long sentAt;
        private boolean started;

        StreamLane(Load load, int pipeline, CountDownLatch done) {
            this.load = load;
            this.pipeline = pipeline;
            this.done = done;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<PipelineRequest> requestStream) {
            out = requestStream;
            requestStream.setOnReadyHandler(() -> {
                if (!started) {
                    started = true;
                    sendBatch(); // the first batch, once the stream can take it
                }
            });
        }

        private void sendBatch() {
            PipelineRequest.Builder batch = PipelineRequest.newBuilder();
            while (batch.getCommandsCount() < pipeline && load.take()) {
                ByteString key = load.randomKey();
                batch.addCommands(load.set()
                        ? Command.newBuilder().setSet(SetRequest.newBuilder().setKey(key).setValue(load.value()))
                        : Command.newBuilder().setGet(GetRequest.newBuilder().setKey(key)));
            }
            if (batch.getCommandsCount() == 0) {
                out.onCompleted();
                return;
            }
            sentAt = System.nanoTime();
            out.onNext(batch.build());
        }

        @Override
        public void onNext(PipelineResponse response) {
            long latency = System.nanoTime() - sentAt;
            for (Result result : response.getResultsList()) {
                if (result.hasError()) {
                    load.failed("pipelined command failed: " + result.getError());
                } else {
                    load.histogram().recordValue(latency);
                }
            }
            sendBatch();
        }

        @Override
        public void onError(Throwable t) {
            load.failed("pipeline stream failed: " + t);
            done.countDown();
        }

        @Override
        public void onCompleted() {
            done.countDown();
        }
    }

    /** {@code key:%012d} without String.format: the client shares the cores with the server. */
    static ByteString key(int n) {
        byte[] b = {'k', 'e', 'y', ':', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0'};
        for (int i = b.length - 1; n > 0 && i >= 4; i--, n /= 10) {
            b[i] = (byte) ('0' + n % 10);
        }
        return ByteString.copyFrom(b);
    }
}
