package dev.replcache.keyspace.rdb;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What an RDB stream said about itself, once it has been read to the end and its checksum
 * verified.
 *
 * @param version          the RDB version from the header (1..10)
 * @param aux              every aux field, in file order ({@code redis-ver}, {@code ctime},
 *                         {@code repl-id}, ...); values as text
 * @param keysHint         the first RESIZEDB number (keys in db 0), or -1 when absent
 * @param expiresHint      the second RESIZEDB number (keys with a TTL), or -1 when absent
 * @param keys             keys handed to the consumer
 * @param expires          of those, keys with an expiry (expired or not)
 * @param emptyKeysSkipped empty hashes dropped, as Redis 7 drops them on load
 * @param checksum         the CRC64 trailer; 0 when the writer disabled checksums, or for
 *                         versions before 5, which had none
 * @param bytes            bytes read, trailer included
 */
public record RdbInfo(int version, Map<String, String> aux, long keysHint, long expiresHint,
                      long keys, long expires, long emptyKeysSkipped, long checksum, long bytes) {

    public RdbInfo {
        aux = Collections.unmodifiableMap(new LinkedHashMap<>(aux));
    }

    /** The {@code repl-id} aux field: the replication id the data belongs to. */
    public Optional<String> replId() {
        return Optional.ofNullable(aux.get("repl-id"));
    }

    /** The {@code repl-offset} aux field (checked to be an integer when the file was read). */
    public OptionalLong replOffset() {
        return longAux("repl-offset");
    }

    /** The {@code ctime} aux field: creation time, Unix seconds. */
    public OptionalLong ctimeSeconds() {
        return longAux("ctime");
    }

    private OptionalLong longAux(String name) {
        String v = aux.get(name);
        return v == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(v));
    }
}
