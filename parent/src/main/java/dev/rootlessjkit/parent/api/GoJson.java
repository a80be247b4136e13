package dev.rootlessjkit.parent.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;

/**
 * Writes JSON byte-for-byte as Go's encoding/json does, so clients that compare output (and people diffing
 * against RootlessKit) see the same text: {@code <>&} and U+2028/U+2029 escaped as Go does (backslash, u, four hex digits), control
 * characters as six-character escapes, and {@code MarshalIndent}'s layout for the indented form.
 */
public final class GoJson {
    private GoJson() {
    }

    public static String compact(JsonNode node) {
        final StringBuilder b = new StringBuilder();
        write(b, node, null, 0);
        return b.toString();
    }

    /** {@code json.MarshalIndent(v, "", indent)}. */
    public static String indented(JsonNode node, String indent) {
        final StringBuilder b = new StringBuilder();
        write(b, node, indent, 0);
        return b.toString();
    }

    private static void write(StringBuilder b, JsonNode node, String indent, int depth) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            b.append("null");
        } else if (node.isTextual()) {
            string(b, node.textValue());
        } else if (node.isNumber() || node.isBoolean()) {
            b.append(node.asText());
        } else if (node.isArray()) {
            if (node.isEmpty()) {
                b.append("[]");
                return;
            }
            b.append('[');
            for (int i = 0; i < node.size(); i++) {
                if (i > 0) {
                    b.append(',');
                }
                newline(b, indent, depth + 1);
                write(b, node.get(i), indent, depth + 1);
            }
            newline(b, indent, depth);
            b.append(']');
        } else {
            if (node.isEmpty()) {
                b.append("{}");
                return;
            }
            b.append('{');
            boolean first = true;
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
                final Map.Entry<String, JsonNode> e = it.next();
                if (!first) {
                    b.append(',');
                }
                first = false;
                newline(b, indent, depth + 1);
                string(b, e.getKey());
                b.append(indent == null ? ":" : ": ");
                write(b, e.getValue(), indent, depth + 1);
            }
            newline(b, indent, depth);
            b.append('}');
        }
    }

    private static void newline(StringBuilder b, String indent, int depth) {
        if (indent != null) {
            b.append('\n');
            b.append(indent.repeat(depth));
        }
    }

    static void string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '<', '>', '&', '\u2028', '\u2029' -> b.append(String.format("\\u%04x", (int) c));
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else if (Character.isSurrogate(c)) {
                        // A valid pair is copied; a lone half is what Go calls invalid UTF-8 and replaces.
                        if (Character.isHighSurrogate(c) && i + 1 < s.length()
                                && Character.isLowSurrogate(s.charAt(i + 1))) {
                            b.append(c).append(s.charAt(++i));
                        } else {
                            b.append("\\ufffd");
                        }
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}
