package dev.replcache.keyspace.rdb;

import dev.replcache.keyspace.Bytes;
import dev.replcache.keyspace.Entry;
import dev.replcache.keyspace.HashValue;
import dev.replcache.keyspace.StringValue;
import dev.replcache.keyspace.Value;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads an RDB stream (versions 1 to 10: what Redis up to 7.0 and {@link RdbWriter} write) and
 * hands each key to a consumer, as Redis's {@code rdbLoadRio} does.
 *
 * <p>Supported: aux fields, {@code SELECTDB 0}, {@code RESIZEDB}, {@code EXPIRETIME_MS} and
 * {@code EXPIRETIME}, {@code IDLE} and {@code FREQ} (read and ignored: eviction metadata), the
 * string encodings (plain, 8/16/32-bit integers, LZF), strings ({@code RDB_TYPE_STRING}) and
 * hashes in every encoding Redis ever saved them in: dict ({@code RDB_TYPE_HASH}), listpack
 * (7.0), ziplist (2.6 to 6.2) and zipmap (before 2.6). Integers come back as their decimal
 * text, as Redis returns them.
 *
 * <p>Refused with a clear {@link RdbFormatException}: versions above 10, other databases than
 * 0, other value types (lists, sets, sorted sets, streams, modules, named in the message),
 * module aux data and functions, corrupt or truncated data, a checksum mismatch, and lengths
 * over {@link RdbLimits}. Memory grows with the bytes that actually arrive, never with what a
 * length claims.
 *
 * <p>Expired keys are returned like any other: a snapshot is the dataset as it was, and
 * whether a key is expired is for the loader's role and clock to decide (docs/architecture.md, "Expiry on replicas").
 * Empty hashes are dropped (Redis 7 does the same) and counted. Duplicate keys are not
 * detected here: the consumer sees both.
 *
 * <p>The consumer sees keys before the checksum at the end is verified: load into a fresh
 * keyspace and use it only once {@link #read} has returned.
 */
public final class RdbReader {

    /** Receives each key as it is read. */
    @FunctionalInterface
    public interface EntryConsumer {
        /**
         * @param key   the key
         * @param entry its value and absolute expiry ({@link Entry#NO_EXPIRY} when none); the
         *              last access time is 0, as a file carries none
         */
        void accept(Bytes key, Entry entry) throws IOException;
    }

    private static final int MAX_DIGITS_IN_VERSION = 4;

    /**
     * Heap estimates, as {@code keyspace.MemoryEstimate} counts them (64-bit JVM, compressed
     * oops): a string is its bytes, a byte[] header and a Bytes wrapper; a key adds its map
     * node, entry and sample-index slots; a hash its map; a field its map node.
     */
    static final long STRING_OVERHEAD = 40;
    static final long KEY_OVERHEAD = 132 + 16;
    static final long HASH_OVERHEAD = 104;
    static final long FIELD_OVERHEAD = 40;
    /**
     * The most heap one byte of a compact hash encoding can decode into while the element list is
     * built: an element takes one byte at least (a zipmap name), and becomes a list slot, a Bytes
     * wrapper and an array of up to 20 digits (an integer entry): 8 + 24 + 16 + 24.
     */
    static final long BLOB_BYTE_DECODED_MAX = 72;

    /** What a string is, for its bound and for messages. */
    private enum Kind {
        KEY("a key", "replcache.limits.max-key-bytes"),
        FIELD("a hash field name", "replcache.limits.max-key-bytes"),
        VALUE("a value", "replcache.limits.max-value-bytes"),
        AUX("an aux field", "replcache.limits.max-value-bytes"),
        /** A listpack, ziplist or zipmap: one hash's fields in one string, as long as a value may be. */
        BLOB("a compact hash encoding", "replcache.limits.max-value-bytes");

        final String what;
        final String property;

        Kind(String what, String property) {
            this.what = what;
            this.property = property;
        }
    }

    private final RdbInput input;
    private final RdbLimits limits;
    private final EntryConsumer consumer;
    private int version;
    private final Map<String, String> aux = new LinkedHashMap<>();
    private long keysHint = -1;
    private long expiresHint = -1;
    private long keys;
    private long expires;
    private long emptyKeysSkipped;
    /** Estimated heap the data read so far takes. Invariant: loadBytes <= limits.maxLoadBytes(). */
    private long loadBytes;
    /** What the last compact hash encoding was charged for its decoding, refunded once its fields are charged. */
    private long blobCharge;

    private RdbReader(InputStream in, RdbLimits limits, EntryConsumer consumer) {
        this.input = new RdbInput(in);
        this.limits = limits;
        this.consumer = consumer;
    }

    /** Reads a whole RDB stream with {@link RdbLimits#DEFAULTS}. */
    public static RdbInfo read(InputStream in, EntryConsumer consumer) throws IOException {
        return read(in, RdbLimits.DEFAULTS, consumer);
    }

    /**
     * Reads a whole RDB stream, up to and including its checksum, handing every key to
     * {@code consumer}. The stream is not closed; bytes after the checksum are not read.
     *
     * @return what the file said about itself
     * @throws RdbFormatException when the stream is not a valid RDB file ReplCache can load
     * @throws IOException        when reading the stream fails, or the consumer throws
     */
    public static RdbInfo read(InputStream in, RdbLimits limits, EntryConsumer consumer) throws IOException {
        return new RdbReader(in, limits, consumer).readAll();
    }

    private RdbInfo readAll() throws IOException {
        readHeader();
        boolean hasExpiry = false;
        long expireAtMs = Entry.NO_EXPIRY;
        while (true) {
            long opcodeOffset = input.offset();
            input.reading("an opcode or value type");
            int type = input.readU8();
            switch (type) {
                case Rdb.OPCODE_EOF:
                    return finish();
                case Rdb.OPCODE_EXPIRETIME_MS:
                    input.reading("an EXPIRETIME_MS");
                    // Little-endian since version 9; before, the host's order, little-endian on
                    // every machine that matters.
                    expireAtMs = input.readLittleEndian(8);
                    hasExpiry = true;
                    break;
                case Rdb.OPCODE_EXPIRETIME:
                    input.reading("an EXPIRETIME");
                    expireAtMs = (int) input.readLittleEndian(4) * 1000L;
                    hasExpiry = true;
                    break;
                case Rdb.OPCODE_IDLE:
                    input.reading("an IDLE");
                    readLength();
                    break;
                case Rdb.OPCODE_FREQ:
                    input.reading("a FREQ");
                    input.readU8();
                    break;
                case Rdb.OPCODE_SELECTDB:
                    input.reading("a SELECTDB");
                    long db = readLength();
                    if (db != 0) {
                        throw new RdbFormatException("SELECTDB " + db + ": only database 0 is supported", opcodeOffset);
                    }
                    break;
                case Rdb.OPCODE_RESIZEDB:
                    input.reading("a RESIZEDB");
                    keysHint = readLength();
                    expiresHint = readLength();
                    break;
                case Rdb.OPCODE_AUX:
                    input.reading("an aux field");
                    String name = new String(readString(Kind.AUX), StandardCharsets.UTF_8);
                    aux.put(name, new String(readString(Kind.AUX), StandardCharsets.UTF_8));
                    break;
                case Rdb.OPCODE_MODULE_AUX:
                    throw new RdbFormatException("module aux data (opcode MODULE_AUX) is not supported: "
                            + "the file was written by a Redis with modules", opcodeOffset);
                case Rdb.OPCODE_FUNCTION2:
                case Rdb.OPCODE_FUNCTION_PRE_GA:
                    throw new RdbFormatException("Redis functions (opcode " + (type == Rdb.OPCODE_FUNCTION2 ? "FUNCTION2" : "FUNCTION")
                            + ") are not supported: remove them (FUNCTION FLUSH) before saving", opcodeOffset);
                default:
                    readKeyValue(type, opcodeOffset, hasExpiry, expireAtMs);
                    hasExpiry = false;
                    expireAtMs = Entry.NO_EXPIRY;
            }
        }
    }

    private void readHeader() throws IOException {
        input.reading("the magic");
        for (byte expected : Rdb.MAGIC) {
            if (input.readU8() != (expected & 0xff)) {
                throw new RdbFormatException("not an RDB file: it does not start with \"REDIS\"", 0);
            }
        }
        input.reading("the version");
        int v = 0;
        for (int i = 0; i < MAX_DIGITS_IN_VERSION; i++) {
            int c = input.readU8();
            if (c < '0' || c > '9') {
                throw new RdbFormatException("not an RDB file: the version after \"REDIS\" is not four digits", 5);
            }
            v = v * 10 + (c - '0');
        }
        if (v < 1) {
            throw new RdbFormatException("RDB version " + v + " does not exist", 5);
        }
        if (v > Rdb.VERSION) {
            throw new RdbFormatException("RDB version " + v + " is newer than the newest supported, " + Rdb.VERSION
                    + " (Redis 7.0): the file was written by a later Redis; save it from Redis 7.0 or earlier", 5);
        }
        version = v;
    }

    private void readKeyValue(int type, long typeOffset, boolean hasExpiry, long expireAtMs) throws IOException {
        boolean supported = type == Rdb.TYPE_STRING || type == Rdb.TYPE_HASH || type == Rdb.TYPE_HASH_ZIPMAP
                || type == Rdb.TYPE_HASH_ZIPLIST || type == Rdb.TYPE_HASH_LISTPACK;
        String typeName = Rdb.typeName(type);
        if (!supported && "unknown".equals(typeName)) {
            // Not a Redis type at all: the bytes after it may not even be a key.
            throw new RdbFormatException("unknown value type " + type + " (not a Redis RDB type): the file is corrupt",
                    typeOffset);
        }
        input.reading("a key");
        charge(KEY_OVERHEAD, typeOffset);
        byte[] key = readString(Kind.KEY);
        if (!supported) {
            throw new RdbFormatException("key " + RdbInput.describeKey(key) + " has a value of type " + type
                    + " (" + typeName + "): ReplCache supports strings and hashes only", typeOffset);
        }
        long valueOffset = input.offset();
        input.reading("the value of key", key);
        Value value;
        if (type == Rdb.TYPE_STRING) {
            value = StringValue.of(Bytes.of(readString(Kind.VALUE)));
        } else if (type == Rdb.TYPE_HASH) {
            value = readDictHash(key, valueOffset);
        } else {
            value = readCompactHash(type, key, valueOffset);
        }
        if (value == null) {
            emptyKeysSkipped++;
            return;
        }
        keys++;
        if (hasExpiry) {
            expires++;
        }
        consumer.accept(Bytes.of(key), new Entry(value, hasExpiry ? expireAtMs : Entry.NO_EXPIRY, 0));
    }

    /** RDB_TYPE_HASH: a count, then field and value strings; null for an empty hash. */
    private HashValue readDictHash(byte[] key, long valueOffset) throws IOException {
        long count = readLength();
        if (count > limits.maxHashFields()) {
            throw new RdbFormatException("hash " + RdbInput.describeKey(key) + " declares " + Long.toUnsignedString(count)
                    + " fields, over the limit of " + limits.maxHashFields(), valueOffset);
        }
        if (count == 0) {
            return null;
        }
        charge(HASH_OVERHEAD, valueOffset);
        // Sized for what has arrived, not for what the count claims.
        Map<Bytes, Bytes> fields = new HashMap<>((int) Math.min(count, 1024) * 2);
        for (long i = 0; i < count; i++) {
            long fieldOffset = input.offset();
            charge(FIELD_OVERHEAD, fieldOffset);
            Bytes field = Bytes.of(readString(Kind.FIELD));
            Bytes value = Bytes.of(readString(Kind.VALUE));
            if (fields.put(field, value) != null) {
                throw new RdbFormatException("hash " + RdbInput.describeKey(key) + " has the field "
                        + RdbInput.describeKey(field.unsafeArray()) + " twice", fieldOffset);
            }
        }
        return HashValue.of(fields);
    }

    /** A hash stored as one blob (listpack, ziplist or zipmap) of field, value, ...; null when empty. */
    private HashValue readCompactHash(int type, byte[] key, long valueOffset) throws IOException {
        byte[] blob = readString(Kind.BLOB);
        List<Bytes> elements;
        try {
            if (type == Rdb.TYPE_HASH_LISTPACK) {
                elements = Listpack.decode(blob);
            } else if (type == Rdb.TYPE_HASH_ZIPLIST) {
                elements = Ziplist.decode(blob);
            } else {
                elements = Zipmap.decode(blob);
            }
        } catch (IllegalArgumentException corrupt) {
            throw new RdbFormatException("hash " + RdbInput.describeKey(key) + ": " + corrupt.getMessage(), valueOffset, corrupt);
        }
        loadBytes -= blobCharge; // decoded: the fields are charged below, one by one
        blobCharge = 0;
        if (elements.size() % 2 != 0) {
            throw new RdbFormatException("hash " + RdbInput.describeKey(key) + " (" + Rdb.typeName(type)
                    + ") has an odd number of elements, " + elements.size(), valueOffset);
        }
        if (elements.size() / 2 > limits.maxHashFields()) {
            throw new RdbFormatException("hash " + RdbInput.describeKey(key) + " has " + elements.size() / 2
                    + " fields, over the limit of " + limits.maxHashFields(), valueOffset);
        }
        if (elements.isEmpty()) {
            return null;
        }
        charge(HASH_OVERHEAD, valueOffset);
        for (int i = 0; i < elements.size(); i += 2) {
            checkStringLength(elements.get(i).length(), Kind.FIELD, valueOffset);
            checkStringLength(elements.get(i + 1).length(), Kind.VALUE, valueOffset);
            charge(FIELD_OVERHEAD + 2 * STRING_OVERHEAD + elements.get(i).length() + elements.get(i + 1).length(), valueOffset);
        }
        Map<Bytes, Bytes> fields = new HashMap<>(elements.size());
        for (int i = 0; i < elements.size(); i += 2) {
            if (fields.put(elements.get(i), elements.get(i + 1)) != null) {
                throw new RdbFormatException("hash " + RdbInput.describeKey(key) + " has the field "
                        + RdbInput.describeKey(elements.get(i).unsafeArray()) + " twice", valueOffset);
            }
        }
        return HashValue.of(fields);
    }

    private RdbInfo finish() throws IOException {
        long checksum = 0;
        if (version >= Rdb.FIRST_VERSION_WITH_CHECKSUM) {
            long computed = input.checksumSoFar();
            long trailerOffset = input.offset();
            input.reading("the checksum");
            checksum = input.readLittleEndian(8);
            // As Redis: a zero checksum means the writer had rdbchecksum off.
            if (checksum != 0 && checksum != computed) {
                throw new RdbFormatException(String.format("checksum mismatch: the file says 0x%016x but its content gives "
                        + "0x%016x, so the file is corrupt", checksum, computed), trailerOffset);
            }
        }
        for (String name : new String[] {"repl-offset", "ctime"}) {
            String v = aux.get(name);
            if (v != null) {
                try {
                    Long.parseLong(v);
                } catch (NumberFormatException e) {
                    throw new RdbFormatException("aux field " + name + " is not an integer: '" + v + "'", input.offset());
                }
            }
        }
        return new RdbInfo(version, aux, keysHint, expiresHint, keys, expires, emptyKeysSkipped, checksum, input.offset());
    }

    // ------------------------------------------------------------------ encodings

    /** Redis's rdbLoadLen where a plain length must be: 6, 14, 32 or 64 bits. */
    private long readLength() throws IOException {
        long offset = input.offset();
        int first = input.readU8();
        if ((first >> 6) == Rdb.ENCVAL) {
            throw new RdbFormatException("expected a length, found the string-encoding byte 0x"
                    + Integer.toHexString(first) + " while reading " + input.describeReading(), offset);
        }
        return lengthAfter(first, offset);
    }

    private long lengthAfter(int first, long offset) throws IOException {
        switch (first >> 6) {
            case Rdb.LEN_6BIT:
                return first & 0x3f;
            case Rdb.LEN_14BIT:
                return ((first & 0x3f) << 8) | input.readU8();
            default:
                if (first == Rdb.LEN_32BIT) {
                    return input.readBigEndian(4);
                }
                if (first == Rdb.LEN_64BIT) {
                    long len = input.readBigEndian(8);
                    if (len < 0) {
                        throw new RdbFormatException("a length of " + Long.toUnsignedString(len)
                                + " bytes while reading " + input.describeReading() + ": the file is corrupt", offset);
                    }
                    return len;
                }
                throw new RdbFormatException("unknown length encoding 0x" + Integer.toHexString(first)
                        + " while reading " + input.describeReading(), offset);
        }
    }

    /**
     * Redis's rdbGenericLoadStringObject: a length-prefixed string, an integer, or LZF. The
     * declared length is checked against the bound for its kind and charged to the load budget
     * before anything is allocated for it.
     */
    private byte[] readString(Kind kind) throws IOException {
        long offset = input.offset();
        int first = input.readU8();
        if ((first >> 6) == Rdb.ENCVAL) {
            switch (first & 0x3f) {
                case Rdb.ENC_INT8:
                    return charged(decimal((byte) input.readU8()), kind, offset);
                case Rdb.ENC_INT16:
                    return charged(decimal((short) input.readLittleEndian(2)), kind, offset);
                case Rdb.ENC_INT32:
                    return charged(decimal((int) input.readLittleEndian(4)), kind, offset);
                case Rdb.ENC_LZF:
                    return readLzfString(kind, offset);
                default:
                    throw new RdbFormatException("unknown string encoding " + (first & 0x3f) + " while reading "
                            + input.describeReading(), offset);
            }
        }
        long len = lengthAfter(first, offset);
        checkStringLength(len, kind, offset);
        chargeString(len, kind, offset);
        return input.readBytes((int) len);
    }

    private byte[] charged(byte[] decimal, Kind kind, long offset) throws RdbFormatException {
        checkStringLength(decimal.length, kind, offset);
        chargeString(decimal.length, kind, offset);
        return decimal;
    }

    private byte[] readLzfString(Kind kind, long offset) throws IOException {
        long compressed = readLength();
        long length = readLength();
        checkStringLength(compressed, kind, offset);
        checkStringLength(length, kind, offset);
        chargeString(length, kind, offset);
        if (length > compressed * Lzf.MAX_EXPANSION) {
            throw new RdbFormatException("an LZF string claims " + length + " bytes from " + compressed
                    + " compressed bytes, more than LZF can expand to, while reading " + input.describeReading(), offset);
        }
        byte[] data = input.readBytes((int) compressed);
        byte[] out = new byte[(int) length];
        try {
            Lzf.decompress(data, 0, data.length, out);
        } catch (IllegalArgumentException corrupt) {
            throw new RdbFormatException(corrupt.getMessage() + " while reading " + input.describeReading(), offset, corrupt);
        }
        return out;
    }

    private void checkStringLength(long len, Kind kind, long offset) throws RdbFormatException {
        long max = switch (kind) {
            case KEY, FIELD -> limits.maxKeyBytes();
            case VALUE, AUX, BLOB -> limits.maxValueBytes();
        };
        if (len > max) {
            throw new RdbFormatException(kind.what + " of " + Long.toUnsignedString(len) + " bytes while reading "
                    + input.describeReading() + " is over the limit of " + max + " bytes (" + kind.property + ")", offset);
        }
    }

    /**
     * A string about to be allocated: its bytes and wrapper. A compact hash encoding is charged
     * for the most its decoding can take (held only until its fields are charged instead).
     */
    private void chargeString(long len, Kind kind, long offset) throws RdbFormatException {
        if (kind == Kind.BLOB) {
            long most = STRING_OVERHEAD + len + len * BLOB_BYTE_DECODED_MAX;
            charge(most, offset);
            blobCharge = most;
        } else {
            charge(STRING_OVERHEAD + len, offset);
        }
    }

    /** Adds to the estimated heap of the load; over the budget, the file is refused before the allocation. */
    private void charge(long bytes, long offset) throws RdbFormatException {
        if (bytes > limits.maxLoadBytes() - loadBytes) {
            throw new RdbFormatException("loading the snapshot would take more than " + limits.maxLoadBytes()
                    + " bytes of heap (estimated, as the keyspace counts memory; " + keys + " keys and " + loadBytes
                    + " bytes loaded so far, " + bytes + " more needed while reading " + input.describeReading()
                    + "): over replcache.snapshot.max-load-memory", offset);
        }
        loadBytes += bytes;
    }

    private static byte[] decimal(long v) {
        return Long.toString(v).getBytes(StandardCharsets.US_ASCII);
    }
}
