package dev.replcache.transport.grpc;

/**
 * Text a peer chose (a replica's id and announced address), made safe for one log line: CR, LF
 * and every other control character (and the Unicode line separators) are escaped, so that a
 * Hello cannot forge log lines. Callers bound the length before (Hello fields are checked
 * against {@code replcache.replication.max-hello-field-size}).
 */
final class LogText {

    private LogText() {
    }

    static String escape(String s) {
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
