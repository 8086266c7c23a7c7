package dev.replcache.replication;

import java.util.Locale;
import java.util.random.RandomGenerator;

/**
 * A replication ID: 40 random hex characters naming one history of a master's dataset, as
 * Redis's {@code replid}. {@code (replId, offset)} names one exact version of the data.
 */
public record ReplicationId(String value) {

    /** What a replica with no history sends in PSYNC (Redis's {@code ?}). */
    public static final ReplicationId NONE = new ReplicationId("?");

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    public ReplicationId {
        if (value == null || !(value.equals("?") || isHex40(value))) {
            throw new IllegalArgumentException("a replication id is 40 lowercase hex characters, got '" + value + "'");
        }
    }

    /** A fresh id from the given source of randomness (a SecureRandom in production). */
    public static ReplicationId random(RandomGenerator random) {
        char[] c = new char[40];
        for (int i = 0; i < c.length; i++) {
            c[i] = HEX[random.nextInt(16)];
        }
        return new ReplicationId(new String(c));
    }

    /** Parses a peer's id; null for anything that is not a valid id or {@code ?}. */
    public static ReplicationId parseOrNull(String text) {
        if (text == null) {
            return null;
        }
        String lower = text.toLowerCase(Locale.ROOT);
        return lower.equals("?") || isHex40(lower) ? new ReplicationId(lower) : null;
    }

    public boolean isNone() {
        return value.equals("?");
    }

    private static boolean isHex40(String s) {
        if (s.length() != 40) {
            return false;
        }
        for (int i = 0; i < 40; i++) {
            char ch = s.charAt(i);
            if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return value;
    }
}
