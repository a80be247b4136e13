package dev.rootlessjkit.parent.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rootlessjkit.net.api.PortCounters;
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
                .addMixIn(PortListing.class, PortListingJson.class)
                .addMixIn(PortCounters.class, PortCountersJson.class)
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

    /** port.Status and our counters after it, omitted when the driver reports none. */
    @JsonPropertyOrder({"id", "spec", "counters"})
    private abstract static class PortListingJson {
        @JsonInclude(JsonInclude.Include.NON_NULL)
        abstract PortCounters counters();
    }

    /** A port's counters have one protocol's; a driver's total has both. */
    @JsonPropertyOrder({"tcp", "udp"})
    private abstract static class PortCountersJson {
        @JsonInclude(JsonInclude.Include.NON_NULL)
        abstract PortCounters.Tcp tcp();

        @JsonInclude(JsonInclude.Include.NON_NULL)
        abstract PortCounters.Udp udp();
    }

    /** api.Info: the driver objects are pointers, omitted when nil; then our port counters, omitted when null. */
    @JsonPropertyOrder({"apiVersion", "version", "stateDir", "childPID", "networkDriver", "portDriver",
        "portCounters"})
    private abstract static class InfoJson {
        @JsonInclude(JsonInclude.Include.NON_NULL)
        abstract NetworkDriverInfo networkDriver();

        @JsonInclude(JsonInclude.Include.NON_NULL)
        abstract PortDriverInfo portDriver();

        @JsonInclude(JsonInclude.Include.NON_NULL)
        abstract PortCounters portCounters();
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

    /**
     * {@code GET /v1/ports}: the ports with their counters where {@code counters} (by ID) has them; null for none,
     * as {@link #statuses}.
     */
    public static List<PortListing> listings(List<PortStatus> list, Map<Integer, PortCounters> counters) {
        return list.isEmpty() ? null
                : list.stream().map(s -> new PortListing(s.id(), s.spec(), counters.get(s.id()))).toList();
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
                                port.path("disallowLoopbackChildIP").asBoolean()),
                readCounters(n.get("portCounters")));
    }

    public static PortStatus readStatus(JsonNode n) {
        final JsonNode s = n.path("spec");
        return new PortStatus(n.path("id").asInt(), new PortSpec(s.path("proto").asText(""),
                s.path("parentIP").asText(""), s.path("parentPort").asInt(), s.path("childIP").asText(""),
                s.path("childPort").asInt()));
    }

    /** {@code GET /v1/ports}'s answer, with the counters where the server sent them (RootlessKit sends none). */
    public static List<PortListing> readListings(JsonNode n) {
        final List<PortListing> list = new ArrayList<>();
        if (n != null && n.isArray()) {
            for (JsonNode e : n) {
                final PortStatus status = readStatus(e);
                list.add(new PortListing(status.id(), status.spec(), readCounters(e.get("counters"))));
            }
        }
        return list;
    }

    /** Our counters object, or null when absent. */
    private static PortCounters readCounters(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        try {
            return MAPPER.treeToValue(n, PortCounters.class);
        } catch (JsonProcessingException e) {
            // A server of another version: its counters are not ours to print.
            return null;
        }
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
