/**
 * The snapshot file format: Redis's RDB, version 10, as Redis 7.0 writes it, for the types
 * ReplCache has (docs/architecture.md, "Snapshots without fork"). The same file serves replica full resync (sent in
 * chunks) and restarts, and moves data between ReplCache and a real Redis.
 *
 * <ul>
 *   <li>{@link dev.replcache.keyspace.rdb.RdbWriter} streams a
 *       {@link dev.replcache.keyspace.KeyspaceSnapshot} (or any entries) to an
 *       {@link java.io.OutputStream}: strings and hashes, absolute millisecond expiries, the
 *       replication id and offset as aux fields, a CRC64 trailer.</li>
 *   <li>{@link dev.replcache.keyspace.rdb.RdbReader} reads RDB 1..10 from an
 *       {@link java.io.InputStream}, including what only a real Redis writes (LZF strings,
 *       listpack, ziplist and zipmap hashes), and refuses everything else by name with an
 *       {@link dev.replcache.keyspace.rdb.RdbFormatException}, within
 *       {@link dev.replcache.keyspace.rdb.RdbLimits}.</li>
 *   <li>{@link dev.replcache.keyspace.rdb.Crc64} and {@link dev.replcache.keyspace.rdb.Lzf}
 *       are Redis's checksum and decompressor.</li>
 * </ul>
 *
 * <p>Plain Java: no clock, no threads, no Spring or gRPC.
 */
package dev.replcache.keyspace.rdb;
