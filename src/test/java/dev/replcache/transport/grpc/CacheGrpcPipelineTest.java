package dev.replcache.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.replcache.api.cache.v1.CacheServiceGrpc;
import dev.replcache.api.cache.v1.Command;
import dev.replcache.api.cache.v1.DeleteRequest;
import dev.replcache.api.cache.v1.ExistsRequest;
import dev.replcache.api.cache.v1.GetRequest;
import dev.replcache.api.cache.v1.HGetRequest;
import dev.replcache.api.cache.v1.HSetRequest;
import dev.replcache.api.cache.v1.FieldValue;
import dev.replcache.api.cache.v1.IncrRequest;
import dev.replcache.api.cache.v1.PipelineRequest;
import dev.replcache.api.cache.v1.PipelineResponse;
import dev.replcache.api.cache.v1.Result;
import dev.replcache.api.cache.v1.SetRequest;
import dev.replcache.api.cache.v1.TtlRequest;
import dev.replcache.testing.PipelineResponses;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The Pipeline stream over a real socket: order, one response per command, errors inline, and
 * flow control (a client that does not read its responses stops the server reading its commands).
 */
class CacheGrpcPipelineTest extends GrpcTestSupport {

    private static ByteString b(String s) {
        return ByteString.copyFromUtf8(s);
    }

    private static Command set(String key, String value) {
        return Command.newBuilder().setSet(SetRequest.newBuilder().setKey(b(key)).setValue(b(value))).build();
    }

    private static Command get(String key) {
        return Command.newBuilder().setGet(GetRequest.newBuilder().setKey(b(key))).build();
    }

    private static Command incr(String key) {
        return Command.newBuilder().setIncr(IncrRequest.newBuilder().setKey(b(key)).setBy(1)).build();
    }

    /** Sends the commands in messages of {@code batch}, half-closes, and returns every result in order. */
    private List<Result> pipeline(List<Command> commands, int batch) throws Exception {
        PipelineResponses stream = new PipelineResponses();
        StreamObserver<PipelineRequest> in = CacheServiceGrpc.newStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                .pipeline(stream);
        for (int from = 0; from < commands.size(); from += batch) {
            in.onNext(PipelineRequest.newBuilder()
                    .addAllCommands(commands.subList(from, Math.min(commands.size(), from + batch))).build());
        }
        in.onCompleted();
        stream.done.get(60, TimeUnit.SECONDS);
        List<PipelineResponse> responses = stream.responses;
        // One response per message, with one result per command of that message.
        assertThat(responses).hasSize((commands.size() + batch - 1) / batch);
        List<Result> results = new ArrayList<>();
        for (int i = 0; i < responses.size(); i++) {
            assertThat(responses.get(i).getResultsCount()).isEqualTo(Math.min(batch, commands.size() - i * batch));
            results.addAll(responses.get(i).getResultsList());
        }
        return results;
    }

    @Test
    void commandsRunInOrderAndEachGetsOneResponseInTheSameOrder() throws Exception {
        String p = "pipe:" + UUID.randomUUID() + ":";
        List<Command> requests = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            requests.add(set(p + i, "v" + i));
            requests.add(get(p + i));
            requests.add(incr(p + "counter"));
        }
        requests.add(Command.newBuilder().setHSet(HSetRequest.newBuilder().setKey(b(p + "h"))
                .addFields(FieldValue.newBuilder().setField(b("f")).setValue(b("x")))).build());
        requests.add(Command.newBuilder().setHGet(HGetRequest.newBuilder().setKey(b(p + "h")).setField(b("f"))).build());
        requests.add(Command.newBuilder().setDelete(DeleteRequest.newBuilder().addKeys(b(p + "0")).addKeys(b(p + "1"))).build());
        requests.add(Command.newBuilder().setExists(ExistsRequest.newBuilder().addKeys(b(p + "0")).addKeys(b(p + "2"))).build());
        requests.add(Command.newBuilder().setTtl(TtlRequest.newBuilder().setKey(b(p + "missing"))).build());

        List<Result> responses = pipeline(requests, 16);

        assertThat(responses).hasSize(requests.size());
        for (int i = 0; i < 2_000; i++) {
            assertThat(responses.get(3 * i).getSet().getApplied()).isTrue();
            assertThat(responses.get(3 * i + 1).getGet().getValue().toStringUtf8()).isEqualTo("v" + i);
            assertThat(responses.get(3 * i + 2).getIncr().getValue()).isEqualTo(i + 1);
        }
        int tail = 6_000;
        assertThat(responses.get(tail).getHSet().getAdded()).isEqualTo(1);
        assertThat(responses.get(tail + 1).getHGet().getValue().toStringUtf8()).isEqualTo("x");
        assertThat(responses.get(tail + 2).getDelete().getDeleted()).isEqualTo(2);
        assertThat(responses.get(tail + 3).getExists().getCount()).isEqualTo(1);
        assertThat(responses.get(tail + 4).getTtl().getTtlMs()).isEqualTo(-2);
        // The writes are the node's, as if sent one by one.
        assertThat(CacheServiceGrpc.newBlockingStub(channel).get(GetRequest.newBuilder().setKey(b(p + "1999")).build())
                .getValue().toStringUtf8()).isEqualTo("v1999");
    }

    @Test
    void aFailingCommandAnswersWithItsStatusAndTheStreamGoesOn() throws Exception {
        String p = "pipe-err:" + UUID.randomUUID() + ":";
        List<Result> responses = pipeline(List.of(
                set(p + "s", "not a number"),
                incr(p + "s"),
                Command.getDefaultInstance(),
                get("k".repeat(2_000)), // over max-key-bytes (1KB here)
                Command.newBuilder().setDelete(DeleteRequest.getDefaultInstance()).build(),
                get(p + "s")), 4);

        assertThat(responses).hasSize(6);
        assertThat(responses.get(0).hasSet()).isTrue();
        assertThat(responses.get(1).getError().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION.value());
        assertThat(responses.get(1).getError().getMessage()).isEqualTo("ERR value is not an integer or out of range");
        assertThat(responses.get(2).getError().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT.value());
        assertThat(responses.get(2).getError().getMessage()).contains("must set one command");
        assertThat(responses.get(3).getError().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED.value());
        assertThat(responses.get(3).getError().getMessage()).contains("max-key-bytes");
        assertThat(responses.get(4).getError().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT.value());
        assertThat(responses.get(5).getGet().getValue().toStringUtf8()).isEqualTo("not a number");
    }

    @Test
    void aClientThatDoesNotReadItsResponsesStopsTheServerReadingItsCommands() throws Exception {
        String key = "pipe-flow:" + UUID.randomUUID();
        ByteString big = ByteString.copyFrom(new byte[60 * 1024]); // 60 KB: a few responses fill the windows
        CacheServiceGrpc.newBlockingStub(channel).set(SetRequest.newBuilder().setKey(b(key)).setValue(big).build());

        int commands = 3_000;
        String callId = UUID.randomUUID().toString();
        Metadata headers = new Metadata();
        headers.put(CallLog.CALL_ID, callId);
        ManagedChannel smallWindow = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext()
                .flowControlWindow(64 * 1024).build();
        try {
            List<PipelineResponse> responses = Collections.synchronizedList(new ArrayList<>());
            CompletableFuture<Void> done = new CompletableFuture<>();
            List<ClientCallStreamObserver<PipelineRequest>> call = new ArrayList<>(1);
            StreamObserver<PipelineRequest> in = CacheServiceGrpc.newStub(smallWindow)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                    .withDeadlineAfter(60, TimeUnit.SECONDS)
                    .pipeline(new ClientResponseObserver<PipelineRequest, PipelineResponse>() {
                        @Override
                        public void beforeStart(ClientCallStreamObserver<PipelineRequest> requestStream) {
                            requestStream.disableAutoRequestWithInitial(0); // read nothing yet
                            call.add(requestStream);
                        }

                        @Override
                        public void onNext(PipelineResponse r) {
                            responses.add(r);
                            call.get(0).request(1);
                        }

                        @Override
                        public void onError(Throwable t) {
                            done.completeExceptionally(t);
                        }

                        @Override
                        public void onCompleted() {
                            done.complete(null);
                        }
                    });
            for (int i = 0; i < commands; i++) {
                // One GET per message; buffered by the client's stub when the server stops reading.
                in.onNext(PipelineRequest.newBuilder().addCommands(get(key)).build());
            }
            in.onCompleted();

            CallLog.Call served = callLog.call(callId);
            await().atMost(Duration.ofSeconds(10)).until(() -> served.messagesProduced.get() > 0);
            Thread.sleep(1_000); // time enough for a server that ignores flow control to answer them all
            int answeredWhileNotRead = served.messagesProduced.get();
            // The server reads one message at a time, and none while its responses are not read.
            assertThat(answeredWhileNotRead).isBetween(1, 4);

            call.get(0).request(1);
            done.get(60, TimeUnit.SECONDS);
            assertThat(responses).hasSize(commands);
            assertThat(responses).allSatisfy(r -> assertThat(r.getResults(0).getGet().getValue()).isEqualTo(big));
        } finally {
            smallWindow.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aMessageOverTheBatchLimitEndsTheStreamWithResourceExhaustedAndAnEmptyOneIsAnsweredEmpty() {
        PipelineResponses stream = new PipelineResponses();
        StreamObserver<PipelineRequest> in = CacheServiceGrpc.newStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .pipeline(stream);
        in.onNext(PipelineRequest.getDefaultInstance());
        PipelineRequest.Builder tooMany = PipelineRequest.newBuilder();
        for (int i = 0; i < 1_001; i++) { // max-batch-keys is 1000 here
            tooMany.addCommands(get("k" + i));
        }
        in.onNext(tooMany.build());
        assertThat(stream.done).failsWithin(Duration.ofSeconds(10)).withThrowableThat()
                .havingRootCause().isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                    assertThat(e.getStatus().getDescription()).contains("max-batch-keys").contains("1001");
                });
        assertThat(stream.responses).hasSize(1);
        assertThat(stream.responses.get(0).getResultsCount()).isZero();
    }

    @Test
    void inlineWaitIsRefusedOnAPipelineStream() {
        Metadata headers = new Metadata();
        headers.put(WriteAckInterceptor.WAIT_REPLICAS, "1");
        PipelineResponses stream = new PipelineResponses();
        StreamObserver<PipelineRequest> in = CacheServiceGrpc.newStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .pipeline(stream);
        in.onNext(PipelineRequest.newBuilder().addCommands(set("pipe-wait", "v")).build());
        in.onCompleted();
        assertThat(stream.done).failsWithin(Duration.ofSeconds(10)).withThrowableThat()
                .havingRootCause().isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).contains("wait-replicas").contains("Wait call");
                });
    }
}
