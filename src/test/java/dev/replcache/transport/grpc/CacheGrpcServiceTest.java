package dev.replcache.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.replcache.api.cache.v1.AppendRequest;
import dev.replcache.api.cache.v1.CacheServiceGrpc;
import dev.replcache.api.cache.v1.DbSizeRequest;
import dev.replcache.api.cache.v1.DeleteRequest;
import dev.replcache.api.cache.v1.ExistsRequest;
import dev.replcache.api.cache.v1.ExpireRequest;
import dev.replcache.api.cache.v1.FieldValue;
import dev.replcache.api.cache.v1.FlushAllRequest;
import dev.replcache.api.cache.v1.GetRequest;
import dev.replcache.api.cache.v1.GetResponse;
import dev.replcache.api.cache.v1.HDelRequest;
import dev.replcache.api.cache.v1.HGetAllRequest;
import dev.replcache.api.cache.v1.HGetRequest;
import dev.replcache.api.cache.v1.HIncrByRequest;
import dev.replcache.api.cache.v1.HSetRequest;
import dev.replcache.api.cache.v1.IncrRequest;
import dev.replcache.api.cache.v1.KeyValue;
import dev.replcache.api.cache.v1.MGetRequest;
import dev.replcache.api.cache.v1.MSetRequest;
import dev.replcache.api.cache.v1.OptionalValue;
import dev.replcache.api.cache.v1.PersistRequest;
import dev.replcache.api.cache.v1.SetRequest;
import dev.replcache.api.cache.v1.SetRequest.Condition;
import dev.replcache.api.cache.v1.SetResponse;
import dev.replcache.api.cache.v1.TtlRequest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Every CacheService rpc over a real socket: happy paths and the Redis edge cases. */
class CacheGrpcServiceTest extends GrpcTestSupport {

    private static final long HOUR_MS = 3_600_000;

    private CacheServiceGrpc.CacheServiceBlockingStub stub() {
        return CacheServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static ByteString bs(String s) {
        return ByteString.copyFromUtf8(s);
    }

    private void set(String key, String value) {
        stub().set(SetRequest.newBuilder().setKey(bs(key)).setValue(bs(value)).build());
    }

    private GetResponse get(String key) {
        return stub().get(GetRequest.newBuilder().setKey(bs(key)).build());
    }

    private long pttl(String key) {
        return stub().ttl(TtlRequest.newBuilder().setKey(bs(key)).build()).getTtlMs();
    }

    @Test
    void setThenGetRoundTripsBinaryKeysAndValues() {
        ByteString key = ByteString.copyFrom(new byte[] {0, 'k', (byte) 0xff});
        ByteString value = ByteString.copyFrom(new byte[] {(byte) 0xfe, 0, 1, 2});

        SetResponse set = stub().set(SetRequest.newBuilder().setKey(key).setValue(value).build());
        GetResponse got = stub().get(GetRequest.newBuilder().setKey(key).build());

        assertThat(set.getApplied()).isTrue();
        assertThat(set.getHadPrevious()).isFalse();
        assertThat(got.getFound()).isTrue();
        assertThat(got.getValue()).isEqualTo(value);
    }

    @Test
    void getOfAMissingKeyIsNotFoundRatherThanAnError() {
        assertThat(get("svc:missing").getFound()).isFalse();
        assertThat(get("svc:missing").getValue()).isEmpty();
    }

    @Test
    void emptyValueIsAValueNotAMissingKey() {
        set("svc:empty", "");
        assertThat(get("svc:empty").getFound()).isTrue();
        assertThat(get("svc:empty").getValue()).isEmpty();
    }

    @Test
    void ifAbsentSetsOnlyAMissingKey() {
        SetRequest nx = SetRequest.newBuilder().setKey(bs("svc:nx")).setValue(bs("first"))
                .setCondition(Condition.IF_ABSENT).build();

        assertThat(stub().set(nx).getApplied()).isTrue();
        assertThat(stub().set(nx.toBuilder().setValue(bs("second")).build()).getApplied()).isFalse();
        assertThat(get("svc:nx").getValue().toStringUtf8()).isEqualTo("first");
    }

    @Test
    void ifPresentSetsOnlyAnExistingKey() {
        SetRequest xx = SetRequest.newBuilder().setKey(bs("svc:xx")).setValue(bs("v1"))
                .setCondition(Condition.IF_PRESENT).build();

        assertThat(stub().set(xx).getApplied()).isFalse();
        assertThat(get("svc:xx").getFound()).isFalse();
        set("svc:xx", "v0");
        assertThat(stub().set(xx).getApplied()).isTrue();
        assertThat(get("svc:xx").getValue().toStringUtf8()).isEqualTo("v1");
    }

    @Test
    void returnPreviousIsSetGet() {
        SetRequest.Builder setGet = SetRequest.newBuilder().setKey(bs("svc:setget")).setReturnPrevious(true);

        SetResponse first = stub().set(setGet.setValue(bs("a")).build());
        SetResponse second = stub().set(setGet.setValue(bs("b")).build());
        // NX GET (Redis 7): not applied, but the old value is still returned.
        SetResponse third = stub().set(setGet.setValue(bs("c")).setCondition(Condition.IF_ABSENT).build());

        assertThat(first.getHadPrevious()).isFalse();
        assertThat(second.getHadPrevious()).isTrue();
        assertThat(second.getPrevious().toStringUtf8()).isEqualTo("a");
        assertThat(third.getApplied()).isFalse();
        assertThat(third.getPrevious().toStringUtf8()).isEqualTo("b");
        assertThat(get("svc:setget").getValue().toStringUtf8()).isEqualTo("b");
    }

    @Test
    void ttlIsMinusTwoForAMissingKeyAndMinusOneWithoutExpiry() {
        set("svc:persistent", "v");

        assertThat(pttl("svc:no-such-key")).isEqualTo(-2);
        assertThat(pttl("svc:persistent")).isEqualTo(-1);
    }

    @Test
    void setWithRelativeTtlExpiresLaterAndAPlainSetClearsIt() {
        stub().set(SetRequest.newBuilder().setKey(bs("svc:px")).setValue(bs("v")).setTtlMs(HOUR_MS).build());
        assertThat(pttl("svc:px")).isBetween(1L, HOUR_MS);

        set("svc:px", "w");
        assertThat(pttl("svc:px")).isEqualTo(-1);
    }

    @Test
    void setWithAbsoluteExpiryAndKeepTtl() {
        long at = System.currentTimeMillis() + HOUR_MS;
        stub().set(SetRequest.newBuilder().setKey(bs("svc:pxat")).setValue(bs("v")).setExpireAtMs(at).build());
        long before = pttl("svc:pxat");

        stub().set(SetRequest.newBuilder().setKey(bs("svc:pxat")).setValue(bs("w")).setKeepTtl(true).build());

        assertThat(before).isBetween(1L, HOUR_MS);
        assertThat(pttl("svc:pxat")).isBetween(1L, before);
        assertThat(get("svc:pxat").getValue().toStringUtf8()).isEqualTo("w");
    }

    @Test
    void setWithAnExpiryInThePastDeletesTheKeyAsRedis7Does() {
        set("svc:past", "v");
        SetResponse response = stub().set(SetRequest.newBuilder().setKey(bs("svc:past")).setValue(bs("w"))
                .setExpireAtMs(1).build());

        assertThat(response.getApplied()).isTrue();
        assertThat(get("svc:past").getFound()).isFalse();
    }

    @Test
    void deleteCountsTheKeysThatExisted() {
        set("svc:del1", "v");
        set("svc:del2", "v");

        long deleted = stub().delete(DeleteRequest.newBuilder()
                .addKeys(bs("svc:del1")).addKeys(bs("svc:del2")).addKeys(bs("svc:del-missing")).build()).getDeleted();

        assertThat(deleted).isEqualTo(2);
        assertThat(get("svc:del1").getFound()).isFalse();
    }

    @Test
    void getDelReturnsAndRemoves() {
        set("svc:getdel", "v");

        GetResponse first = stub().getDel(GetRequest.newBuilder().setKey(bs("svc:getdel")).build());
        GetResponse second = stub().getDel(GetRequest.newBuilder().setKey(bs("svc:getdel")).build());

        assertThat(first.getFound()).isTrue();
        assertThat(first.getValue().toStringUtf8()).isEqualTo("v");
        assertThat(second.getFound()).isFalse();
    }

    @Test
    void existsCountsAKeyNamedTwiceTwice() {
        set("svc:exists", "v");

        long count = stub().exists(ExistsRequest.newBuilder()
                .addKeys(bs("svc:exists")).addKeys(bs("svc:exists")).addKeys(bs("svc:exists-missing")).build()).getCount();

        assertThat(count).isEqualTo(2);
    }

    @Test
    void mgetKeepsOrderAndReportsMissingAndOtherTypeSlotsAsNotFound() {
        set("svc:mget-a", "A");
        set("svc:mget-c", "C");
        stub().hSet(HSetRequest.newBuilder().setKey(bs("svc:mget-hash"))
                .addFields(FieldValue.newBuilder().setField(bs("f")).setValue(bs("v"))).build());

        List<OptionalValue> values = stub().mGet(MGetRequest.newBuilder()
                .addKeys(bs("svc:mget-a")).addKeys(bs("svc:mget-b")).addKeys(bs("svc:mget-c"))
                .addKeys(bs("svc:mget-hash")).build()).getValuesList();

        assertThat(values).extracting(OptionalValue::getFound).containsExactly(true, false, true, false);
        assertThat(values.get(0).getValue().toStringUtf8()).isEqualTo("A");
        assertThat(values.get(2).getValue().toStringUtf8()).isEqualTo("C");
    }

    @Test
    void msetSetsAllPairsAndTheLastOfADuplicatedKeyWins() {
        stub().set(SetRequest.newBuilder().setKey(bs("svc:mset-1")).setValue(bs("old")).setTtlMs(HOUR_MS).build());

        stub().mSet(MSetRequest.newBuilder()
                .addEntries(KeyValue.newBuilder().setKey(bs("svc:mset-1")).setValue(bs("one")))
                .addEntries(KeyValue.newBuilder().setKey(bs("svc:mset-2")).setValue(bs("x")))
                .addEntries(KeyValue.newBuilder().setKey(bs("svc:mset-2")).setValue(bs("two")))
                .build());

        assertThat(get("svc:mset-1").getValue().toStringUtf8()).isEqualTo("one");
        assertThat(get("svc:mset-2").getValue().toStringUtf8()).isEqualTo("two");
        assertThat(pttl("svc:mset-1")).as("MSET clears the TTL").isEqualTo(-1);
    }

    @Test
    void incrCreatesAddsSubtractsAndKeepsTheTtl() {
        IncrRequest.Builder incr = IncrRequest.newBuilder().setKey(bs("svc:counter"));

        assertThat(stub().incr(incr.setBy(5).build()).getValue()).isEqualTo(5);
        assertThat(stub().incr(incr.setBy(-7).build()).getValue()).isEqualTo(-2);
        stub().expire(ExpireRequest.newBuilder().setKey(bs("svc:counter")).setTtlMs(HOUR_MS).build());
        assertThat(stub().incr(incr.setBy(1).build()).getValue()).isEqualTo(-1);
        assertThat(pttl("svc:counter")).isPositive();
    }

    @Test
    void incrByZeroIsIncrby0ReadingTheValueAndCreatingAMissingKey() {
        set("svc:incr0", "41");

        assertThat(stub().incr(IncrRequest.newBuilder().setKey(bs("svc:incr0")).build()).getValue()).isEqualTo(41);
        assertThat(stub().incr(IncrRequest.newBuilder().setKey(bs("svc:incr0-new")).build()).getValue()).isZero();
        assertThat(get("svc:incr0-new").getValue().toStringUtf8()).isEqualTo("0");
    }

    @Test
    void appendReturnsTheNewLength() {
        AppendRequest.Builder append = AppendRequest.newBuilder().setKey(bs("svc:append"));

        assertThat(stub().append(append.setValue(bs("Hello")).build()).getLength()).isEqualTo(5);
        assertThat(stub().append(append.setValue(bs(" World")).build()).getLength()).isEqualTo(11);
        assertThat(get("svc:append").getValue().toStringUtf8()).isEqualTo("Hello World");
    }

    @Test
    void expireWithRelativeOrAbsoluteTimeAndPersist() {
        set("svc:exp", "v");
        ExpireRequest.Builder expire = ExpireRequest.newBuilder().setKey(bs("svc:exp"));

        assertThat(stub().expire(expire.clone().setTtlMs(HOUR_MS).build()).getApplied()).isTrue();
        assertThat(pttl("svc:exp")).isBetween(1L, HOUR_MS);
        assertThat(stub().expire(expire.clone().setExpireAtMs(System.currentTimeMillis() + 2 * HOUR_MS).build())
                .getApplied()).isTrue();
        assertThat(pttl("svc:exp")).isGreaterThan(HOUR_MS);

        PersistRequest persist = PersistRequest.newBuilder().setKey(bs("svc:exp")).build();
        assertThat(stub().persist(persist).getApplied()).isTrue();
        assertThat(stub().persist(persist).getApplied()).as("no TTL left to remove").isFalse();
        assertThat(pttl("svc:exp")).isEqualTo(-1);
    }

    @Test
    void expireOfAMissingKeyIsNotApplied() {
        assertThat(stub().expire(ExpireRequest.newBuilder().setKey(bs("svc:exp-missing")).setTtlMs(HOUR_MS).build())
                .getApplied()).isFalse();
        assertThat(stub().persist(PersistRequest.newBuilder().setKey(bs("svc:exp-missing")).build()).getApplied())
                .isFalse();
    }

    @Test
    void expireWithANonPositiveTimeDeletesTheKeyAsPexpireDoes() {
        set("svc:exp0", "v");
        set("svc:exp-neg", "v");
        set("svc:expat-past", "v");

        assertThat(stub().expire(ExpireRequest.newBuilder().setKey(bs("svc:exp0")).setTtlMs(0).build())
                .getApplied()).isTrue();
        assertThat(stub().expire(ExpireRequest.newBuilder().setKey(bs("svc:exp-neg")).setTtlMs(-5).build())
                .getApplied()).isTrue();
        assertThat(stub().expire(ExpireRequest.newBuilder().setKey(bs("svc:expat-past")).setExpireAtMs(1).build())
                .getApplied()).isTrue();

        assertThat(pttl("svc:exp0")).isEqualTo(-2);
        assertThat(pttl("svc:exp-neg")).isEqualTo(-2);
        assertThat(pttl("svc:expat-past")).isEqualTo(-2);
    }

    @Test
    void hashRoundTrip() {
        ByteString key = bs("svc:hash");
        long added = stub().hSet(HSetRequest.newBuilder().setKey(key)
                .addFields(FieldValue.newBuilder().setField(bs("name")).setValue(bs("ada")))
                .addFields(FieldValue.newBuilder().setField(bs("lang")).setValue(bs("x")))
                .addFields(FieldValue.newBuilder().setField(bs("lang")).setValue(bs("java")))
                .build()).getAdded();
        long addedAgain = stub().hSet(HSetRequest.newBuilder().setKey(key)
                .addFields(FieldValue.newBuilder().setField(bs("name")).setValue(bs("grace")))
                .addFields(FieldValue.newBuilder().setField(bs("n")).setValue(bs("10")))
                .build()).getAdded();

        assertThat(added).as("a field named twice counts once").isEqualTo(2);
        assertThat(addedAgain).isEqualTo(1);
        assertThat(stub().hGet(HGetRequest.newBuilder().setKey(key).setField(bs("name")).build()).getValue()
                .toStringUtf8()).isEqualTo("grace");
        assertThat(stub().hGet(HGetRequest.newBuilder().setKey(key).setField(bs("nope")).build()).getFound()).isFalse();
        assertThat(stub().hIncrBy(HIncrByRequest.newBuilder().setKey(key).setField(bs("n")).setBy(-3).build())
                .getValue()).isEqualTo(7);
        assertThat(stub().hIncrBy(HIncrByRequest.newBuilder().setKey(key).setField(bs("new")).setBy(2).build())
                .getValue()).isEqualTo(2);

        Map<String, String> all = stub().hGetAll(HGetAllRequest.newBuilder().setKey(key).build()).getFieldsList()
                .stream().collect(Collectors.toMap(f -> f.getField().toStringUtf8(), f -> f.getValue().toStringUtf8()));
        assertThat(all).containsExactlyInAnyOrderEntriesOf(Map.of("name", "grace", "lang", "java", "n", "7", "new", "2"));

        long deleted = stub().hDel(HDelRequest.newBuilder().setKey(key)
                .addFields(bs("name")).addFields(bs("lang")).addFields(bs("missing")).build()).getDeleted();
        assertThat(deleted).isEqualTo(2);
        stub().hDel(HDelRequest.newBuilder().setKey(key).addFields(bs("n")).addFields(bs("new")).build());
        assertThat(pttl("svc:hash")).as("the key goes with its last field").isEqualTo(-2);
        assertThat(stub().hGetAll(HGetAllRequest.newBuilder().setKey(key).build()).getFieldsCount()).isZero();
    }

    @Test
    void dbSizeCountsKeysAndFlushAllRemovesThemAll() {
        stub().flushAll(FlushAllRequest.getDefaultInstance());
        set("svc:size-1", "v");
        set("svc:size-2", "v");

        assertThat(stub().dbSize(DbSizeRequest.getDefaultInstance()).getKeys()).isEqualTo(2);
        stub().flushAll(FlushAllRequest.getDefaultInstance());
        assertThat(stub().dbSize(DbSizeRequest.getDefaultInstance()).getKeys()).isZero();
        assertThat(get("svc:size-1").getFound()).isFalse();
    }
}
