package dev.replcache.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import dev.replcache.api.cache.v1.AppendRequest;
import dev.replcache.api.cache.v1.CacheServiceGrpc;
import dev.replcache.api.cache.v1.CacheServiceGrpc.CacheServiceBlockingStub;
import dev.replcache.api.cache.v1.DeleteRequest;
import dev.replcache.api.cache.v1.ExistsRequest;
import dev.replcache.api.cache.v1.ExpireRequest;
import dev.replcache.api.cache.v1.FieldValue;
import dev.replcache.api.cache.v1.GetRequest;
import dev.replcache.api.cache.v1.HDelRequest;
import dev.replcache.api.cache.v1.HGetRequest;
import dev.replcache.api.cache.v1.HIncrByRequest;
import dev.replcache.api.cache.v1.HSetRequest;
import dev.replcache.api.cache.v1.IncrRequest;
import dev.replcache.api.cache.v1.KeyValue;
import dev.replcache.api.cache.v1.MGetRequest;
import dev.replcache.api.cache.v1.MSetRequest;
import dev.replcache.api.cache.v1.ScanRequest;
import dev.replcache.api.cache.v1.SetRequest;
import io.grpc.Status.Code;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input gets the exact status code it deserves, never UNKNOWN or INTERNAL, with a
 * description a person can act on, and the server serves on. Limits of the shared context:
 * keys and fields 1 KB, values 64 KB, batches 1,000, messages 1 MB.
 */
class GrpcBadInputTest extends GrpcTestSupport {

    private static final String INT64_MAX = Long.toString(Long.MAX_VALUE);
    private static final ByteString STRING_KEY = bs("bad:string");
    private static final ByteString HASH_KEY = bs("bad:hash");
    private static final ByteString MAX_KEY = bs("bad:int64-max");
    private static final ByteString BIG_KEY = bs("bad:60kb");

    private CacheServiceBlockingStub stub() {
        return CacheServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static ByteString bs(String s) {
        return ByteString.copyFromUtf8(s);
    }

    private static ByteString bytes(int n) {
        return ByteString.copyFrom(new byte[n]);
    }

    private static FieldValue fv(String field, String value) {
        return FieldValue.newBuilder().setField(bs(field)).setValue(bs(value)).build();
    }

    @BeforeEach
    void seed() {
        stub().set(SetRequest.newBuilder().setKey(STRING_KEY).setValue(bs("abc")).build());
        stub().set(SetRequest.newBuilder().setKey(MAX_KEY).setValue(bs(INT64_MAX)).build());
        stub().set(SetRequest.newBuilder().setKey(BIG_KEY).setValue(bytes(60 * 1024)).build());
        stub().hSet(HSetRequest.newBuilder().setKey(HASH_KEY)
                .addFields(fv("text", "x")).addFields(fv("max", INT64_MAX)).build());
    }

    static Stream<Arguments> catalogue() {
        return Stream.of(
                // ---- INVALID_ARGUMENT: the request itself is malformed
                bad("Get with an empty key", Code.INVALID_ARGUMENT, "key must not be empty",
                        s -> s.get(GetRequest.getDefaultInstance())),
                bad("Set with an empty key", Code.INVALID_ARGUMENT, "key must not be empty",
                        s -> s.set(SetRequest.newBuilder().setValue(bs("v")).build())),
                bad("HGet with an empty field", Code.INVALID_ARGUMENT, "hash field must not be empty",
                        s -> s.hGet(HGetRequest.newBuilder().setKey(HASH_KEY).build())),
                bad("Set with a negative ttl_ms", Code.INVALID_ARGUMENT, "ttl_ms must not be negative",
                        s -> s.set(SetRequest.newBuilder().setKey(bs("bad:k")).setValue(bs("v")).setTtlMs(-1).build())),
                bad("Set with a negative expire_at_ms", Code.INVALID_ARGUMENT, "expire_at_ms must not be negative",
                        s -> s.set(SetRequest.newBuilder().setKey(bs("bad:k")).setValue(bs("v")).setExpireAtMs(-1).build())),
                bad("Set with ttl_ms and expire_at_ms", Code.INVALID_ARGUMENT, "at most one of",
                        s -> s.set(SetRequest.newBuilder().setKey(bs("bad:k")).setValue(bs("v"))
                                .setTtlMs(1000).setExpireAtMs(System.currentTimeMillis() + 1000).build())),
                bad("Set with keep_ttl and ttl_ms", Code.INVALID_ARGUMENT, "at most one of",
                        s -> s.set(SetRequest.newBuilder().setKey(bs("bad:k")).setValue(bs("v"))
                                .setTtlMs(1000).setKeepTtl(true).build())),
                bad("Set with a ttl_ms that overflows the clock", Code.INVALID_ARGUMENT, "ERR invalid expire time",
                        s -> s.set(SetRequest.newBuilder().setKey(bs("bad:k")).setValue(bs("v"))
                                .setTtlMs(Long.MAX_VALUE).build())),
                bad("Set with an unknown condition", Code.INVALID_ARGUMENT, "unknown condition",
                        s -> s.set(SetRequest.newBuilder().setKey(bs("bad:k")).setValue(bs("v"))
                                .setConditionValue(7).build())),
                bad("Expire with neither ttl_ms nor expire_at_ms", Code.INVALID_ARGUMENT, "exactly one of",
                        s -> s.expire(ExpireRequest.newBuilder().setKey(STRING_KEY).build())),
                bad("Expire with both ttl_ms and expire_at_ms", Code.INVALID_ARGUMENT, "exactly one of",
                        s -> s.expire(ExpireRequest.newBuilder().setKey(STRING_KEY).setTtlMs(1000)
                                .setExpireAtMs(System.currentTimeMillis() + 1000).build())),
                bad("Expire with a ttl_ms that overflows the clock", Code.INVALID_ARGUMENT, "ERR invalid expire time",
                        s -> s.expire(ExpireRequest.newBuilder().setKey(STRING_KEY).setTtlMs(Long.MAX_VALUE).build())),
                bad("MGet with no keys", Code.INVALID_ARGUMENT, "keys must not be empty",
                        s -> s.mGet(MGetRequest.getDefaultInstance())),
                bad("MGet with one empty key among others", Code.INVALID_ARGUMENT, "key must not be empty",
                        s -> s.mGet(MGetRequest.newBuilder().addKeys(STRING_KEY).addKeys(ByteString.EMPTY).build())),
                bad("MGet with more keys than max-batch-keys", Code.RESOURCE_EXHAUSTED, "replcache.limits.max-batch-keys",
                        s -> {
                            MGetRequest.Builder r = MGetRequest.newBuilder();
                            for (int i = 0; i <= 1000; i++) {
                                r.addKeys(bs("k" + i));
                            }
                            s.mGet(r.build());
                        }),
                bad("Delete with no keys", Code.INVALID_ARGUMENT, "keys must not be empty",
                        s -> s.delete(DeleteRequest.getDefaultInstance())),
                bad("Exists with no keys", Code.INVALID_ARGUMENT, "keys must not be empty",
                        s -> s.exists(ExistsRequest.getDefaultInstance())),
                bad("MSet with no entries", Code.INVALID_ARGUMENT, "entries must not be empty",
                        s -> s.mSet(MSetRequest.getDefaultInstance())),
                bad("HSet with no fields", Code.INVALID_ARGUMENT, "fields must not be empty",
                        s -> s.hSet(HSetRequest.newBuilder().setKey(bs("bad:h")).build())),
                bad("HDel with no fields", Code.INVALID_ARGUMENT, "fields must not be empty",
                        s -> s.hDel(HDelRequest.newBuilder().setKey(HASH_KEY).build())),
                bad("Scan with a negative count", Code.INVALID_ARGUMENT, "count must not be negative",
                        s -> s.scan(ScanRequest.newBuilder().setCount(-1).build()).hasNext()),

                // ---- RESOURCE_EXHAUSTED: over a configured size
                bad("Get with a key over max-key-bytes", Code.RESOURCE_EXHAUSTED, "replcache.limits.max-key-bytes",
                        s -> s.get(GetRequest.newBuilder().setKey(bytes(1025)).build())),
                bad("Set with a key over max-key-bytes", Code.RESOURCE_EXHAUSTED, "replcache.limits.max-key-bytes",
                        s -> s.set(SetRequest.newBuilder().setKey(bytes(1025)).setValue(bs("v")).build())),
                bad("HSet with a field over max-key-bytes", Code.RESOURCE_EXHAUSTED, "replcache.limits.max-key-bytes",
                        s -> s.hSet(HSetRequest.newBuilder().setKey(bs("bad:h"))
                                .addFields(FieldValue.newBuilder().setField(bytes(1025)).setValue(bs("v"))).build())),
                bad("Set with a value over max-value-bytes", Code.RESOURCE_EXHAUSTED, "replcache.limits.max-value-bytes",
                        s -> s.set(SetRequest.newBuilder().setKey(bs("bad:k")).setValue(bytes(64 * 1024 + 1)).build())),
                bad("MSet with one value over max-value-bytes", Code.RESOURCE_EXHAUSTED, "replcache.limits.max-value-bytes",
                        s -> s.mSet(MSetRequest.newBuilder()
                                .addEntries(KeyValue.newBuilder().setKey(bs("bad:m1")).setValue(bs("v")))
                                .addEntries(KeyValue.newBuilder().setKey(bs("bad:m2")).setValue(bytes(64 * 1024 + 1)))
                                .build())),
                bad("Append that would grow a value over max-value-bytes", Code.RESOURCE_EXHAUSTED,
                        "string exceeds maximum allowed size",
                        s -> s.append(AppendRequest.newBuilder().setKey(BIG_KEY).setValue(bytes(5 * 1024)).build())),
                bad("Set with a message over max-inbound-message-size", Code.RESOURCE_EXHAUSTED, "",
                        s -> s.set(SetRequest.newBuilder().setKey(bs("bad:k")).setValue(bytes(2 * 1024 * 1024)).build())),
                bad("Scan with a pattern over max-key-bytes", Code.RESOURCE_EXHAUSTED, "match pattern",
                        s -> s.scan(ScanRequest.newBuilder().setMatch("*".repeat(1025)).build()).hasNext()),

                // ---- FAILED_PRECONDITION: fine request, but the stored data does not allow it
                bad("Get of a hash", Code.FAILED_PRECONDITION, "WRONGTYPE Operation against a key holding the wrong kind of value",
                        s -> s.get(GetRequest.newBuilder().setKey(HASH_KEY).build())),
                bad("Set with return_previous over a hash", Code.FAILED_PRECONDITION, "WRONGTYPE",
                        s -> s.set(SetRequest.newBuilder().setKey(HASH_KEY).setValue(bs("v")).setReturnPrevious(true).build())),
                bad("HGet of a string", Code.FAILED_PRECONDITION, "WRONGTYPE",
                        s -> s.hGet(HGetRequest.newBuilder().setKey(STRING_KEY).setField(bs("f")).build())),
                bad("HSet over a string", Code.FAILED_PRECONDITION, "WRONGTYPE",
                        s -> s.hSet(HSetRequest.newBuilder().setKey(STRING_KEY).addFields(fv("f", "v")).build())),
                bad("Append to a hash", Code.FAILED_PRECONDITION, "WRONGTYPE",
                        s -> s.append(AppendRequest.newBuilder().setKey(HASH_KEY).setValue(bs("v")).build())),
                bad("Incr of a value that is not an integer", Code.FAILED_PRECONDITION, "ERR value is not an integer or out of range",
                        s -> s.incr(IncrRequest.newBuilder().setKey(STRING_KEY).setBy(1).build())),
                bad("HIncrBy of a field that is not an integer", Code.FAILED_PRECONDITION, "ERR hash value is not an integer",
                        s -> s.hIncrBy(HIncrByRequest.newBuilder().setKey(HASH_KEY).setField(bs("text")).setBy(1).build())),

                // ---- OUT_OF_RANGE: the result does not fit in 64 bits
                bad("Incr past int64 max", Code.OUT_OF_RANGE, "ERR increment or decrement would overflow",
                        s -> s.incr(IncrRequest.newBuilder().setKey(MAX_KEY).setBy(1).build())),
                bad("HIncrBy past int64 max", Code.OUT_OF_RANGE, "ERR increment or decrement would overflow",
                        s -> s.hIncrBy(HIncrByRequest.newBuilder().setKey(HASH_KEY).setField(bs("max")).setBy(1).build())));
    }

    private static Arguments bad(String name, Code code, String descriptionContains, Consumer<CacheServiceBlockingStub> call) {
        return Arguments.argumentSet(name, code, descriptionContains, call);
    }

    @ParameterizedTest
    @MethodSource("catalogue")
    void badInputGetsItsStatusCodeAndTheServerServesOn(Code expected, String descriptionContains,
                                                       Consumer<CacheServiceBlockingStub> call) {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> call.accept(stub()));

        assertThat(e).as("the call must fail").isNotNull();
        assertThat(e.getStatus().getCode()).isEqualTo(expected);
        assertThat(e.getStatus().getDescription()).isNotBlank().contains(descriptionContains);
        // Nothing was damaged, and the node still answers.
        assertThat(stub().get(GetRequest.newBuilder().setKey(STRING_KEY).build()).getValue().toStringUtf8())
                .isEqualTo("abc");
        assertThat(stub().incr(IncrRequest.newBuilder().setKey(MAX_KEY).build()).getValue()).isEqualTo(Long.MAX_VALUE);
    }
}
