package dev.replcache.keyspace.rdb;

import java.nio.charset.StandardCharsets;

/**
 * The numbers of the RDB format, named as in {@code redis/src/rdb.h} (Redis 7.0, RDB version 10).
 */
final class Rdb {

    /** The version ReplCache writes: Redis 7.0's. */
    static final int VERSION = 10;
    /** "REDIS" then the version as four ASCII digits. */
    static final byte[] MAGIC = "REDIS".getBytes(StandardCharsets.US_ASCII);
    /** The Redis version named in the {@code redis-ver} aux field: the one whose format we write. */
    static final String REDIS_VERSION = "7.0.15";

    // Value types (the byte before a key).
    static final int TYPE_STRING = 0;
    static final int TYPE_HASH = 4;
    static final int TYPE_HASH_ZIPMAP = 9;
    static final int TYPE_HASH_ZIPLIST = 13;
    static final int TYPE_HASH_LISTPACK = 16;

    // Opcodes: bytes where a value type could be, meaning something else.
    static final int OPCODE_FUNCTION2 = 245;
    static final int OPCODE_FUNCTION_PRE_GA = 246;
    static final int OPCODE_MODULE_AUX = 247;
    static final int OPCODE_IDLE = 248;
    static final int OPCODE_FREQ = 249;
    static final int OPCODE_AUX = 250;
    static final int OPCODE_RESIZEDB = 251;
    static final int OPCODE_EXPIRETIME_MS = 252;
    static final int OPCODE_EXPIRETIME = 253;
    static final int OPCODE_SELECTDB = 254;
    static final int OPCODE_EOF = 255;

    // Length encoding: the top two bits of the first byte.
    static final int LEN_6BIT = 0;
    static final int LEN_14BIT = 1;
    static final int LEN_32BIT = 0x80;
    static final int LEN_64BIT = 0x81;
    /** Top bits 11: not a length but a special string encoding, in the low six bits. */
    static final int ENCVAL = 3;
    static final int ENC_INT8 = 0;
    static final int ENC_INT16 = 1;
    static final int ENC_INT32 = 2;
    static final int ENC_LZF = 3;

    /** The first RDB version with a CRC64 trailer. */
    static final int FIRST_VERSION_WITH_CHECKSUM = 5;

    private Rdb() {
    }

    /** Redis's name for a value type, for error messages. */
    static String typeName(int type) {
        switch (type) {
            case 0: return "string";
            case 1: return "list";
            case 2: return "set";
            case 3: return "zset";
            case 4: return "hash";
            case 5: return "zset (zset_2)";
            case 6: return "module (pre-GA)";
            case 7: return "module (module_2)";
            case 9: return "hash (zipmap)";
            case 10: return "list (ziplist)";
            case 11: return "set (intset)";
            case 12: return "zset (ziplist)";
            case 13: return "hash (ziplist)";
            case 14: return "list (quicklist)";
            case 15: return "stream (listpacks)";
            case 16: return "hash (listpack)";
            case 17: return "zset (listpack)";
            case 18: return "list (quicklist_2)";
            case 19: return "stream (listpacks_2)";
            default: return "unknown";
        }
    }
}
