package dev.rootlessjkit.parent.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Jackson set up to write JSON byte-for-byte as Go's encoding/json does, so clients that compare output (and people
 * diffing against RootlessKit) see the same text: {@code <>&} and U+2028/U+2029 escaped as Go does (backslash, u,
 * four lower-case hex digits), control characters other than {@code \n \r \t} likewise, a lone surrogate as the
 * replacement character, and {@code MarshalIndent}'s layout for the indented form.
 * The shapes themselves (names, order, omitempty) are {@link ApiJson}'s.
 */
public final class GoJson {
    private GoJson() {
    }

    /** {@code json.Marshal(v)}. */
    public static String compact(ObjectMapper mapper, Object value) {
        return write(mapper.writer(), value);
    }

    /** {@code json.MarshalIndent(v, "", indent)}. */
    public static String indented(ObjectMapper mapper, Object value, String indent) {
        return write(mapper.writer(new MarshalIndent(indent)), value);
    }

    /** Makes {@code mapper} write strings as Go does; the API's mapper and rootlessjctl's are set up with it. */
    public static ObjectMapper writingAsGo(ObjectMapper mapper) {
        mapper.getFactory().setCharacterEscapes(new GoEscapes());
        return mapper.registerModule(new SimpleModule("go-strings").addSerializer(String.class,
                new ReplacingLoneSurrogates()));
    }

    private static String write(ObjectWriter writer, Object value) {
        try {
            return writer.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            // Only our own records are written, and every one of them serializes.
            throw new UncheckedIOException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    /**
     * Every string we write that could hold a lone surrogate came from a client's JSON ({@code "\\ud800"}), which
     * Go's decoder turns into U+FFFD; so does this, where Jackson would pass the half on as invalid UTF-16.
     */
    private static final class ReplacingLoneSurrogates extends StdSerializer<String> {
        private static final long serialVersionUID = 1L;

        ReplacingLoneSurrogates() {
            super(String.class);
        }

        /** Go's omitempty for strings, which Jackson asks of the serializer. */
        @Override
        public boolean isEmpty(SerializerProvider provider, String value) {
            return value == null || value.isEmpty();
        }

        @Override
        public void serialize(String value, JsonGenerator g, SerializerProvider provider) throws IOException {
            g.writeString(withoutLoneSurrogates(value));
        }
    }

    static String withoutLoneSurrogates(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (!Character.isSurrogate(c)) {
                continue;
            }
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
                continue;
            }
            if (b == null) {
                b = new StringBuilder(s);
            }
            b.setCharAt(i, '\ufffd');
        }
        return b == null ? s : b.toString();
    }

    /** Go's string escaping for what Jackson would write differently or not escape at all. */
    private static final class GoEscapes extends CharacterEscapes {
        private static final long serialVersionUID = 1L;
        private final int[] ascii = standardAsciiEscapesForJSON();

        GoEscapes() {
            for (int c = 0; c < 0x20; c++) {
                ascii[c] = ESCAPE_CUSTOM;
            }
            for (char c : new char[] {'<', '>', '&'}) {
                ascii[c] = ESCAPE_CUSTOM;
            }
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(int c) {
            return switch (c) {
                case '\n' -> new SerializedString("\\n");
                case '\r' -> new SerializedString("\\r");
                case '\t' -> new SerializedString("\\t");
                case '<', '>', '&', 0x2028, 0x2029 -> unicode(c);
                default -> c < 0x20 ? unicode(c) : null;
            };
        }

        private static SerializableString unicode(int c) {
            return new SerializedString(String.format("\\u%04x", c));
        }
    }

    /**
     * MarshalIndent's layout: every member and element on a line of its own, {@code "key": value}, and {@code {}} and
     * {@code []} for empty objects and arrays.
     */
    private static final class MarshalIndent extends DefaultPrettyPrinter {
        private static final long serialVersionUID = 1L;

        MarshalIndent(String indent) {
            super(DEFAULT_SEPARATORS.withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                    .withObjectEmptySeparator("").withArrayEmptySeparator(""));
            final DefaultIndenter lines = new DefaultIndenter(indent, "\n");
            indentObjectsWith(lines);
            indentArraysWith(lines);
        }

        private MarshalIndent(MarshalIndent base) {
            super(base);
        }

        @Override
        public DefaultPrettyPrinter createInstance() {
            return new MarshalIndent(this);
        }
    }
}
