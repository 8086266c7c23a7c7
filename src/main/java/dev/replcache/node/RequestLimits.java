package dev.replcache.node;

import dev.replcache.keyspace.Bytes;
import java.util.Collection;

/**
 * Checks client input against the configured limits, the same way for every transport.
 *
 * @param maxKeyBytes   longest key or hash field
 * @param maxValueBytes largest value
 * @param maxBatchKeys  most keys or fields in one request
 */
public record RequestLimits(int maxKeyBytes, int maxValueBytes, int maxBatchKeys) {

    public static final RequestLimits DEFAULTS = new RequestLimits(64 * 1024, 16 * 1024 * 1024, 10_000);

    /** A key must be non-empty and no longer than {@code maxKeyBytes}. */
    public Bytes checkKey(Bytes key) {
        if (key == null || key.length() == 0) {
            throw new InvalidRequestException("key must not be empty");
        }
        if (key.length() > maxKeyBytes) {
            throw new LimitExceededException("key", "replcache.limits.max-key-bytes", maxKeyBytes, key.length(), "bytes");
        }
        return key;
    }

    /** A hash field must be non-empty and no longer than {@code maxKeyBytes}. */
    public Bytes checkField(Bytes field) {
        if (field == null || field.length() == 0) {
            throw new InvalidRequestException("hash field must not be empty");
        }
        if (field.length() > maxKeyBytes) {
            throw new LimitExceededException("hash field", "replcache.limits.max-key-bytes", maxKeyBytes, field.length(), "bytes");
        }
        return field;
    }

    public Bytes checkValue(Bytes value) {
        if (value == null) {
            throw new InvalidRequestException("value is required");
        }
        checkValueLength(value.length());
        return value;
    }

    /** For transports that know a body's length before reading it (Content-Length). */
    public void checkValueLength(long length) {
        if (length > maxValueBytes) {
            throw new LimitExceededException("value", "replcache.limits.max-value-bytes", maxValueBytes, length, "bytes");
        }
    }

    /** A batch (MGET, MSET, DEL, HSET, HDEL) must name at least one and at most {@code maxBatchKeys} items. */
    public void checkBatch(Collection<?> items, String what) {
        if (items.isEmpty()) {
            throw new InvalidRequestException(what + " must not be empty");
        }
        checkBatchSize(items.size(), what, "items");
    }

    /** At most {@code maxBatchKeys} of {@code what} in one request (none is allowed here). */
    public void checkBatchSize(int count, String what, String unit) {
        if (count > maxBatchKeys) {
            throw new LimitExceededException(what, "replcache.limits.max-batch-keys", maxBatchKeys, count, unit);
        }
    }
}
