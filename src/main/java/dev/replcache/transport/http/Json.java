package dev.replcache.transport.http;

import dev.replcache.keyspace.Bytes;
import dev.replcache.node.RequestLimits;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON request and response bodies. Keys and values in JSON are UTF-8 strings; binary
 * values are for the raw-bytes routes.
 */
final class Json {

    private Json() {
    }

    /** {@code {"keys":[...]}} for MGET and DEL. */
    public record KeysRequest(List<String> keys) {
        /** The keys as bytes, each checked; a missing list or a null item is a 400. */
        List<Bytes> checkedKeys(RequestLimits limits) {
            if (keys == null) {
                throw ApiProblemException.invalid("keys is required");
            }
            limits.checkBatch(keys, "keys");
            List<Bytes> out = new ArrayList<>(keys.size());
            for (int i = 0; i < keys.size(); i++) {
                String k = keys.get(i);
                if (k == null) {
                    throw ApiProblemException.invalid("keys[" + i + "] must be a string");
                }
                out.add(limits.checkKey(Bytes.utf8(k)));
            }
            return out;
        }
    }

    /** {@code {"entries":{"k":"v",...}}} for MSET. */
    public record MsetRequest(Map<String, String> entries) {
        Map<Bytes, Bytes> checkedEntries(RequestLimits limits) {
            if (entries == null) {
                throw ApiProblemException.invalid("entries is required");
            }
            return checkedPairs(entries, limits, "entries", true);
        }
    }

    /**
     * Checks a JSON object of string pairs: non-empty, within the batch limit, no null value,
     * each name a valid key (or hash field) and each value within the value limit.
     */
    static Map<Bytes, Bytes> checkedPairs(Map<String, String> pairs, RequestLimits limits, String what, boolean namesAreKeys) {
        limits.checkBatch(pairs.keySet(), what);
        Map<Bytes, Bytes> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : pairs.entrySet()) {
            if (e.getValue() == null) {
                throw ApiProblemException.invalid(what + " value of '" + e.getKey() + "' must be a string");
            }
            Bytes name = Bytes.utf8(e.getKey());
            out.put(namesAreKeys ? limits.checkKey(name) : limits.checkField(name),
                    limits.checkValue(Bytes.utf8(e.getValue())));
        }
        return out;
    }

    /** MGET's answer: one slot per key, null for a missing key or one of another type. */
    public record ValuesResponse(List<String> values) {
    }

    public record DeletedResponse(@Schema(description = "keys that existed and were removed") long deleted) {
    }

    /** A page of SCAN. */
    public record ScanResponse(
            @Schema(description = "cursor for the next page; \"0\" when the scan is complete") String cursor,
            List<String> keys) {
    }

    public record KeyspaceResponse(long keys, long expires, long memoryBytes) {
    }

    /** INCRBY / HINCRBY result. */
    public record ValueResponse(long value) {
    }

    /** APPEND result. */
    public record LengthResponse(long length) {
    }

    /** HSET result. */
    public record AddedResponse(@Schema(description = "fields that were new") long added) {
    }

    public record TtlResponse(
            @Schema(description = "milliseconds left; -1 when the key has no TTL") long ttlMs,
            @Schema(description = "absolute expiry in Unix milliseconds; null when the key has no TTL") Long expireAtMs) {
    }
}
