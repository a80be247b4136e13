package dev.rootlessjkit.parent.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rootlessjkit.port.InvalidPortSpecException;
import dev.rootlessjkit.port.PortSpec;
import java.io.IOException;
import java.util.Iterator;
import java.util.Map;

/**
 * Decodes a {@code POST /v1/ports} body the way Go's json.Decoder fills RootlessKit's {@code port.Spec}: only the
 * first JSON value counts, unknown keys are ignored, keys match case-insensitively, {@code null} leaves a field
 * unset, and a wrong type is an error worded as Go words it.
 */
final class SpecDecoder {
    private static final String[] FIELDS = {"proto", "parentIP", "parentPort", "childPort", "childIP"};

    private final ObjectMapper mapper;

    SpecDecoder(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    PortSpec decode(byte[] body) throws InvalidPortSpecException {
        final JsonNode root;
        try {
            root = ApiJson.parse(mapper, body);
        } catch (JsonProcessingException e) {
            throw new InvalidPortSpecException("invalid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidPortSpecException(e.getMessage());
        }
        if (root.isNull()) {
            return new PortSpec("", "", 0, "", 0);
        }
        if (!root.isObject()) {
            throw new InvalidPortSpecException("json: cannot unmarshal " + goType(root)
                    + " into Go value of type port.Spec");
        }
        final String[] strings = {"", "", "", "", ""};
        final long[] ints = new long[5];
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext();) {
            final Map.Entry<String, JsonNode> e = it.next();
            final int field = field(e.getKey());
            final JsonNode v = e.getValue();
            if (field < 0 || v.isNull()) {
                continue;
            }
            final String name = FIELDS[field];
            if (name.endsWith("Port")) {
                if (!v.isNumber()) {
                    throw typeError(goType(v), name, "int");
                }
                if (!v.isIntegralNumber() || !v.canConvertToLong()) {
                    throw typeError("number " + v.asText(), name, "int");
                }
                ints[field] = v.longValue();
            } else {
                if (!v.isTextual()) {
                    throw typeError(goType(v), name, "string");
                }
                strings[field] = v.textValue();
            }
        }
        return new PortSpec(strings[0], strings[1], port(ints[2], "ParentPort"), strings[4],
                port(ints[3], "ChildPort"));
    }

    /** Go prefers an exact key match and falls back to a case-insensitive one. */
    private static int field(String key) {
        for (int i = 0; i < FIELDS.length; i++) {
            if (FIELDS[i].equals(key)) {
                return i;
            }
        }
        for (int i = 0; i < FIELDS.length; i++) {
            if (FIELDS[i].equalsIgnoreCase(key)) {
                return i;
            }
        }
        return -1;
    }

    /** Go's int is 64-bit; a value that does not even fit our int is out of any port range. */
    private static int port(long value, String label) throws InvalidPortSpecException {
        if (value > Integer.MAX_VALUE || value < Integer.MIN_VALUE) {
            throw new InvalidPortSpecException("invalid " + label + ": " + value);
        }
        return (int) value;
    }

    private static InvalidPortSpecException typeError(String what, String field, String type) {
        return new InvalidPortSpecException("json: cannot unmarshal " + what + " into Go struct field Spec." + field
                + " of type " + type);
    }

    private static String goType(JsonNode v) {
        if (v.isTextual()) {
            return "string";
        }
        if (v.isNumber()) {
            return "number";
        }
        if (v.isBoolean()) {
            return "bool";
        }
        return v.isArray() ? "array" : "object";
    }
}
