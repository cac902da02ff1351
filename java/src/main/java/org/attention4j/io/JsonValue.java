package org.attention4j.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict JSON reader for file headers ({@code .safetensors}): RFC 8259 values as Java objects ({@code Map}
 * with insertion order, {@code List}, {@code String}, {@code Long} for integers that fit, {@code Double} for other
 * numbers, {@code Boolean}, {@link #NULL}). Duplicate object keys, trailing data, nesting deeper than
 * {@link #MAX_DEPTH} and anything outside the grammar are refused with {@link IllegalArgumentException} naming the
 * character position, with non-printable text escaped.
 */
final class JsonValue {
    /** JSON {@code null}, as a value that a {@code Map} can hold. */
    static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };
    /** Deepest nesting of arrays and objects accepted (a header is two levels deep). */
    static final int MAX_DEPTH = 32;

    private final String s;
    private int i;
    private int depth;

    private JsonValue(String s) {
        this.s = s;
    }

    /** Parses one JSON value that makes up the whole text (white space around it allowed). */
    static Object parse(String text) {
        JsonValue p = new JsonValue(text);
        p.space();
        Object v = p.value();
        p.space();
        if (p.i != text.length()) {
            throw p.error("unexpected text after the value");
        }
        return v;
    }

    private Object value() {
        if (i >= s.length()) {
            throw error("unexpected end");
        }
        char c = s.charAt(i);
        switch (c) {
            case '{':
                return object();
            case '[':
                return array();
            case '"':
                return string();
            case 't':
                return literal("true", Boolean.TRUE);
            case 'f':
                return literal("false", Boolean.FALSE);
            case 'n':
                return literal("null", NULL);
            default:
                if (c == '-' || c >= '0' && c <= '9') {
                    return number();
                }
                throw error("unexpected character");
        }
    }

    private Map<String, Object> object() {
        enter();
        i++;
        Map<String, Object> m = new LinkedHashMap<>();
        space();
        if (peek() == '}') {
            i++;
            depth--;
            return m;
        }
        while (true) {
            space();
            if (peek() != '"') {
                throw error("expected a quoted key");
            }
            int at = i;
            String key = string();
            space();
            expect(':');
            space();
            Object v = value();
            if (m.put(key, v) != null) {
                i = at;
                throw error("duplicate key \"" + printable(key) + "\"");
            }
            space();
            char c = next();
            if (c == '}') {
                depth--;
                return m;
            }
            if (c != ',') {
                i--;
                throw error("expected ',' or '}'");
            }
        }
    }

    private List<Object> array() {
        enter();
        i++;
        List<Object> a = new ArrayList<>();
        space();
        if (peek() == ']') {
            i++;
            depth--;
            return a;
        }
        while (true) {
            space();
            a.add(value());
            space();
            char c = next();
            if (c == ']') {
                depth--;
                return a;
            }
            if (c != ',') {
                i--;
                throw error("expected ',' or ']'");
            }
        }
    }

    private String string() {
        i++;   // the opening quote
        StringBuilder b = new StringBuilder();
        while (true) {
            if (i >= s.length()) {
                throw error("unterminated string");
            }
            char c = s.charAt(i++);
            if (c == '"') {
                return b.toString();
            }
            if (c < 0x20) {
                i--;
                throw error("control character in a string");
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case '"': b.append('"'); break;
                case '\\': b.append('\\'); break;
                case '/': b.append('/'); break;
                case 'b': b.append('\b'); break;
                case 'f': b.append('\f'); break;
                case 'n': b.append('\n'); break;
                case 'r': b.append('\r'); break;
                case 't': b.append('\t'); break;
                case 'u':
                    if (i + 4 > s.length()) {
                        throw error("truncated \\u escape");
                    }
                    int cp = 0;
                    for (int k = 0; k < 4; k++) {
                        int d = Character.digit(s.charAt(i + k), 16);
                        if (d < 0 || s.charAt(i + k) > 0x7f) {
                            throw error("bad \\u escape");
                        }
                        cp = cp * 16 + d;
                    }
                    i += 4;
                    b.append((char) cp);
                    break;
                default:
                    i--;
                    throw error("bad escape");
            }
        }
    }

    private Object number() {
        int start = i;
        if (peek() == '-') {
            i++;
        }
        if (peek() == '0') {
            i++;
        } else if (isDigit(peek())) {
            while (isDigit(peek())) {
                i++;
            }
        } else {
            throw error("bad number");
        }
        boolean integer = true;
        if (peek() == '.') {
            integer = false;
            i++;
            if (!isDigit(peek())) {
                throw error("bad number");
            }
            while (isDigit(peek())) {
                i++;
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            integer = false;
            i++;
            if (peek() == '+' || peek() == '-') {
                i++;
            }
            if (!isDigit(peek())) {
                throw error("bad number");
            }
            while (isDigit(peek())) {
                i++;
            }
        }
        String t = s.substring(start, i);
        if (integer) {
            try {
                return Long.parseLong(t);
            } catch (NumberFormatException e) {
                // Out of long's range: kept as a double, which every integer check then refuses.
            }
        }
        return Double.parseDouble(t);
    }

    private Object literal(String word, Object v) {
        if (!s.startsWith(word, i)) {
            throw error("unexpected character");
        }
        i += word.length();
        return v;
    }

    private void enter() {
        if (++depth > MAX_DEPTH) {
            throw error("nested more than " + MAX_DEPTH + " deep");
        }
    }

    private void space() {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            i++;
        }
    }

    private char peek() {
        return i < s.length() ? s.charAt(i) : '\0';
    }

    private char next() {
        if (i >= s.length()) {
            throw error("unexpected end");
        }
        return s.charAt(i++);
    }

    private void expect(char c) {
        if (next() != c) {
            i--;
            throw error("expected '" + c + "'");
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private IllegalArgumentException error(String what) {
        int from = Math.max(0, i - 20);
        int to = Math.min(s.length(), i + 20);
        return new IllegalArgumentException("malformed JSON (" + what + " at character " + i + "): ..."
                + printable(s.substring(from, to)) + "...");
    }

    /** Text with control and non-ASCII characters as {@code \\uXXXX}, safe to print on a terminal. */
    static String printable(String text) {
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < text.length(); k++) {
            char c = text.charAt(k);
            if (c >= 0x20 && c < 0x7f) {
                b.append(c);
            } else {
                b.append(String.format("\\u%04x", (int) c));
            }
        }
        return b.toString();
    }
}
