package dev.replcache.transport.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.replcache.api.cache.v1.AppendRequest;
import dev.replcache.api.cache.v1.AppendResponse;
import dev.replcache.api.cache.v1.CacheServiceGrpc;
import dev.replcache.api.cache.v1.DbSizeRequest;
import dev.replcache.api.cache.v1.DbSizeResponse;
import dev.replcache.api.cache.v1.DeleteRequest;
import dev.replcache.api.cache.v1.DeleteResponse;
import dev.replcache.api.cache.v1.ExistsRequest;
import dev.replcache.api.cache.v1.ExistsResponse;
import dev.replcache.api.cache.v1.ExpireRequest;
import dev.replcache.api.cache.v1.ExpireResponse;
import dev.replcache.api.cache.v1.FieldValue;
import dev.replcache.api.cache.v1.FlushAllRequest;
import dev.replcache.api.cache.v1.FlushAllResponse;
import dev.replcache.api.cache.v1.GetRequest;
import dev.replcache.api.cache.v1.GetResponse;
import dev.replcache.api.cache.v1.HDelRequest;
import dev.replcache.api.cache.v1.HDelResponse;
import dev.replcache.api.cache.v1.HGetAllRequest;
import dev.replcache.api.cache.v1.HGetAllResponse;
import dev.replcache.api.cache.v1.HGetRequest;
import dev.replcache.api.cache.v1.HGetResponse;
import dev.replcache.api.cache.v1.HIncrByRequest;
import dev.replcache.api.cache.v1.HIncrByResponse;
import dev.replcache.api.cache.v1.HSetRequest;
import dev.replcache.api.cache.v1.HSetResponse;
import dev.replcache.api.cache.v1.IncrRequest;
import dev.replcache.api.cache.v1.IncrResponse;
import dev.replcache.api.cache.v1.KeyValue;
import dev.replcache.api.cache.v1.MGetRequest;
import dev.replcache.api.cache.v1.MGetResponse;
import dev.replcache.api.cache.v1.MSetRequest;
import dev.replcache.api.cache.v1.MSetResponse;
import dev.replcache.api.cache.v1.OptionalValue;
import dev.replcache.api.cache.v1.PersistRequest;
import dev.replcache.api.cache.v1.PersistResponse;
import dev.replcache.api.cache.v1.ScanRequest;
import dev.replcache.api.cache.v1.ScanResponse;
import dev.replcache.api.cache.v1.SetRequest;
import dev.replcache.api.cache.v1.SetResponse;
import dev.replcache.api.cache.v1.TtlRequest;
import dev.replcache.api.cache.v1.TtlResponse;
import dev.replcache.keyspace.Bytes;
import dev.replcache.keyspace.Keyspace;
import dev.replcache.keyspace.SetCondition;
import dev.replcache.keyspace.SetResult;
import dev.replcache.keyspace.Ttl;
import dev.replcache.api.cache.v1.WaitRequest;
import dev.replcache.api.cache.v1.WaitResponse;
import dev.replcache.node.CacheNode;
import dev.replcache.node.InvalidRequestException;
import dev.replcache.node.LimitExceededException;
import dev.replcache.node.RequestLimits;
import dev.replcache.node.WriteMarker;
import dev.replcache.api.cache.v1.Command;
import dev.replcache.api.cache.v1.CommandError;
import dev.replcache.api.cache.v1.Result;
import dev.replcache.api.cache.v1.PipelineRequest;
import dev.replcache.api.cache.v1.PipelineResponse;
import dev.replcache.ops.OperationMetrics;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code cache.v1.CacheService} over a {@link CacheNode}: checks input against the node's
 * {@link RequestLimits}, calls the keyspace (reads on {@link CacheNode#keyspace()}, writes on
 * {@link CacheNode#writableKeyspace()}) and translates the result. Handlers simply throw;
 * {@link GrpcErrorInterceptor} turns the exception into a status.
 */
public final class CacheGrpcService extends CacheServiceGrpc.CacheServiceImplBase {

    /** Keys per Scan response when the request leaves count at 0. */
    static final int DEFAULT_SCAN_COUNT = 100;

    private final CacheNode node;
    /** Timers of pipelined commands, under the unary calls' names; null without metrics. */
    private final Map<Command.CommandCase, OperationMetrics.Command> pipelined;

    /** @param metrics where pipelined commands are timed (under their unary names); null = nowhere */
    public CacheGrpcService(CacheNode node, OperationMetrics metrics) {
        this.node = Objects.requireNonNull(node, "node");
        if (metrics == null) {
            this.pipelined = null;
        } else {
            Map<Command.CommandCase, OperationMetrics.Command> m = new EnumMap<>(Command.CommandCase.class);
            for (Command.CommandCase c : Command.CommandCase.values()) {
                if (c != Command.CommandCase.COMMAND_NOT_SET) {
                    m.put(c, metrics.grpc(c.name().replace("_", "").toLowerCase(Locale.ROOT)));
                }
            }
            this.pipelined = m;
        }
    }

    // ------------------------------------------------------------------ pipelining

    @Override
    public StreamObserver<PipelineRequest> pipeline(StreamObserver<PipelineResponse> out) {
        return PipelineCall.start(out, this::pipelined, node);
    }

    /** One message of a Pipeline stream: a result per command, in order, and how many wrote. */
    PipelineCall.Answer pipelined(PipelineRequest request) {
        limits().checkBatchSize(request.getCommandsCount(), "commands of a Pipeline message", "commands");
        PipelineResponse.Builder response = PipelineResponse.newBuilder();
        int wrote = 0;
        WriteMarker.clear();
        for (Command command : request.getCommandsList()) {
            Result result = pipelined(command);
            response.addResults(result);
            if (WriteMarker.take() && !result.hasError()) { // take() clears the mark for the next command
                wrote++; // as for unary calls, a write that failed is not throttled
            }
        }
        return new PipelineCall.Answer(response.build(), wrote);
    }

    /** One pipelined command: its response, or the status its unary call would have ended with. */
    private Result pipelined(Command command) {
        OperationMetrics.Command timer = pipelined == null ? null : pipelined.get(command.getCommandCase());
        long started = System.nanoTime();
        Result result;
        OperationMetrics.Outcome outcome = OperationMetrics.Outcome.OK;
        try {
            result = run(command);
        } catch (RuntimeException e) {
            Status status = GrpcErrors.toStatus(e, PipelineCall.METHOD + " (" + command.getCommandCase() + ")");
            result = Result.newBuilder().setError(CommandError.newBuilder()
                    .setCode(status.getCode().value())
                    .setMessage(status.getDescription() == null ? "" : status.getDescription())).build();
            outcome = OperationMetrics.Outcome.ofGrpcStatus(status.getCode());
        }
        if (timer != null) {
            timer.record(outcome, System.nanoTime() - started);
        }
        return result;
    }

    private Result run(Command c) {
        Result.Builder b = Result.newBuilder();
        return switch (c.getCommandCase()) {
            case GET -> b.setGet(get(c.getGet())).build();
            case SET -> b.setSet(set(c.getSet())).build();
            case DELETE -> b.setDelete(delete(c.getDelete())).build();
            case GET_DEL -> b.setGetDel(getDel(c.getGetDel())).build();
            case EXISTS -> b.setExists(exists(c.getExists())).build();
            case M_GET -> b.setMGet(mGet(c.getMGet())).build();
            case M_SET -> b.setMSet(mSet(c.getMSet())).build();
            case INCR -> b.setIncr(incr(c.getIncr())).build();
            case APPEND -> b.setAppend(append(c.getAppend())).build();
            case EXPIRE -> b.setExpire(expire(c.getExpire())).build();
            case PERSIST -> b.setPersist(persist(c.getPersist())).build();
            case TTL -> b.setTtl(ttl(c.getTtl())).build();
            case H_SET -> b.setHSet(hSet(c.getHSet())).build();
            case H_GET -> b.setHGet(hGet(c.getHGet())).build();
            case H_DEL -> b.setHDel(hDel(c.getHDel())).build();
            case H_GET_ALL -> b.setHGetAll(hGetAll(c.getHGetAll())).build();
            case H_INCR_BY -> b.setHIncrBy(hIncrBy(c.getHIncrBy())).build();
            case COMMAND_NOT_SET -> throw new InvalidRequestException("a pipelined command must set one command");
        };
    }

    // ------------------------------------------------------------------ strings

    @Override
    public void get(GetRequest request, StreamObserver<GetResponse> out) {
        reply(out, get(request));
    }

    GetResponse get(GetRequest request) {
        Bytes value = node.keyspace().get(key(request.getKey()));
        return value == null
                ? GetResponse.getDefaultInstance()
                : GetResponse.newBuilder().setFound(true).setValue(wrap(value)).build();
    }

    @Override
    public void set(SetRequest request, StreamObserver<SetResponse> out) {
        reply(out, set(request));
    }

    SetResponse set(SetRequest request) {
        Bytes key = key(request.getKey());
        Bytes value = limits().checkValue(bytes(request.getValue()));
        SetCondition condition = condition(request.getCondition());
        Ttl ttl = setTtl(request);
        SetResult result = node.writableKeyspace().set(key, value, condition, ttl, request.getReturnPrevious());
        SetResponse.Builder response = SetResponse.newBuilder().setApplied(result.applied());
        if (result.previous() != null) {
            response.setHadPrevious(true).setPrevious(wrap(result.previous()));
        }
        return response.build();
    }

    @Override
    public void getDel(GetRequest request, StreamObserver<GetResponse> out) {
        reply(out, getDel(request));
    }

    GetResponse getDel(GetRequest request) {
        Bytes value = node.writableKeyspace().getDel(key(request.getKey()));
        return value == null
                ? GetResponse.getDefaultInstance()
                : GetResponse.newBuilder().setFound(true).setValue(wrap(value)).build();
    }

    @Override
    public void mGet(MGetRequest request, StreamObserver<MGetResponse> out) {
        reply(out, mGet(request));
    }

    MGetResponse mGet(MGetRequest request) {
        List<Bytes> values = node.keyspace().mget(keys(request.getKeysList()));
        MGetResponse.Builder response = MGetResponse.newBuilder();
        for (Bytes value : values) {
            response.addValues(value == null
                    ? OptionalValue.getDefaultInstance()
                    : OptionalValue.newBuilder().setFound(true).setValue(wrap(value)).build());
        }
        return response.build();
    }

    @Override
    public void mSet(MSetRequest request, StreamObserver<MSetResponse> out) {
        reply(out, mSet(request));
    }

    MSetResponse mSet(MSetRequest request) {
        limits().checkBatch(request.getEntriesList(), "entries");
        // Insertion order, and a key named twice keeps its last value, as MSET does.
        Map<Bytes, Bytes> pairs = new LinkedHashMap<>();
        for (KeyValue kv : request.getEntriesList()) {
            pairs.put(key(kv.getKey()), limits().checkValue(bytes(kv.getValue())));
        }
        node.writableKeyspace().mset(pairs);
        return MSetResponse.getDefaultInstance();
    }

    /** INCRBY; {@code by = 0} is INCRBY 0 (validates the value, creates "0"), as Redis allows. */
    @Override
    public void incr(IncrRequest request, StreamObserver<IncrResponse> out) {
        reply(out, incr(request));
    }

    IncrResponse incr(IncrRequest request) {
        long value = node.writableKeyspace().incrBy(key(request.getKey()), request.getBy());
        return IncrResponse.newBuilder().setValue(value).build();
    }

    @Override
    public void append(AppendRequest request, StreamObserver<AppendResponse> out) {
        reply(out, append(request));
    }

    AppendResponse append(AppendRequest request) {
        Bytes key = key(request.getKey());
        Bytes suffix = limits().checkValue(bytes(request.getValue()));
        // Repeated appends must not grow a value past max-value-bytes (as Redis checks
        // proto-max-bulk-len); the keyspace checks it under its write lock.
        long length = node.writableKeyspace().append(key, suffix, limits().maxValueBytes());
        return AppendResponse.newBuilder().setLength(length).build();
    }

    // ------------------------------------------------------------------ generic key commands

    @Override
    public void delete(DeleteRequest request, StreamObserver<DeleteResponse> out) {
        reply(out, delete(request));
    }

    DeleteResponse delete(DeleteRequest request) {
        long deleted = node.writableKeyspace().del(keys(request.getKeysList()));
        return DeleteResponse.newBuilder().setDeleted(deleted).build();
    }

    @Override
    public void exists(ExistsRequest request, StreamObserver<ExistsResponse> out) {
        reply(out, exists(request));
    }

    ExistsResponse exists(ExistsRequest request) {
        long count = node.keyspace().exists(keys(request.getKeysList()));
        return ExistsResponse.newBuilder().setCount(count).build();
    }

    /** PEXPIRE or PEXPIREAT; a time not in the future deletes the key, as Redis does. */
    @Override
    public void expire(ExpireRequest request, StreamObserver<ExpireResponse> out) {
        reply(out, expire(request));
    }

    ExpireResponse expire(ExpireRequest request) {
        Bytes key = key(request.getKey());
        if (request.hasTtlMs() == request.hasExpireAtMs()) {
            throw new InvalidRequestException("exactly one of ttl_ms or expire_at_ms must be set");
        }
        Keyspace keyspace = node.writableKeyspace();
        boolean applied = request.hasTtlMs()
                ? keyspace.pexpire(key, request.getTtlMs())
                : keyspace.pexpireAt(key, request.getExpireAtMs());
        return ExpireResponse.newBuilder().setApplied(applied).build();
    }

    @Override
    public void persist(PersistRequest request, StreamObserver<PersistResponse> out) {
        reply(out, persist(request));
    }

    PersistResponse persist(PersistRequest request) {
        boolean applied = node.writableKeyspace().persist(key(request.getKey()));
        return PersistResponse.newBuilder().setApplied(applied).build();
    }

    /** PTTL: -2 for a missing key, -1 for a key without expiry. */
    @Override
    public void ttl(TtlRequest request, StreamObserver<TtlResponse> out) {
        reply(out, ttl(request));
    }

    TtlResponse ttl(TtlRequest request) {
        long ttlMs = node.keyspace().pttl(key(request.getKey()));
        return TtlResponse.newBuilder().setTtlMs(ttlMs).build();
    }

    // ------------------------------------------------------------------ keyspace-wide

    @Override
    public void scan(ScanRequest request, StreamObserver<ScanResponse> out) {
        if (request.getCount() < 0) {
            throw new InvalidRequestException("count must not be negative, got " + request.getCount());
        }
        int keysPerMessage = request.getCount() == 0
                ? DEFAULT_SCAN_COUNT
                : Math.min(request.getCount(), limits().maxBatchKeys());
        ScanStreamer.start((ServerCallStreamObserver<ScanResponse>) out, node.keyspace(),
                pattern(request.getMatch()), keysPerMessage);
    }

    @Override
    public void dbSize(DbSizeRequest request, StreamObserver<DbSizeResponse> out) {
        reply(out, DbSizeResponse.newBuilder().setKeys(node.keyspace().dbSize()).build());
    }

    @Override
    public void flushAll(FlushAllRequest request, StreamObserver<FlushAllResponse> out) {
        reply(out, flushAll(request));
    }

    FlushAllResponse flushAll(FlushAllRequest request) {
        node.writableKeyspace().flushAll();
        return FlushAllResponse.getDefaultInstance();
    }

    // ------------------------------------------------------------------ hashes

    @Override
    public void hSet(HSetRequest request, StreamObserver<HSetResponse> out) {
        reply(out, hSet(request));
    }

    HSetResponse hSet(HSetRequest request) {
        Bytes key = key(request.getKey());
        limits().checkBatch(request.getFieldsList(), "fields");
        // A field named twice keeps its last value and counts once, as HSET does.
        Map<Bytes, Bytes> fields = new LinkedHashMap<>();
        for (FieldValue fv : request.getFieldsList()) {
            fields.put(field(fv.getField()), limits().checkValue(bytes(fv.getValue())));
        }
        long added = node.writableKeyspace().hset(key, fields);
        return HSetResponse.newBuilder().setAdded(added).build();
    }

    @Override
    public void hGet(HGetRequest request, StreamObserver<HGetResponse> out) {
        reply(out, hGet(request));
    }

    HGetResponse hGet(HGetRequest request) {
        Bytes value = node.keyspace().hget(key(request.getKey()), field(request.getField()));
        return value == null
                ? HGetResponse.getDefaultInstance()
                : HGetResponse.newBuilder().setFound(true).setValue(wrap(value)).build();
    }

    @Override
    public void hDel(HDelRequest request, StreamObserver<HDelResponse> out) {
        reply(out, hDel(request));
    }

    HDelResponse hDel(HDelRequest request) {
        Bytes key = key(request.getKey());
        limits().checkBatch(request.getFieldsList(), "fields");
        List<Bytes> fields = new ArrayList<>(request.getFieldsCount());
        for (ByteString field : request.getFieldsList()) {
            fields.add(field(field));
        }
        long deleted = node.writableKeyspace().hdel(key, fields);
        return HDelResponse.newBuilder().setDeleted(deleted).build();
    }

    @Override
    public void hGetAll(HGetAllRequest request, StreamObserver<HGetAllResponse> out) {
        reply(out, hGetAll(request));
    }

    HGetAllResponse hGetAll(HGetAllRequest request) {
        Map<Bytes, Bytes> fields = node.keyspace().hgetAll(key(request.getKey()));
        HGetAllResponse.Builder response = HGetAllResponse.newBuilder();
        for (Map.Entry<Bytes, Bytes> e : fields.entrySet()) {
            response.addFields(FieldValue.newBuilder().setField(wrap(e.getKey())).setValue(wrap(e.getValue())));
        }
        return response.build();
    }

    @Override
    public void hIncrBy(HIncrByRequest request, StreamObserver<HIncrByResponse> out) {
        reply(out, hIncrBy(request));
    }

    HIncrByResponse hIncrBy(HIncrByRequest request) {
        long value = node.writableKeyspace().hincrBy(key(request.getKey()), field(request.getField()), request.getBy());
        return HIncrByResponse.newBuilder().setValue(value).build();
    }

    // ------------------------------------------------------------------ translation

    private RequestLimits limits() {
        return node.limits();
    }

    private Bytes key(ByteString key) {
        return limits().checkKey(bytes(key));
    }

    private Bytes field(ByteString field) {
        return limits().checkField(bytes(field));
    }

    private List<Bytes> keys(List<ByteString> keys) {
        limits().checkBatch(keys, "keys");
        List<Bytes> checked = new ArrayList<>(keys.size());
        for (ByteString key : keys) {
            checked.add(key(key));
        }
        return checked;
    }

    /** Null (every key) for an empty pattern; bounded like a key, since matching costs with its length. */
    private Bytes pattern(String match) {
        if (match.isEmpty()) {
            return null;
        }
        Bytes pattern = Bytes.of(match.getBytes(StandardCharsets.UTF_8));
        if (pattern.length() > limits().maxKeyBytes()) {
            throw new LimitExceededException("match pattern", "replcache.limits.max-key-bytes",
                    limits().maxKeyBytes(), pattern.length(), "bytes");
        }
        return pattern;
    }

    private static SetCondition condition(SetRequest.Condition condition) {
        return switch (condition) {
            case NONE -> SetCondition.ALWAYS;
            case IF_ABSENT -> SetCondition.IF_ABSENT;
            case IF_PRESENT -> SetCondition.IF_PRESENT;
            case UNRECOGNIZED -> throw new InvalidRequestException("unknown condition " + condition);
        };
    }

    /** SET's PX / PXAT / KEEPTTL; at most one, as Redis refuses combinations with a syntax error. */
    private static Ttl setTtl(SetRequest request) {
        long ttlMs = request.getTtlMs();
        long expireAtMs = request.getExpireAtMs();
        if (ttlMs < 0) {
            throw new InvalidRequestException("ttl_ms must not be negative, got " + ttlMs);
        }
        if (expireAtMs < 0) {
            throw new InvalidRequestException("expire_at_ms must not be negative, got " + expireAtMs);
        }
        int given = (ttlMs > 0 ? 1 : 0) + (expireAtMs > 0 ? 1 : 0) + (request.getKeepTtl() ? 1 : 0);
        if (given > 1) {
            throw new InvalidRequestException("at most one of ttl_ms, expire_at_ms and keep_ttl may be given");
        }
        if (ttlMs > 0) {
            return Ttl.inMillis(ttlMs);
        }
        if (expireAtMs > 0) {
            return Ttl.atMillis(expireAtMs);
        }
        return request.getKeepTtl() ? Ttl.KEEP : Ttl.NONE;
    }

    // ------------------------------------------------------------------ replication

    @Override
    public void wait(WaitRequest request, StreamObserver<WaitResponse> out) {
        if (request.getOffset() < 0) {
            throw new InvalidRequestException("offset must not be negative, got " + request.getOffset());
        }
        long offset = request.getOffset() == 0 ? node.offset() : request.getOffset();
        // Completes on an ack (a network thread) or at the timeout (the node's timer): never blocks a thread here.
        node.waitForReplicas(offset, request.getReplicas(), request.getTimeoutMs()).whenComplete((acked, error) -> {
            if (error != null) {
                out.onError(GrpcErrors.toStatusException(error, "cache.v1.CacheService/Wait"));
            } else {
                reply(out, WaitResponse.newBuilder().setReplicasAcked(acked).setOffset(offset).build());
            }
        });
    }

    /** {@link ByteString#toByteArray()} copies, so the keyspace may own the array. */
    private static Bytes bytes(ByteString b) {
        return Bytes.of(b.toByteArray());
    }

    /** No copy: {@link Bytes} is immutable, and protobuf only reads the array. */
    private static ByteString wrap(Bytes b) {
        return UnsafeByteOperations.unsafeWrap(b.unsafeArray());
    }

    private static <T> void reply(StreamObserver<T> out, T response) {
        out.onNext(response);
        out.onCompleted();
    }
}
