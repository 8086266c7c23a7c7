package dev.replcache.bench;

import com.google.protobuf.ByteString;
import dev.replcache.api.cache.v1.CacheServiceGrpc;
import dev.replcache.api.cache.v1.GetRequest;
import dev.replcache.api.cache.v1.GetResponse;
import dev.replcache.api.cache.v1.SetRequest;
import dev.replcache.api.cache.v1.SetResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
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
 * connections, each keeping {@code pipeline} requests in flight (1 = plain unary round trips,
 * 16 = the analogue of {@code -P 16}), random keys {@code key:%012d} below {@code keyspace}, and
 * values of {@code valueSize} bytes. Prints one line: ops/s and latency percentiles.
 *
 * <p>Usage: {@code GrpcLoadGenerator host port op(set|get) clients pipeline requests valueSize keyspace}
 *
 * <p>A benchmark, not a test: run by {@code bench/run.sh}, never by {@code mvn verify}. Traffic
 * goes to the address given, which the script sets to 127.0.0.1.
 */
public final class GrpcLoadGenerator {

    public static void main(String[] args) throws Exception {
        if (args.length != 8) {
            System.err.println("usage: GrpcLoadGenerator host port set|get clients pipeline requests valueSize keyspace");
            System.exit(2);
        }
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        boolean set = args[2].equals("set");
        int clients = Integer.parseInt(args[3]);
        int pipeline = Integer.parseInt(args[4]);
        long requests = Long.parseLong(args[5]);
        int valueSize = Integer.parseInt(args[6]);
        int keyspace = Integer.parseInt(args[7]);

        ByteString value = ByteString.copyFrom(new byte[valueSize]);
        List<ManagedChannel> channels = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            channels.add(ManagedChannelBuilder.forAddress(host, port).usePlaintext().directExecutor().build());
        }
        // Warm-up: a short run so JIT and connections are ready before measuring.
        run(channels, set, pipeline, Math.min(requests / 10, 50_000), value, keyspace, new ConcurrentHistogram(3));
        Histogram histogram = new ConcurrentHistogram(3);
        long start = System.nanoTime();
        run(channels, set, pipeline, requests, value, keyspace, histogram);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "grpc %s clients=%d pipeline=%d requests=%d ops/s=%.0f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f%n",
                set ? "SET" : "GET", clients, pipeline, requests, requests / seconds,
                histogram.getValueAtPercentile(50) / 1e6, histogram.getValueAtPercentile(99) / 1e6,
                histogram.getValueAtPercentile(99.9) / 1e6);
        for (ManagedChannel c : channels) {
            c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static void run(List<ManagedChannel> channels, boolean set, int pipeline, long requests,
                            ByteString value, int keyspace, Histogram histogram) throws InterruptedException {
        AtomicLong remaining = new AtomicLong(requests);
        int streams = channels.size() * pipeline;
        CountDownLatch done = new CountDownLatch(streams);
        for (ManagedChannel channel : channels) {
            CacheServiceGrpc.CacheServiceStub stub = CacheServiceGrpc.newStub(channel);
            for (int p = 0; p < pipeline; p++) {
                new Lane(stub, set, value, keyspace, remaining, histogram, done).next();
            }
        }
        if (!done.await(10, TimeUnit.MINUTES)) {
            throw new IllegalStateException("benchmark did not finish in 10 minutes");
        }
    }

    /** One outstanding request at a time; the next is sent from the completion callback. */
    private static final class Lane {
        private final CacheServiceGrpc.CacheServiceStub stub;
        private final boolean set;
        private final ByteString value;
        private final int keyspace;
        private final AtomicLong remaining;
        private final Histogram histogram;
        private final CountDownLatch done;

        Lane(CacheServiceGrpc.CacheServiceStub stub, boolean set, ByteString value, int keyspace,
             AtomicLong remaining, Histogram histogram, CountDownLatch done) {
            this.stub = stub;
            this.set = set;
            this.value = value;
            this.keyspace = keyspace;
            this.remaining = remaining;
            this.histogram = histogram;
            this.done = done;
        }

        void next() {
            if (remaining.getAndDecrement() <= 0) {
                done.countDown();
                return;
            }
            ByteString key = ByteString.copyFrom(String.format(Locale.ROOT, "key:%012d",
                    ThreadLocalRandom.current().nextInt(keyspace)), StandardCharsets.US_ASCII);
            long start = System.nanoTime();
            if (set) {
                stub.set(SetRequest.newBuilder().setKey(key).setValue(value).build(), new Completion<SetResponse>(start));
            } else {
                stub.get(GetRequest.newBuilder().setKey(key).build(), new Completion<GetResponse>(start));
            }
        }

        private final class Completion<T> implements StreamObserver<T> {
            private final long start;

            Completion(long start) {
                this.start = start;
            }

            @Override
            public void onNext(T value) {
            }

            @Override
            public void onError(Throwable t) {
                System.err.println("request failed: " + t);
                done.countDown();
            }

            @Override
            public void onCompleted() {
                histogram.recordValue(System.nanoTime() - start);
                next();
            }
        }
    }
}
