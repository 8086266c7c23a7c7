package dev.replcache.keyspace;

/** The data types a key can hold, named as Redis's TYPE command names them. */
public enum ValueType {
    STRING("string"),
    HASH("hash");

    private final String redisName;

    ValueType(String redisName) {
        this.redisName = redisName;
    }

    public String redisName() {
        return redisName;
    }
}
