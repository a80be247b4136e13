package dev.rootlessjkit.parent.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rootlessjkit.port.PortDriverInfo;
import dev.rootlessjkit.port.PortSpec;
import dev.rootlessjkit.port.PortStatus;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The API's JSON shapes, with RootlessKit's field names, field order and omitempty rules, in both directions
 * (the server writes them, rootlessjctl reads them back).
 */
public final class ApiJson {
    /**
     * Writes the API's records with RootlessKit's names, order and omitempty rules, escaped as Go does
     * ({@link GoJson}); configured once here and never changed, so threads share it as Jackson allows.
     */
    public static final ObjectMapper MAPPER = mapper();

    private ApiJson() {
    }

    private static ObjectMapper mapper() {
        return GoJson.writingAsGo(new ObjectMapper()
                .addMixIn(PortSpec.class, PortSpecJson.class)
                .addMixIn(PortStatus.class, PortStatusJson.class)
                .addMixIn(Info.class, InfoJson.class)
                .addMixIn(NetworkDriverInfo.class, NetworkDriverInfoJson.class)
                .addMixIn(PortDriverInfo.class, PortDriverInfoJson.class));
    }

    /** port.Spec: every field omitempty, in Go's field order. */
    @JsonPropertyOrder({"proto", "parentIP", "parentPort", "childPort", "childIP"})
    private abstract static class PortSpecJson {
        @JsonInclude(JsonInclude.Include.NON_EMPTY)
        abstract String proto();

        @JsonInclude(JsonInclude.Include.NON_EMPTY)
        abstract String parentIP();

        @JsonInclude(JsonInclude.Include.NON_DEFAULT)
        abstract int parentPort();

        @JsonInclude(JsonInclude.Include.NON_DEFAULT)
        abstract int childPort();

        @JsonInclude(JsonInclude.Include.NON_EMPTY)
        abstract String childIP();
    }

    /** port.Status. */
    @JsonPropertyOrder({"id", "spec"})
    private abstract static class PortStatusJson {
    }

    /** api.Info: the driver objects are pointers, omitted when nil. */
    @JsonPropertyOrder({"apiVersion", "version", "stateDir", "childPID", "networkDriver", "portDriver"})
    private abstract static class InfoJson {
        @JsonInclude(JsonInclude.Include.NON_NULL)
        abstract NetworkDriverInfo networkDriver();

        @JsonInclude(JsonInclude.Include.NON_NULL)
        abstract PortDriverInfo portDriver();
    }

    /** api.NetworkDriverInfo: all but the driver omitempty. */
    @JsonPropertyOrder({"driver", "dns", "childIP", "dynamicChildIP"})
    private abstract static class NetworkDriverInfoJson {
        @JsonInclude(JsonInclude.Include.NON_EMPTY)
        abstract List<String> dns();

        @JsonInclude(JsonInclude.Include.NON_EMPTY)
        abstract String childIP();

        @JsonInclude(JsonInclude.Include.NON_DEFAULT)
        abstract boolean dynamicChildIP();
    }

    /** api.PortDriverInfo: the protocols always, the loopback rule only when set. */
    @JsonPropertyOrder({"driver", "protos", "disallowLoopbackChildIP"})
    private abstract static class PortDriverInfoJson {
        @JsonInclude(JsonInclude.Include.NON_DEFAULT)
        abstract boolean disallowLoopbackChildIP();
    }

    /** Go marshals an empty (nil) slice as {@code null}, and clients accept exactly that. */
    public static List<PortStatus> statuses(List<PortStatus> list) {
        return list.isEmpty() ? null : list;
    }

    /** {@code {"message": ...}}, the body of every API error. */
    public static String error(String message) {
        return GoJson.compact(MAPPER, Map.of("message", message));
    }

    public static Info readInfo(JsonNode n) {
        final JsonNode net = n.get("networkDriver");
        final JsonNode port = n.get("portDriver");
        return new Info(n.path("apiVersion").asText(), n.path("version").asText(), n.path("stateDir").asText(),
                n.path("childPID").asInt(),
                net == null || net.isNull() ? null
                        : new NetworkDriverInfo(net.path("driver").asText(), strings(net.get("dns")),
                                net.path("childIP").asText(""), net.path("dynamicChildIP").asBoolean()),
                port == null || port.isNull() ? null
                        : new PortDriverInfo(port.path("driver").asText(), strings(port.get("protos")),
                                port.path("disallowLoopbackChildIP").asBoolean()));
    }

    public static PortStatus readStatus(JsonNode n) {
        final JsonNode s = n.path("spec");
        return new PortStatus(n.path("id").asInt(), new PortSpec(s.path("proto").asText(""),
                s.path("parentIP").asText(""), s.path("parentPort").asInt(), s.path("childIP").asText(""),
                s.path("childPort").asInt()));
    }

    public static List<PortStatus> readStatuses(JsonNode n) {
        final List<PortStatus> list = new ArrayList<>();
        if (n != null && n.isArray()) {
            n.forEach(e -> list.add(readStatus(e)));
        }
        return list;
    }

    /** Parses a body that must be JSON; Jackson's complaint is the message. */
    public static JsonNode parse(ObjectMapper mapper, byte[] body) throws IOException {
        final JsonNode n = mapper.readTree(body);
        if (n == null || n.isMissingNode()) {
            throw new IOException("EOF");
        }
        return n;
    }

    private static List<String> strings(JsonNode n) {
        final List<String> out = new ArrayList<>();
        if (n != null && n.isArray()) {
            n.forEach(e -> out.add(e.asText()));
        }
        return out;
    }
}
