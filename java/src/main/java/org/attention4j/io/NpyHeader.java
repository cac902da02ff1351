package org.attention4j.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed dictionary of a {@code .npy} header: {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}.
 *
 * <p>The header is a Python literal; rather than a general evaluator this is a strict parser for the subset NumPy
 * writes (a flat dict of strings, booleans and tuples of non-negative integers), so that anything else is refused
 * with a message instead of being half-understood.
 */
final class NpyHeader {
    final String descr;
    final boolean fortranOrder;
    final long[] shape;

    private NpyHeader(String descr, boolean fortranOrder, long[] shape) {
        this.descr = descr;
        this.fortranOrder = fortranOrder;
        this.shape = shape;
    }

    /**
     * Parses the header text.
     *
     * @param where the file, for messages
     * @throws NpyFormatException when the text is not the dict NumPy writes
     */
    static NpyHeader parse(String text, String where) throws NpyFormatException {
        Parser p = new Parser(text, where);
        Map<String, Object> dict = p.dict();
        p.skipSpace();
        if (p.pos != text.length()) {
            throw p.error("unexpected text after the header dict");
        }
        for (String key : dict.keySet()) {
            if (!key.equals("descr") && !key.equals("fortran_order") && !key.equals("shape")) {
                throw new NpyFormatException(where + ": header has an unexpected key '" + printable(key)
                        + "' (expected exactly 'descr', 'fortran_order', 'shape')");
            }
        }
        Object descr = require(dict, "descr", where);
        Object fortran = require(dict, "fortran_order", where);
        Object shape = require(dict, "shape", where);
        if (descr instanceof List) {
            throw new NpyFormatException(where + ": structured dtype " + p.slice("descr")
                    + " is not supported; expected float32 ('<f4') or bool ('|b1')");
        }
        if (!(descr instanceof String)) {
            throw new NpyFormatException(where + ": header 'descr' must be a string, got " + p.slice("descr"));
        }
        if (!(fortran instanceof Boolean)) {
            throw new NpyFormatException(where + ": header 'fortran_order' must be True or False, got "
                    + p.slice("fortran_order"));
        }
        if (!(shape instanceof long[])) {
            throw new NpyFormatException(where + ": header 'shape' must be a tuple of integers, got "
                    + p.slice("shape"));
        }
        return new NpyHeader((String) descr, (Boolean) fortran, (long[]) shape);
    }

    private static Object require(Map<String, Object> dict, String key, String where) throws NpyFormatException {
        if (!dict.containsKey(key)) {
            throw new NpyFormatException(where + ": header has no '" + key + "' key (not a .npy header dict)");
        }
        return dict.get(key);
    }

    /**
     * Deepest nesting of tuples and lists accepted. NumPy writes a flat dict (a structured dtype's descr nests a
     * few levels); without a bound, a header of thousands of {@code (} would overflow the parser's stack.
     */
    static final int MAX_DEPTH = 16;

    /**
     * Header text as it may be shown in a message: printable ASCII kept, everything else (control characters, ANSI
     * escapes, NUL, non-ASCII) written as {@code \xNN} or a Java-style unicode escape, so that a hostile file cannot
     * drive the terminal that shows the error.
     */
    static String printable(CharSequence text) {
        StringBuilder b = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x20 && c < 0x7f) {
                b.append(c);
            } else if (c < 0x100) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(String.format("\\u%04x", (int) c));
            }
        }
        return b.toString();
    }

    /** Recursive descent over the literal; values are String, Boolean, long[] (a tuple) or List (a list). */
    private static final class Parser {
        private final String s;
        private final String where;
        private final Map<String, int[]> spans = new LinkedHashMap<>();
        private int pos;
        private int depth;

        Parser(String s, String where) {
            this.s = s;
            this.where = where;
        }

        NpyFormatException error(String what) {
            String shown = s.length() > 200 ? s.substring(0, 200) + "..." : s;
            return new NpyFormatException(where + ": malformed header (" + what + " at character " + pos + "): "
                    + printable(shown.strip()));
        }

        String slice(String key) {
            int[] span = spans.get(key);
            return span == null ? "?" : printable(s.substring(span[0], span[1]));
        }

        void skipSpace() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        char peek() throws NpyFormatException {
            skipSpace();
            if (pos >= s.length()) {
                throw error("unexpected end");
            }
            return s.charAt(pos);
        }

        void expect(char c) throws NpyFormatException {
            if (peek() != c) {
                throw error("expected '" + c + "'");
            }
            pos++;
        }

        Map<String, Object> dict() throws NpyFormatException {
            if (peek() != '{') {
                throw error("header is not a dict: expected '{'");
            }
            pos++;
            Map<String, Object> out = new LinkedHashMap<>();
            while (peek() != '}') {
                if (peek() != '\'' && peek() != '"') {
                    throw error("expected a quoted key");
                }
                String key = string();
                expect(':');
                skipSpace();
                int start = pos;
                Object value = value();
                if (out.put(key, value) != null) {
                    throw error("duplicate key '" + printable(key) + "'");
                }
                spans.put(key, new int[] {start, pos});
                if (peek() == ',') {
                    pos++;
                } else if (peek() != '}') {
                    throw error("expected ',' or '}'");
                }
            }
            pos++;
            return out;
        }

        Object value() throws NpyFormatException {
            char c = peek();
            if (c == '\'' || c == '"') {
                return string();
            }
            if (c == '(' || c == '[') {
                if (++depth > MAX_DEPTH) {
                    throw error("tuples and lists nested more than " + MAX_DEPTH + " deep");
                }
                Object nested = c == '(' ? tuple() : list();
                depth--;
                return nested;
            }
            if (s.startsWith("True", pos)) {
                pos += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("False", pos)) {
                pos += 5;
                return Boolean.FALSE;
            }
            if (c == '-' || isDigit(c)) {
                return integer();
            }
            throw error("unsupported value");
        }

        String string() throws NpyFormatException {
            char quote = peek();
            pos++;
            int end = s.indexOf(quote, pos);
            if (end < 0) {
                throw error("unterminated string");
            }
            String out = s.substring(pos, end);
            if (out.indexOf('\\') >= 0) {
                throw error("escapes in strings are not supported");
            }
            pos = end + 1;
            return out;
        }

        /** A tuple: long[] when every item is an integer (a shape), else a List. */
        Object tuple() throws NpyFormatException {
            expect('(');
            List<Object> items = new ArrayList<>();
            boolean needComma = false;
            while (peek() != ')') {
                if (needComma) {
                    throw error("expected ',' between tuple items");
                }
                items.add(value());
                needComma = true;
                if (peek() == ',') {
                    pos++;
                    needComma = false;
                }
            }
            // Python needs the trailing comma in a 1-tuple; "(3)" is the integer 3, not a shape.
            if (items.size() == 1 && needComma) {
                throw error("'(x)' is not a tuple; a 1-d shape is written '(n,)'");
            }
            pos++;
            long[] out = new long[items.size()];
            for (int i = 0; i < out.length; i++) {
                if (!(items.get(i) instanceof Long)) {
                    return items;
                }
                out[i] = (Long) items.get(i);
            }
            return out;
        }

        List<Object> list() throws NpyFormatException {
            expect('[');
            List<Object> out = new ArrayList<>();
            while (peek() != ']') {
                out.add(value());
                if (peek() == ',') {
                    pos++;
                } else if (peek() != ']') {
                    throw error("expected ',' or ']'");
                }
            }
            pos++;
            return out;
        }

        /** ASCII digits only: Java's isDigit takes other scripts' digits too, which NumPy refuses. */
        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }

        Long integer() throws NpyFormatException {
            skipSpace();
            int start = pos;
            if (pos < s.length() && s.charAt(pos) == '-') {
                pos++;
            }
            int digits = pos;
            while (pos < s.length() && isDigit(s.charAt(pos))) {
                pos++;
            }
            if (pos == digits) {
                throw error("expected an integer");
            }
            // Python 2 era files may write 3L.
            int end = pos;
            if (pos < s.length() && s.charAt(pos) == 'L') {
                pos++;
            }
            String text = s.substring(start, end);
            if (end - digits > 18) {
                throw error("integer " + printable(text) + " is too large");
            }
            return Long.parseLong(text);
        }
    }
}
