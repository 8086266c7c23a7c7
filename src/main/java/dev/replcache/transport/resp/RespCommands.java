package dev.replcache.transport.resp;

import dev.replcache.config.BearerToken;
import dev.replcache.config.ReplicationProperties.HostPort;
import dev.replcache.keyspace.Bytes;
import dev.replcache.keyspace.Glob;
import dev.replcache.keyspace.Keyspace;
import dev.replcache.keyspace.KeyspaceException;
import dev.replcache.keyspace.ScanPage;
import dev.replcache.keyspace.SetCondition;
import dev.replcache.keyspace.SetResult;
import dev.replcache.keyspace.Ttl;
import dev.replcache.keyspace.ValueType;
import dev.replcache.node.CacheNode;
import dev.replcache.node.ReadOnlyReplicaException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The command table: each Redis command ReplCache offers, with Redis's arity, flags and key
 * positions (what COMMAND reports), and its implementation over the node. Reads go to
 * {@link CacheNode#keyspace()}; writes to {@link CacheNode#writableKeyspace()}, the same path as
 * HTTP and gRPC, so they are refused on a replica, respect min-replicas-to-write and replicate.
 * Replies and error strings are Redis 7's.
 */
final class RespCommands {

    private static final Logger log = LoggerFactory.getLogger(RespCommands.class);

    /** What the table records per command. {@code arity} as Redis: n exact, -n at least n. */
    record Spec(String name, int arity, List<String> flags, int firstKey, int lastKey, int step, String group,
                String summary, Handler handler, boolean write, boolean allowedBeforeAuth, byte[] nameBytes) {
        Spec(String name, int arity, List<String> flags, int firstKey, int lastKey, int step, String group,
             String summary, Handler handler) {
            this(name, arity, flags, firstKey, lastKey, step, group, summary, handler, flags.contains("write"),
                    flags.contains("no-auth"), name.getBytes(StandardCharsets.US_ASCII));
        }

        /** Whether {@code name} is this command's name in any case (names are lower-case ASCII). */
        boolean named(byte[] candidate) {
            if (candidate.length != nameBytes.length) {
                return false;
            }
            for (int i = 0; i < candidate.length; i++) {
                int c = candidate[i];
                if ((c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c) != nameBytes[i]) {
                    return false;
                }
            }
            return true;
        }
    }

    @FunctionalInterface
    interface Handler {
        Reply run(RespSession session, List<byte[]> args);
    }

    /** Redis's version this server answers as: the command set and replies follow Redis 7.0. */
    static final String REDIS_VERSION = "7.0.15";

    private final CacheNode node;
    private final dev.replcache.node.Persistence persistence;
    private final Optional<BearerToken> password;
    /** replcache.replication.admin-token: when set, REPLICAOF, SLAVEOF and FAILOVER need AUTH with it. */
    private final Optional<BearerToken> adminToken;
    private final RespClients clients;
    private final RespInfo info;
    private final LongSupplier wallClock;
    /** By name, sorted (what COMMAND lists). */
    private final Map<String, Spec> table = new TreeMap<>();
    /**
     * For the lookup of every request without making a String of its name: the specs by the
     * first letter of their name and its length (one or two candidates each).
     */
    private final Spec[][][] byLetterAndLength = new Spec[26][MAX_NAME + 1][];
    private static final int MAX_NAME = 32;

    RespCommands(CacheNode node, dev.replcache.node.Persistence persistence, Optional<BearerToken> password,
                 Optional<BearerToken> adminToken, RespClients clients, RespInfo info, LongSupplier wallClock) {
        this.node = node;
        this.persistence = persistence;
        this.password = password;
        this.adminToken = adminToken;
        this.clients = clients;
        this.info = info;
        this.wallClock = wallClock;
        register();
        for (Spec spec : table.values()) {
            int letter = spec.nameBytes()[0] - 'a';
            if (letter < 0 || letter >= 26 || spec.nameBytes().length > MAX_NAME) {
                throw new IllegalStateException("command names are lower-case ASCII of at most " + MAX_NAME
                        + " characters, starting with a letter: " + spec.name());
            }
            Spec[] same = byLetterAndLength[letter][spec.nameBytes().length];
            Spec[] more = same == null ? new Spec[1] : java.util.Arrays.copyOf(same, same.length + 1);
            more[more.length - 1] = spec;
            byLetterAndLength[letter][spec.nameBytes().length] = more;
        }
    }

    /** The spec of a command by its name in any case, or null. */
    Spec lookup(byte[] name) {
        if (name.length == 0 || name.length > MAX_NAME) {
            return null;
        }
        int first = name[0] | 0x20; // lower case for letters; anything else misses below
        if (first < 'a' || first > 'z') {
            return null;
        }
        Spec[] candidates = byLetterAndLength[first - 'a'][name.length];
        if (candidates != null) {
            for (Spec spec : candidates) {
                if (spec.named(name)) {
                    return spec;
                }
            }
        }
        return null;
    }

    Collection<Spec> all() {
        return table.values();
    }

    boolean passwordRequired() {
        return password.isPresent();
    }

    // ------------------------------------------------------------------ table

    private void cmd(String name, int arity, String flags, int first, int last, int step, String group, String summary,
                     Handler h) {
        table.put(name, new Spec(name, arity, List.of(flags.split(" ")), first, last, step, group, summary, h));
    }

    private void register() {
        // strings
        cmd("get", 2, "readonly fast", 1, 1, 1, "string", "Returns the string value of a key.",
                (s, a) -> bulk(read().get(key(a, 1))));
        cmd("set", -3, "write denyoom", 1, 1, 1, "string", "Sets the string value of a key, ignoring its type.",
                this::set);
        cmd("setnx", 3, "write denyoom fast", 1, 1, 1, "string", "Set the string value of a key only when the key doesn't exist.",
                (s, a) -> Reply.bool(write(s).set(key(a, 1), value(a, 2), SetCondition.IF_ABSENT, Ttl.NONE, false).applied()));
        cmd("setex", 4, "write denyoom", 1, 1, 1, "string", "Sets the string value and expiration time of a key.",
                (s, a) -> setWithTtl(s, a, 1000, "setex"));
        cmd("psetex", 4, "write denyoom", 1, 1, 1, "string", "Sets the string value and expiration time in milliseconds of a key.",
                (s, a) -> setWithTtl(s, a, 1, "psetex"));
        cmd("getset", 3, "write denyoom fast", 1, 1, 1, "string", "Returns the previous string value of a key after setting it to a new value.",
                (s, a) -> bulk(write(s).set(key(a, 1), value(a, 2), SetCondition.ALWAYS, Ttl.NONE, true).previous()));
        cmd("getdel", 2, "write fast", 1, 1, 1, "string", "Returns the string value of a key after deleting the key.",
                (s, a) -> bulk(write(s).getDel(key(a, 1))));
        cmd("getex", -2, "write fast", 1, 1, 1, "string", "Returns the string value of a key after setting its expiration time.",
                this::getEx);
        cmd("mget", -2, "readonly fast", 1, -1, 1, "string", "Atomically returns the string values of one or more keys.",
                (s, a) -> {
                    List<Bytes> keys = keys(a, 1, a.size());
                    List<Bytes> values = read().mget(keys);
                    return w -> w.bulks(values);
                });
        cmd("mset", -3, "write denyoom", 1, -1, 2, "string", "Atomically creates or modifies the string values of one or more keys.",
                (s, a) -> {
                    write(s).mset(pairs(a, "mset"));
                    return Reply.OK;
                });
        cmd("msetnx", -3, "write denyoom", 1, -1, 2, "string", "Atomically modifies the string values of one or more keys only when all keys don't exist.",
                (s, a) -> Reply.bool(write(s).msetNx(pairs(a, "msetnx"))));
        cmd("incr", 2, "write denyoom fast", 1, 1, 1, "string", "Increments the integer value of a key by one.",
                (s, a) -> Reply.integer(write(s).incrBy(key(a, 1), 1)));
        cmd("decr", 2, "write denyoom fast", 1, 1, 1, "string", "Decrements the integer value of a key by one.",
                (s, a) -> Reply.integer(write(s).incrBy(key(a, 1), -1)));
        cmd("incrby", 3, "write denyoom fast", 1, 1, 1, "string", "Increments the integer value of a key by a number.",
                (s, a) -> Reply.integer(write(s).incrBy(key(a, 1), integer(a.get(2)))));
        cmd("decrby", 3, "write denyoom fast", 1, 1, 1, "string", "Decrements a number from the integer value of a key.",
                (s, a) -> {
                    long by = integer(a.get(2));
                    if (by == Long.MIN_VALUE) {
                        throw new RespError("ERR decrement would overflow");
                    }
                    return Reply.integer(write(s).incrBy(key(a, 1), -by));
                });
        cmd("incrbyfloat", 3, "write denyoom fast", 1, 1, 1, "string", "Increment the floating point value of a key by a number.",
                (s, a) -> {
                    Bytes key = key(a, 1);
                    java.math.BigDecimal by = Keyspace.parseFloat(Bytes.of(a.get(2)));
                    Bytes result = write(s).incrByFloat(key, by);
                    return w -> w.bulk(result);
                });
        cmd("append", 3, "write denyoom", 1, 1, 1, "string", "Appends a string to the value of a key. Creates the key if it doesn't exist.",
                (s, a) -> Reply.integer(write(s).append(key(a, 1), Bytes.of(a.get(2)), node.limits().maxValueBytes())));
        cmd("strlen", 2, "readonly fast", 1, 1, 1, "string", "Returns the length of a string value.",
                (s, a) -> {
                    Bytes v = read().get(key(a, 1));
                    return Reply.integer(v == null ? 0 : v.length());
                });
        cmd("getrange", 4, "readonly", 1, 1, 1, "string", "Returns a substring of the string stored at a key.",
                this::getRange);
        cmd("substr", 4, "readonly", 1, 1, 1, "string", "Returns a substring from a string value.",
                this::getRange);
        cmd("setrange", 4, "write denyoom", 1, 1, 1, "string", "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.",
                (s, a) -> {
                    Bytes key = key(a, 1);
                    long offset;
                    try {
                        offset = integer(a.get(2));
                    } catch (RespError e) {
                        throw new RespError("ERR value is not an integer or out of range");
                    }
                    return Reply.integer(write(s).setRange(key, offset, Bytes.of(a.get(3)), node.limits().maxValueBytes()));
                });

        // keys
        cmd("del", -2, "write", 1, -1, 1, "keyspace", "Deletes one or more keys.",
                (s, a) -> Reply.integer(write(s).del(keys(a, 1, a.size()))));
        cmd("unlink", -2, "write fast", 1, -1, 1, "keyspace", "Asynchronously deletes one or more keys.",
                (s, a) -> Reply.integer(write(s).del(keys(a, 1, a.size()))));
        cmd("exists", -2, "readonly fast", 1, -1, 1, "keyspace", "Determines whether one or more keys exist.",
                (s, a) -> Reply.integer(read().exists(keys(a, 1, a.size()))));
        // A read updates a key's last access (what allkeys-lru evicts by), so TOUCH is EXISTS.
        cmd("touch", -2, "readonly fast", 1, -1, 1, "keyspace", "Returns the number of existing keys out of those specified after updating the time they were last accessed.",
                (s, a) -> Reply.integer(read().exists(keys(a, 1, a.size()))));
        cmd("expire", -3, "write fast", 1, 1, 1, "keyspace", "Sets the expiration time of a key in seconds.",
                (s, a) -> expire(s, a, "expire"));
        cmd("pexpire", -3, "write fast", 1, 1, 1, "keyspace", "Sets the expiration time of a key in milliseconds.",
                (s, a) -> expire(s, a, "pexpire"));
        cmd("expireat", -3, "write fast", 1, 1, 1, "keyspace", "Sets the expiration time of a key to a Unix timestamp.",
                (s, a) -> expire(s, a, "expireat"));
        cmd("pexpireat", -3, "write fast", 1, 1, 1, "keyspace", "Sets the expiration time of a key to a Unix milliseconds timestamp.",
                (s, a) -> expire(s, a, "pexpireat"));
        cmd("persist", 2, "write fast", 1, 1, 1, "keyspace", "Removes the expiration time of a key.",
                (s, a) -> Reply.bool(write(s).persist(key(a, 1))));
        cmd("ttl", 2, "readonly fast", 1, 1, 1, "keyspace", "Returns the expiration time in seconds of a key.",
                (s, a) -> Reply.integer(read().ttl(key(a, 1))));
        cmd("pttl", 2, "readonly fast", 1, 1, 1, "keyspace", "Returns the expiration time in milliseconds of a key.",
                (s, a) -> Reply.integer(read().pttl(key(a, 1))));
        cmd("expiretime", 2, "readonly fast", 1, 1, 1, "keyspace", "Returns the expiration time of a key as a Unix timestamp.",
                (s, a) -> {
                    long at = read().pexpireTime(key(a, 1));
                    return Reply.integer(at < 0 ? at : at / 1000);
                });
        cmd("pexpiretime", 2, "readonly fast", 1, 1, 1, "keyspace", "Returns the expiration time of a key as a Unix milliseconds timestamp.",
                (s, a) -> Reply.integer(read().pexpireTime(key(a, 1))));
        cmd("type", 2, "readonly fast", 1, 1, 1, "keyspace", "Determines the type of value stored at a key.",
                (s, a) -> {
                    String t = typeName(read().type(key(a, 1)));
                    return w -> w.status(t);
                });
        cmd("rename", 3, "write", 1, 2, 1, "keyspace", "Renames a key and overwrites the destination.",
                (s, a) -> {
                    write(s).rename(key(a, 1), key(a, 2), false);
                    return Reply.OK;
                });
        cmd("renamenx", 3, "write fast", 1, 2, 1, "keyspace", "Renames a key only when the target key name doesn't exist.",
                (s, a) -> Reply.bool(write(s).rename(key(a, 1), key(a, 2), true)));
        cmd("scan", -2, "readonly", 0, 0, 0, "keyspace", "Iterates over the key names in the database.",
                this::scan);
        cmd("keys", 2, "readonly", 0, 0, 0, "keyspace", "Returns all key names that match a pattern.",
                (s, a) -> {
                    List<Bytes> keys = allKeys(Bytes.of(a.get(1)));
                    return w -> w.bulks(keys);
                });
        cmd("dbsize", 1, "readonly fast", 0, 0, 0, "server", "Returns the number of keys in the database.",
                (s, a) -> Reply.integer(read().dbSize()));
        cmd("randomkey", 1, "readonly", 0, 0, 0, "keyspace", "Returns a random key name from the database.",
                (s, a) -> bulk(randomKey()));
        cmd("flushdb", -1, "write", 0, 0, 0, "server", "Remove all keys from the current database.",
                (s, a) -> flush(s, a));
        cmd("flushall", -1, "write", 0, 0, 0, "server", "Removes all keys from all databases.",
                (s, a) -> flush(s, a));

        // hashes
        cmd("hset", -4, "write denyoom fast", 1, 1, 1, "hash", "Creates or modifies the value of a field in a hash.",
                (s, a) -> Reply.integer(write(s).hset(key(a, 1), fieldPairs(a, "hset"))));
        cmd("hmset", -4, "write denyoom fast", 1, 1, 1, "hash", "Sets the values of multiple fields.",
                (s, a) -> {
                    write(s).hset(key(a, 1), fieldPairs(a, "hmset"));
                    return Reply.OK;
                });
        cmd("hget", 3, "readonly fast", 1, 1, 1, "hash", "Returns the value of a field in a hash.",
                (s, a) -> bulk(read().hget(key(a, 1), Bytes.of(a.get(2)))));
        cmd("hmget", -3, "readonly fast", 1, 1, 1, "hash", "Returns the values of all fields in a hash.",
                (s, a) -> {
                    Map<Bytes, Bytes> all = read().hgetAll(key(a, 1));
                    List<Bytes> values = new ArrayList<>(a.size() - 2);
                    for (int i = 2; i < a.size(); i++) {
                        values.add(all.get(Bytes.of(a.get(i))));
                    }
                    return w -> w.bulks(values);
                });
        cmd("hgetall", 2, "readonly", 1, 1, 1, "hash", "Returns all fields and values in a hash.",
                (s, a) -> {
                    Map<Bytes, Bytes> all = read().hgetAll(key(a, 1));
                    return w -> w.map(all);
                });
        cmd("hdel", -3, "write fast", 1, 1, 1, "hash", "Deletes one or more fields and their values from a hash.",
                (s, a) -> Reply.integer(write(s).hdel(key(a, 1), fields(a, 2))));
        cmd("hexists", 3, "readonly fast", 1, 1, 1, "hash", "Determines whether a field exists in a hash.",
                (s, a) -> Reply.bool(read().hget(key(a, 1), Bytes.of(a.get(2))) != null));
        cmd("hlen", 2, "readonly fast", 1, 1, 1, "hash", "Returns the number of fields in a hash.",
                (s, a) -> Reply.integer(read().hgetAll(key(a, 1)).size()));
        cmd("hstrlen", 3, "readonly fast", 1, 1, 1, "hash", "Returns the length of the value of a field.",
                (s, a) -> {
                    Bytes v = read().hget(key(a, 1), Bytes.of(a.get(2)));
                    return Reply.integer(v == null ? 0 : v.length());
                });
        cmd("hkeys", 2, "readonly", 1, 1, 1, "hash", "Returns all fields in a hash.",
                (s, a) -> {
                    List<Bytes> f = new ArrayList<>(read().hgetAll(key(a, 1)).keySet());
                    return w -> w.bulks(f);
                });
        cmd("hvals", 2, "readonly", 1, 1, 1, "hash", "Returns all values in a hash.",
                (s, a) -> {
                    List<Bytes> v = new ArrayList<>(read().hgetAll(key(a, 1)).values());
                    return w -> w.bulks(v);
                });
        cmd("hincrby", 4, "write denyoom fast", 1, 1, 1, "hash", "Increments the integer value of a field in a hash by a number.",
                (s, a) -> {
                    Bytes key = key(a, 1);
                    Bytes field = node.limits().checkField(Bytes.of(a.get(2)));
                    return Reply.integer(write(s).hincrBy(key, field, integer(a.get(3))));
                });
        cmd("hscan", -3, "readonly", 1, 1, 1, "hash", "Iterates over fields and values of a hash.",
                this::hscan);

        // connection
        cmd("ping", -1, "fast", 0, 0, 0, "connection", "Returns the server's liveliness response.",
                (s, a) -> {
                    if (a.size() > 2) {
                        throw RespError.arity("ping");
                    }
                    if (a.size() == 2) {
                        byte[] m = a.get(1);
                        return w -> w.bulk(m);
                    }
                    return w -> w.status("PONG");
                });
        cmd("echo", 2, "fast", 0, 0, 0, "connection", "Returns the given string.",
                (s, a) -> {
                    byte[] m = a.get(1);
                    return w -> w.bulk(m);
                });
        cmd("select", 2, "fast", 0, 0, 0, "connection", "Changes the selected database.",
                (s, a) -> {
                    long db = integer(a.get(1));
                    if (db != 0) {
                        throw new RespError("ERR DB index is out of range");
                    }
                    return Reply.OK;
                });
        cmd("quit", -1, "fast no-auth", 0, 0, 0, "connection", "Closes the connection.",
                (s, a) -> {
                    s.closeAfterReply = true;
                    return Reply.OK;
                });
        cmd("auth", -2, "fast no-auth", 0, 0, 0, "connection", "Authenticates the connection.",
                (s, a) -> {
                    if (a.size() > 3) {
                        throw RespError.syntax();
                    }
                    authenticate(s, a.size() == 3 ? a.get(1) : null, a.get(a.size() - 1), false);
                    return Reply.OK;
                });
        cmd("hello", -1, "fast no-auth", 0, 0, 0, "connection", "Handshakes with the Redis server.",
                this::hello);
        cmd("client", -2, "", 0, 0, 0, "connection", "A container for client connection commands.",
                this::client);
        cmd("reset", 1, "fast no-auth", 0, 0, 0, "connection", "Resets the connection.",
                (s, a) -> {
                    s.resp3 = false;
                    s.name = "";
                    s.authenticated = !password.isPresent();
                    return w -> w.status("RESET");
                });

        // server
        cmd("command", -1, "", 0, 0, 0, "server", "Returns detailed information about all commands.",
                this::command);
        cmd("info", -1, "", 0, 0, 0, "server", "Returns information and statistics about the server.",
                (s, a) -> {
                    String text = info.render(a.subList(1, a.size()));
                    return w -> w.verbatim(text);
                });
        cmd("config", -2, "", 0, 0, 0, "server", "A container for server configuration commands.",
                this::config);
        cmd("time", 1, "fast", 0, 0, 0, "server", "Returns the server time.",
                (s, a) -> {
                    java.time.Instant now = java.time.Instant.now();
                    long micros = now.getEpochSecond() * 1_000_000 + now.getNano() / 1000;
                    return w -> {
                        w.arrayHeader(2);
                        w.bulk(Long.toString(micros / 1_000_000));
                        w.bulk(Long.toString(micros % 1_000_000));
                    };
                });
        cmd("lastsave", 1, "fast", 0, 0, 0, "server", "Returns the Unix timestamp of the last successful save to disk.",
                (s, a) -> Reply.integer(info.lastSaveSeconds()));
        // The dump file (replcache.snapshot.file): written without blocking other clients in both cases.
        cmd("save", 1, "admin", 0, 0, 0, "server", "Synchronously saves the database(s) to disk.",
                (s, a) -> new Reply.Later(persistence.saveAsync().thenApply(saved -> Reply.OK)));
        cmd("bgsave", -1, "admin", 0, 0, 0, "server", "Asynchronously saves the database(s) to disk.",
                (s, a) -> {
                    if (a.size() > 2 || (a.size() == 2 && !is(a.get(1), "SCHEDULE"))) {
                        throw RespError.syntax();
                    }
                    persistence.saveAsync().whenComplete((saved, error) -> {
                        if (error != null) {
                            log.warn("BGSAVE (RESP) failed: {}", error.getMessage());
                        }
                    });
                    return w -> w.status("Background saving started");
                });

        // replication
        cmd("role", 1, "fast", 0, 0, 0, "server", "Returns the replication role.",
                (s, a) -> info.role());
        cmd("replicaof", 3, "admin", 0, 0, 0, "server", "Configures a server as replica of another, or promotes it to a master.",
                this::replicaOf);
        cmd("slaveof", 3, "admin", 0, 0, 0, "server", "Sets a Redis server as a replica of another, or promotes it to being a master.",
                this::replicaOf);
        cmd("wait", 3, "", 0, 0, 0, "generic", "Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed.",
                this::waitReplicas);
        cmd("failover", -1, "admin", 0, 0, 0, "server", "Starts a coordinated failover from a server to one of its replicas.",
                this::failover);
    }

    // ------------------------------------------------------------------ helpers

    private Keyspace read() {
        return node.keyspace();
    }

    /** The keyspace for a write: refused on a replica, while stopping, or without enough replicas. */
    private Keyspace write(RespSession s) {
        return node.writableKeyspace();
    }

    private static Reply bulk(Bytes b) {
        return b == null ? Reply.NULL : w -> w.bulk(b);
    }

    private Bytes key(List<byte[]> a, int i) {
        return node.limits().checkKey(Bytes.of(a.get(i)));
    }

    private Bytes value(List<byte[]> a, int i) {
        return node.limits().checkValue(Bytes.of(a.get(i)));
    }

    private List<Bytes> keys(List<byte[]> a, int from, int to) {
        List<Bytes> keys = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            keys.add(key(a, i));
        }
        node.limits().checkBatch(keys, "keys");
        return keys;
    }

    private List<Bytes> fields(List<byte[]> a, int from) {
        List<Bytes> fields = new ArrayList<>(a.size() - from);
        for (int i = from; i < a.size(); i++) {
            fields.add(node.limits().checkField(Bytes.of(a.get(i))));
        }
        node.limits().checkBatch(fields, "fields");
        return fields;
    }

    private Map<Bytes, Bytes> pairs(List<byte[]> a, String command) {
        if ((a.size() - 1) % 2 != 0) {
            throw RespError.arity(command);
        }
        Map<Bytes, Bytes> pairs = new LinkedHashMap<>();
        for (int i = 1; i < a.size(); i += 2) {
            pairs.put(key(a, i), value(a, i + 1));
        }
        node.limits().checkBatch(pairs.keySet(), "keys");
        return pairs;
    }

    private Map<Bytes, Bytes> fieldPairs(List<byte[]> a, String command) {
        if ((a.size() - 2) % 2 != 0) {
            throw RespError.arity(command);
        }
        Map<Bytes, Bytes> pairs = new LinkedHashMap<>();
        for (int i = 2; i < a.size(); i += 2) {
            pairs.put(node.limits().checkField(Bytes.of(a.get(i))), value(a, i + 1));
        }
        node.limits().checkBatch(pairs.keySet(), "fields");
        return pairs;
    }

    /** A 64-bit integer argument as Redis's string2ll reads it. */
    static long integer(byte[] b) {
        try {
            return parseLong(b);
        } catch (NumberFormatException e) {
            throw RespError.notInteger();
        }
    }

    private static long parseLong(byte[] b) {
        if (b.length == 0 || b.length > 20) {
            throw new NumberFormatException();
        }
        if ((b[0] == '0' && b.length > 1) || (b[0] == '-' && b.length > 1 && b[1] == '0')) {
            throw new NumberFormatException();
        }
        for (int i = 0; i < b.length; i++) {
            byte c = b[i];
            if (!(c >= '0' && c <= '9') && !(i == 0 && c == '-')) {
                throw new NumberFormatException();
            }
        }
        return Long.parseLong(new String(b, StandardCharsets.US_ASCII));
    }

    private static boolean is(byte[] arg, String option) {
        return new String(arg, StandardCharsets.ISO_8859_1).equalsIgnoreCase(option);
    }

    private static String upper(byte[] arg) {
        return new String(arg, StandardCharsets.UTF_8).toUpperCase(Locale.ROOT);
    }

    static String typeName(ValueType t) {
        if (t == null) {
            return "none";
        }
        return switch (t) {
            case STRING -> "string";
            case HASH -> "hash";
        };
    }

    // ------------------------------------------------------------------ strings

    /** SET key value [NX | XX] [GET] [EX s | PX ms | EXAT s | PXAT ms | KEEPTTL], parsed as Redis's parseExtendedStringArgumentsOrReply. */
    private Reply set(RespSession s, List<byte[]> a) {
        Bytes key = key(a, 1);
        Bytes value = value(a, 2);
        SetCondition condition = SetCondition.ALWAYS;
        boolean get = false;
        Ttl ttl = Ttl.NONE;
        boolean ttlGiven = false;
        for (int i = 3; i < a.size(); i++) {
            byte[] opt = a.get(i);
            boolean hasNext = i + 1 < a.size();
            if (is(opt, "NX") && condition == SetCondition.ALWAYS) {
                condition = SetCondition.IF_ABSENT;
            } else if (is(opt, "XX") && condition == SetCondition.ALWAYS) {
                condition = SetCondition.IF_PRESENT;
            } else if (is(opt, "GET") && !get) {
                get = true;
            } else if (is(opt, "KEEPTTL") && !ttlGiven) {
                ttl = Ttl.KEEP;
                ttlGiven = true;
            } else if ((is(opt, "EX") || is(opt, "PX") || is(opt, "EXAT") || is(opt, "PXAT")) && !ttlGiven && hasNext) {
                long n = integer(a.get(++i));
                if (n <= 0) {
                    throw new RespError("ERR invalid expire time in 'set' command");
                }
                boolean seconds = is(opt, "EX") || is(opt, "EXAT");
                long ms = seconds ? multiplyOrInvalid(n, "set") : n;
                ttl = is(opt, "EX") || is(opt, "PX") ? Ttl.inMillis(ms) : Ttl.atMillis(ms);
                ttlGiven = true;
            } else {
                throw RespError.syntax();
            }
        }
        SetResult r = write(s).set(key, value, condition, ttl, get);
        if (get) {
            return bulk(r.previous());
        }
        return r.applied() ? Reply.OK : Reply.NULL;
    }

    private static long multiplyOrInvalid(long seconds, String command) {
        try {
            return Math.multiplyExact(seconds, 1000L);
        } catch (ArithmeticException e) {
            throw new RespError("ERR invalid expire time in '" + command + "' command");
        }
    }

    private Reply setWithTtl(RespSession s, List<byte[]> a, long unitMs, String command) {
        Bytes key = key(a, 1);
        long n = integer(a.get(2));
        if (n <= 0) {
            throw new RespError("ERR invalid expire time in '" + command + "' command");
        }
        long ms = unitMs == 1 ? n : multiplyOrInvalid(n, command);
        write(s).set(key, value(a, 3), SetCondition.ALWAYS, Ttl.inMillis(ms), false);
        return Reply.OK;
    }

    private Reply getEx(RespSession s, List<byte[]> a) {
        Bytes key = key(a, 1);
        Ttl ttl = Ttl.NONE;
        boolean persist = false;
        for (int i = 2; i < a.size(); i++) {
            byte[] opt = a.get(i);
            boolean hasNext = i + 1 < a.size();
            boolean chosen = ttl.kind() != Ttl.Kind.NONE || persist;
            if (is(opt, "PERSIST") && !chosen) {
                persist = true;
            } else if ((is(opt, "EX") || is(opt, "PX") || is(opt, "EXAT") || is(opt, "PXAT")) && !chosen && hasNext) {
                long n = integer(a.get(++i));
                if (n <= 0) {
                    throw new RespError("ERR invalid expire time in 'getex' command");
                }
                boolean seconds = is(opt, "EX") || is(opt, "EXAT");
                long ms = seconds ? multiplyOrInvalid(n, "getex") : n;
                ttl = is(opt, "EX") || is(opt, "PX") ? Ttl.inMillis(ms) : Ttl.atMillis(ms);
            } else {
                throw RespError.syntax();
            }
        }
        return bulk(write(s).getEx(key, ttl, persist));
    }

    private Reply getRange(RespSession s, List<byte[]> a) {
        Bytes key = key(a, 1);
        long start = integer(a.get(2));
        long end = integer(a.get(3));
        Bytes v = read().get(key);
        if (v == null) {
            return w -> w.bulk(Bytes.EMPTY);
        }
        long len = v.length();
        if (start < 0 && end < 0 && start > end) {
            return w -> w.bulk(Bytes.EMPTY);
        }
        if (start < 0) {
            start = Math.max(0, len + start);
        }
        if (end < 0) {
            end = Math.max(0, len + end);
        }
        if (end >= len) {
            end = len - 1;
        }
        if (start > end || len == 0) {
            return w -> w.bulk(Bytes.EMPTY);
        }
        byte[] part = Arrays.copyOfRange(v.unsafeArray(), (int) start, (int) end + 1);
        return w -> w.bulk(part);
    }

    // ------------------------------------------------------------------ keys

    /** EXPIRE key n [NX | XX | GT | LT] and its PEXPIRE, EXPIREAT, PEXPIREAT forms, as Redis 7. */
    private Reply expire(RespSession s, List<byte[]> a, String command) {
        Bytes key = key(a, 1);
        long n = integer(a.get(2));
        boolean nx = false;
        boolean xx = false;
        boolean gt = false;
        boolean lt = false;
        for (int i = 3; i < a.size(); i++) {
            String opt = upper(a.get(i));
            switch (opt) {
                case "NX" -> nx = true;
                case "XX" -> xx = true;
                case "GT" -> gt = true;
                case "LT" -> lt = true;
                default -> throw new RespError("ERR Unsupported option " + new String(a.get(i), StandardCharsets.UTF_8));
            }
        }
        if (nx && (xx || gt || lt)) {
            throw new RespError("ERR NX and XX, GT or LT options at the same time are not compatible");
        }
        if (gt && lt) {
            throw new RespError("ERR GT and LT options at the same time are not compatible");
        }
        boolean seconds = command.equals("expire") || command.equals("expireat");
        boolean relative = command.equals("expire") || command.equals("pexpire");
        return Reply.bool(write(s).expire(key, n, seconds ? 1000 : 1, relative,
                new Keyspace.ExpireCondition(nx, xx, gt, lt), command));
    }

    private Reply scan(RespSession s, List<byte[]> a) {
        long cursor;
        try {
            cursor = parseLong(a.get(1));
        } catch (NumberFormatException e) {
            throw new RespError("ERR invalid cursor");
        }
        Bytes pattern = null;
        int count = 10;
        String type = null;
        for (int i = 2; i < a.size(); i++) {
            byte[] opt = a.get(i);
            if (i + 1 >= a.size()) {
                throw RespError.syntax();
            }
            if (is(opt, "MATCH")) {
                pattern = Bytes.of(a.get(++i));
                if (pattern.length() == 1 && pattern.byteAt(0) == '*') {
                    pattern = null;
                }
            } else if (is(opt, "COUNT")) {
                long c = integer(a.get(++i));
                if (c < 1) {
                    throw RespError.syntax();
                }
                count = (int) Math.min(c, Integer.MAX_VALUE);
            } else if (is(opt, "TYPE")) {
                type = new String(a.get(++i), StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
            } else {
                throw RespError.syntax();
            }
        }
        Keyspace ks = read();
        ScanPage page;
        try {
            page = ks.scan(cursor, pattern, count);
        } catch (KeyspaceException e) {
            throw new RespError("ERR invalid cursor");
        }
        List<Bytes> keys = page.keys();
        if (type != null) {
            String wanted = type;
            keys = keys.stream().filter(k -> typeName(ks.type(k)).equals(wanted)).toList();
        }
        List<Bytes> result = keys;
        String next = Long.toString(page.nextCursor());
        return w -> {
            w.arrayHeader(2);
            w.bulk(next);
            w.bulks(result);
        };
    }

    private List<Bytes> allKeys(Bytes pattern) {
        Bytes p = pattern.length() == 1 && pattern.byteAt(0) == '*' ? null : pattern;
        List<Bytes> keys = new ArrayList<>();
        long cursor = 0;
        do {
            ScanPage page = read().scan(cursor, p, 1000);
            keys.addAll(page.keys());
            cursor = page.nextCursor();
        } while (cursor != 0);
        return keys;
    }

    private Bytes randomKey() {
        Keyspace ks = read();
        int segments = ks.config().segments();
        int start = ThreadLocalRandom.current().nextInt(segments);
        for (int i = 0; i < segments; i++) {
            ScanPage page = ks.scan((start + i) % segments, null, 1);
            if (!page.keys().isEmpty()) {
                return page.keys().get(ThreadLocalRandom.current().nextInt(page.keys().size()));
            }
        }
        return null;
    }

    private Reply flush(RespSession s, List<byte[]> a) {
        if (a.size() > 2 || (a.size() == 2 && !is(a.get(1), "ASYNC") && !is(a.get(1), "SYNC"))) {
            throw RespError.syntax();
        }
        write(s).flushAll();
        return Reply.OK;
    }

    // ------------------------------------------------------------------ hashes

    /** HSCAN key cursor [MATCH p] [COUNT n]: the whole hash in one page (cursor 0), as Redis does for small hashes. */
    private Reply hscan(RespSession s, List<byte[]> a) {
        Bytes key = key(a, 1);
        long cursor;
        try {
            cursor = parseLong(a.get(2));
        } catch (NumberFormatException e) {
            throw new RespError("ERR invalid cursor");
        }
        Bytes pattern = null;
        for (int i = 3; i < a.size(); i++) {
            if (i + 1 >= a.size()) {
                throw RespError.syntax();
            }
            if (is(a.get(i), "MATCH")) {
                pattern = Bytes.of(a.get(++i));
            } else if (is(a.get(i), "COUNT")) {
                if (integer(a.get(++i)) < 1) {
                    throw RespError.syntax();
                }
            } else {
                throw RespError.syntax();
            }
        }
        Map<Bytes, Bytes> all = cursor == 0 ? read().hgetAll(key) : Map.of();
        Glob glob = pattern == null ? null : Glob.compile(pattern); // once, not per field
        List<Bytes> flat = new ArrayList<>();
        for (Map.Entry<Bytes, Bytes> e : all.entrySet()) {
            if (glob == null || glob.matches(e.getKey())) {
                flat.add(e.getKey());
                flat.add(e.getValue());
            }
        }
        return w -> {
            w.arrayHeader(2);
            w.bulk("0");
            w.bulks(flat);
        };
    }

    // ------------------------------------------------------------------ connection

    /**
     * AUTH [username] password: the password is the HTTP API's bearer token; the only user is
     * {@code default}, as in a Redis without ACLs.
     */
    private void authenticate(RespSession s, byte[] user, byte[] pass, boolean fromHello) {
        boolean userOk = user == null || is(user, "default");
        String presented = new String(pass, StandardCharsets.UTF_8);
        if (userOk && adminToken.isPresent() && adminToken.get().matches(presented)) {
            // The admin token: every command, role changes included (Redis's user with all permissions).
            s.authenticated = true;
            s.admin = true;
            return;
        }
        if (password.isEmpty()) {
            if (fromHello) {
                return; // HELLO AUTH against a server without a password is accepted by Redis's default user (nopass)
            }
            throw new RespError("ERR AUTH <password> called without any password configured for the default user. "
                    + "Are you sure your configuration is correct?");
        }
        boolean ok = userOk && password.get().matches(presented);
        if (!ok) {
            log.warn("RESP AUTH refused for {}", s.remote);
            throw new RespError("WRONGPASS invalid username-password pair or user is disabled.");
        }
        s.authenticated = true;
    }

    /** HELLO [protover [AUTH username password] [SETNAME clientname]]. */
    private Reply hello(RespSession s, List<byte[]> a) {
        int version = s.resp3 ? 3 : 2;
        int i = 1;
        if (a.size() > 1) {
            long v;
            try {
                v = parseLong(a.get(1));
            } catch (NumberFormatException e) {
                throw new RespError("ERR Protocol version is not an integer or out of range");
            }
            if (v < 2 || v > 3) {
                throw new RespError("NOPROTO unsupported protocol version");
            }
            version = (int) v;
            i = 2;
        }
        String setName = null;
        for (; i < a.size(); i++) {
            if (is(a.get(i), "AUTH") && a.size() - i - 1 >= 2) {
                authenticate(s, a.get(i + 1), a.get(i + 2), true);
                i += 2;
            } else if (is(a.get(i), "SETNAME") && a.size() - i - 1 >= 1) {
                setName = checkClientName(a.get(i + 1));
                i += 1;
            } else {
                throw new RespError("ERR Syntax error in HELLO option '" + new String(a.get(i), StandardCharsets.UTF_8) + "'");
            }
        }
        if (!s.authenticated) {
            throw new RespError("NOAUTH HELLO must be called with the client already authenticated, otherwise the "
                    + "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP "
                    + "protocol version at the same time");
        }
        if (setName != null) {
            s.name = setName;
        }
        s.resp3 = version == 3;
        int proto = version;
        String role = node.role();
        return w -> {
            w.mapHeader(7);
            w.bulk("server");
            w.bulk("redis");
            w.bulk("version");
            w.bulk(REDIS_VERSION);
            w.bulk("proto");
            w.integer(proto);
            w.bulk("id");
            w.integer(s.id);
            w.bulk("mode");
            w.bulk("standalone");
            w.bulk("role");
            w.bulk(role);
            w.bulk("modules");
            w.arrayHeader(0);
        };
    }

    private static String checkClientName(byte[] name) {
        for (byte b : name) {
            if (b < '!' || b > '~') {
                throw new RespError("ERR Client names cannot contain spaces, newlines or special characters.");
            }
        }
        return new String(name, StandardCharsets.US_ASCII);
    }

    private Reply client(RespSession s, List<byte[]> a) {
        String sub = upper(a.get(1));
        switch (sub) {
            case "ID" -> {
                return Reply.integer(s.id);
            }
            case "SETNAME" -> {
                if (a.size() != 3) {
                    throw subcommandArity("client|setname");
                }
                s.name = checkClientName(a.get(2));
                return Reply.OK;
            }
            case "GETNAME" -> {
                String name = s.name;
                return name.isEmpty() ? Reply.NULL : w -> w.bulk(name);
            }
            case "SETINFO" -> {
                if (a.size() != 4) {
                    throw subcommandArity("client|setinfo");
                }
                String attr = upper(a.get(2));
                String value = checkClientName(a.get(3));
                if (attr.equals("LIB-NAME")) {
                    s.libName = value;
                } else if (attr.equals("LIB-VER")) {
                    s.libVersion = value;
                } else {
                    throw new RespError("ERR Unrecognized option '" + new String(a.get(2), StandardCharsets.UTF_8) + "'");
                }
                return Reply.OK;
            }
            case "INFO" -> {
                String line = s.describe(wallClock.getAsLong()) + "\n";
                return w -> w.verbatim(line);
            }
            case "LIST" -> {
                long now = wallClock.getAsLong();
                StringBuilder b = new StringBuilder();
                for (RespSession c : clients.all()) {
                    b.append(c.describe(now)).append('\n');
                }
                String text = b.toString();
                return w -> w.verbatim(text);
            }
            case "HELP" -> {
                List<String> lines = List.of("CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                        "ID", "    Return the ID of the current connection.",
                        "GETNAME", "    Return the name of the current connection.",
                        "SETNAME <name>", "    Assign the name <name> to the current connection.",
                        "SETINFO <option> <value>", "    Set client meta attr (LIB-NAME, LIB-VER).",
                        "INFO", "    Return information about the current client connection.",
                        "LIST", "    Return information about client connections.");
                return w -> {
                    w.arrayHeader(lines.size());
                    lines.forEach(w::status);
                };
            }
            default -> throw unknownSubcommand(a.get(1), "CLIENT");
        }
    }

    private static RespError subcommandArity(String name) {
        return new RespError("ERR wrong number of arguments for '" + name + "' command");
    }

    private static RespError unknownSubcommand(byte[] sub, String command) {
        String name = new String(sub, StandardCharsets.UTF_8);
        if (name.length() > 128) {
            name = name.substring(0, 128);
        }
        return new RespError("ERR unknown subcommand '" + name + "'. Try " + command + " HELP.");
    }

    // ------------------------------------------------------------------ server

    private Reply command(RespSession s, List<byte[]> a) {
        if (a.size() == 1) {
            List<Spec> specs = new ArrayList<>(table.values());
            return w -> {
                w.arrayHeader(specs.size());
                specs.forEach(spec -> commandInfo(w, spec));
            };
        }
        String sub = upper(a.get(1));
        switch (sub) {
            case "COUNT" -> {
                return Reply.integer(table.size());
            }
            case "INFO" -> {
                List<Spec> specs = new ArrayList<>();
                for (int i = 2; i < a.size(); i++) {
                    specs.add(lookup(a.get(i)));
                }
                if (a.size() == 2) {
                    specs.addAll(table.values());
                }
                return w -> {
                    w.arrayHeader(specs.size());
                    for (Spec spec : specs) {
                        if (spec == null) {
                            w.nullArray();
                        } else {
                            commandInfo(w, spec);
                        }
                    }
                };
            }
            case "DOCS" -> {
                List<Spec> specs = new ArrayList<>();
                if (a.size() == 2) {
                    specs.addAll(table.values());
                } else {
                    for (int i = 2; i < a.size(); i++) {
                        Spec spec = lookup(a.get(i));
                        if (spec != null) {
                            specs.add(spec);
                        }
                    }
                }
                return w -> {
                    w.mapHeader(specs.size());
                    for (Spec spec : specs) {
                        w.bulk(spec.name());
                        w.mapHeader(3);
                        w.bulk("summary");
                        w.bulk(spec.summary());
                        w.bulk("since");
                        w.bulk("1.0.0");
                        w.bulk("group");
                        w.bulk(spec.group());
                    }
                };
            }
            case "LIST" -> {
                List<String> names = new ArrayList<>(table.keySet());
                return w -> {
                    w.arrayHeader(names.size());
                    names.forEach(w::bulk);
                };
            }
            default -> throw unknownSubcommand(a.get(1), "COMMAND");
        }
    }

    /** One command as COMMAND reports it in Redis 7: name, arity, flags, first key, last key, step, ACL categories, tips, key specs, subcommands. */
    private static void commandInfo(RespWriter w, Spec spec) {
        w.arrayHeader(10);
        w.bulk(spec.name());
        w.integer(spec.arity());
        List<String> flags = spec.flags().stream().filter(f -> !f.isEmpty()).toList();
        w.arrayHeader(flags.size());
        flags.forEach(w::status);
        w.integer(spec.firstKey());
        w.integer(spec.lastKey());
        w.integer(spec.step());
        w.arrayHeader(1);
        w.status("@" + spec.group());
        w.arrayHeader(0);
        w.arrayHeader(0);
        w.arrayHeader(0);
    }

    private Reply config(RespSession s, List<byte[]> a) {
        String sub = upper(a.get(1));
        switch (sub) {
            case "GET" -> {
                if (a.size() < 3) {
                    throw subcommandArity("config|get");
                }
                Map<String, String> all = info.config();
                Map<String, String> matched = new TreeMap<>();
                for (int i = 2; i < a.size(); i++) {
                    Glob pattern = Glob.compile(Bytes.of(new String(a.get(i), StandardCharsets.UTF_8)
                            .toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8)));
                    all.forEach((k, v) -> {
                        if (pattern.matches(Bytes.utf8(k))) {
                            matched.put(k, v);
                        }
                    });
                }
                return w -> {
                    w.mapHeader(matched.size());
                    matched.forEach((k, v) -> {
                        w.bulk(k);
                        w.bulk(v);
                    });
                };
            }
            case "SET" -> throw new RespError("ERR CONFIG SET is not supported: ReplCache is configured at start "
                    + "(replcache.* properties)");
            case "HELP" -> {
                return w -> {
                    w.arrayHeader(2);
                    w.status("CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
                    w.status("GET <pattern>");
                };
            }
            default -> throw unknownSubcommand(a.get(1), "CONFIG");
        }
    }

    // ------------------------------------------------------------------ replication

    /** REPLICAOF host port (the master's replication port, as replcache.replication.master) or NO ONE. */
    /** With an admin token set, role changes need a connection AUTHed with it (the client password does not do). */
    private void requireAdmin(RespSession s) {
        if (adminToken.isPresent() && !s.admin) {
            throw new RespError("NOPERM this command changes roles: AUTH with replcache.replication.admin-token first");
        }
    }

    private Reply replicaOf(RespSession s, List<byte[]> a) {
        requireAdmin(s);
        if (is(a.get(1), "NO") && is(a.get(2), "ONE")) {
            node.promote();
            return Reply.OK;
        }
        long port = integer(a.get(2));
        HostPort target;
        try {
            target = new HostPort(new String(a.get(1), StandardCharsets.UTF_8), (int) Math.min(port, 70000));
        } catch (IllegalArgumentException e) {
            throw new RespError("ERR Invalid master port");
        }
        dev.replcache.replication.MasterLink current = node.masterLink();
        node.replicaOf(target);
        if (current != null && node.masterLink() == current) {
            return w -> w.status("OK Already connected to specified master");
        }
        return Reply.OK;
    }

    /** WAIT numreplicas timeout: replicas that acked this connection's last write. */
    private Reply waitReplicas(RespSession s, List<byte[]> a) {
        long replicas = integer(a.get(1));
        long timeout;
        try {
            timeout = parseLong(a.get(2));
        } catch (NumberFormatException e) {
            throw new RespError("ERR timeout is not an integer or out of range");
        }
        if (timeout < 0) {
            throw new RespError("ERR timeout is negative");
        }
        if (node.masterLink() != null) {
            throw new RespError("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 "
                    + "if a replica is configured to be writable (which is not the default) writes to replicas are just "
                    + "local and are not propagated.");
        }
        java.util.concurrent.CompletableFuture<Integer> acked;
        try {
            acked = node.waitForReplicas(s.lastWriteOffset, (int) Math.max(0, Math.min(replicas, Integer.MAX_VALUE)), timeout);
        } catch (ReadOnlyReplicaException e) {
            throw new RespError("ERR WAIT cannot be used with replica instances.");
        }
        return new Reply.Later(acked.thenApply(n -> Reply.integer(n)));
    }

    /** FAILOVER [TO host port] [TIMEOUT ms]: started here, then run in the background (Redis answers OK at once). */
    private Reply failover(RespSession s, List<byte[]> a) {
        requireAdmin(s);
        HostPort to = null;
        long timeout = 0;
        for (int i = 1; i < a.size(); i++) {
            if (is(a.get(i), "TO") && i + 2 < a.size() && to == null) {
                long port = integer(a.get(i + 2));
                try {
                    to = new HostPort(new String(a.get(i + 1), StandardCharsets.UTF_8), (int) Math.min(port, 70000));
                } catch (IllegalArgumentException e) {
                    throw new RespError("ERR Invalid target port");
                }
                i += 2;
            } else if (is(a.get(i), "TIMEOUT") && i + 1 < a.size()) {
                timeout = integer(a.get(++i));
                if (timeout <= 0) {
                    throw new RespError("ERR FAILOVER timeout must be greater than 0");
                }
            } else if (is(a.get(i), "ABORT") || is(a.get(i), "FORCE")) {
                throw new RespError("ERR FAILOVER " + upper(a.get(i)) + " is not supported by ReplCache");
            } else {
                throw RespError.syntax();
            }
        }
        node.failover(to, timeout).whenComplete((result, error) -> {
            if (error != null) {
                log.warn("FAILOVER (RESP) failed: {}", error.getMessage());
            } else {
                log.info("FAILOVER (RESP) done: new master {} at offset {}", result.newMaster(), result.offset());
            }
        });
        return Reply.OK;
    }
}
