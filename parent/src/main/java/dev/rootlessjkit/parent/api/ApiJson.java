package dev.rootlessjkit.parent.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rootlessjkit.port.PortDriverInfo;
import dev.rootlessjkit.port.PortSpec;
import dev.rootlessjkit.port.PortStatus;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The API's JSON shapes, with RootlessKit's field names, field order and omitempty rules, in both directions
 * (the server writes them, rootlessjctl reads them back).
 */
public final class ApiJson {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ApiJson() {
    }

    public static ObjectNode spec(PortSpec s) {
        final ObjectNode n = NODES.objectNode();
        putIfNotEmpty(n, "proto", s.proto());
        putIfNotEmpty(n, "parentIP", s.parentIP());
        if (s.parentPort() != 0) {
            n.put("parentPort", s.parentPort());
        }
        if (s.childPort() != 0) {
            n.put("childPort", s.childPort());
        }
        putIfNotEmpty(n, "childIP", s.childIP());
        return n;
    }

    public static ObjectNode status(PortStatus s) {
        final ObjectNode n = NODES.objectNode();
        n.put("id", s.id());
        n.set("spec", spec(s.spec()));
        return n;
    }

    /** Go marshals an empty (nil) slice as {@code null}, and clients accept exactly that. */
    public static JsonNode statuses(List<PortStatus> list) {
        if (list.isEmpty()) {
            return NullNode.instance;
        }
        final ArrayNode a = NODES.arrayNode();
        list.forEach(s -> a.add(status(s)));
        return a;
    }

    public static ObjectNode info(Info info) {
        final ObjectNode n = NODES.objectNode();
        n.put("apiVersion", info.apiVersion());
        n.put("version", info.version());
        n.put("stateDir", info.stateDir());
        n.put("childPID", info.childPID());
        final NetworkDriverInfo net = info.networkDriver();
        if (net != null) {
            final ObjectNode nn = n.putObject("networkDriver");
            nn.put("driver", net.driver());
            if (!net.dns().isEmpty()) {
                final ArrayNode dns = nn.putArray("dns");
                net.dns().forEach(dns::add);
            }
            putIfNotEmpty(nn, "childIP", net.childIP());
            if (net.dynamicChildIP()) {
                nn.put("dynamicChildIP", true);
            }
        }
        final PortDriverInfo port = info.portDriver();
        if (port != null) {
            final ObjectNode pn = n.putObject("portDriver");
            pn.put("driver", port.driver());
            final ArrayNode protos = pn.putArray("protos");
            port.protos().forEach(protos::add);
            if (port.disallowLoopbackChildIP()) {
                pn.put("disallowLoopbackChildIP", true);
            }
        }
        return n;
    }

    /** {@code {"message": ...}}, the body of every API error. */
    public static ObjectNode error(String message) {
        return NODES.objectNode().put("message", message);
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

    private static void putIfNotEmpty(ObjectNode n, String key, String value) {
        if (value != null && !value.isEmpty()) {
            n.put(key, value);
        }
    }
}
