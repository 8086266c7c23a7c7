package dev.replcache.config;

/**
 * Text a client or a peer chose (a replica's id, a host, a header), made safe for one log line or
 * error message: CR, LF and every other control character (and the Unicode line separators) are
 * escaped, so that it cannot forge log lines. {@link #escape(String, int)} also cuts it short.
 */
public final class LogText {

    private LogText() {
    }

    /** The text, at most {@code maxChars} of it (then "..."), escaped. */
    public static String escape(String s, int maxChars) {
        return s != null && s.length() > maxChars ? escape(s.substring(0, maxChars)) + "..." : escape(s);
    }

    public static String escape(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String replacement = switch (c) {
                case '\r' -> "\\r";
                case '\n' -> "\\n";
                case '\t' -> "\\t";
                case '\\' -> "\\\\";
                default -> Character.isISOControl(c) || c == '\u2028' || c == '\u2029'
                        ? String.format("\\u%04x", (int) c) : null;
            };
            if (replacement != null && out == null) {
                out = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (out != null) {
                if (replacement != null) {
                    out.append(replacement);
                } else {
                    out.append(c);
                }
            }
        }
        return out == null ? s : out.toString();
    }
}
