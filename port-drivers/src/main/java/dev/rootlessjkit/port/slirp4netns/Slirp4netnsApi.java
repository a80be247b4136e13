package dev.rootlessjkit.port.slirp4netns;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rootlessjkit.port.PortDriverException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Client of slirp4netns' API socket: one connection per request, the JSON request in a single write (slirp4netns
 * reads it with one read(2)), then the reply until slirp4netns shuts the connection down.
 */
final class Slirp4netnsApi {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path socket;

    Slirp4netnsApi(Path socket) {
        this.socket = socket;
    }

    /** {@code add_hostfwd}; returns slirp4netns' id for the forward. */
    int addHostForward(String proto, String hostAddress, int hostPort, String guestAddress, int guestPort)
            throws PortDriverException {
        final ObjectNode arguments = JSON.createObjectNode().put("proto", proto).put("host_addr", hostAddress)
                .put("host_port", hostPort).put("guest_addr", guestAddress).put("guest_port", guestPort);
        final JsonNode result = call("add_hostfwd", arguments).get("return");
        final JsonNode id = result == null ? null : result.get("id");
        if (id == null || !id.isNumber()) {
            throw new PortDriverException("unexpected reply from slirp4netns: " + result);
        }
        return id.intValue();
    }

    /** {@code remove_hostfwd}. */
    void removeHostForward(int id) throws PortDriverException {
        call("remove_hostfwd", JSON.createObjectNode().put("id", id));
    }

    /** {@code list_hostfwd}, whose reply is {@code {"entries":[...]}} (no "return" wrapper): slirp4netns' forwards. */
    JsonNode listHostForwards() throws PortDriverException {
        final JsonNode entries = call("list_hostfwd", null).get("entries");
        if (entries == null || !entries.isArray()) {
            throw new PortDriverException("unexpected reply from slirp4netns to list_hostfwd");
        }
        return entries;
    }

    static byte[] request(String execute, ObjectNode arguments) {
        final ObjectNode request = JSON.createObjectNode().put("execute", execute);
        if (arguments != null) {
            request.set("arguments", arguments);
        }
        return (request + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** The reply as a JSON object; an {@code error} reply as RootlessKit words it. */
    static JsonNode result(String reply) throws PortDriverException {
        final JsonNode root;
        try {
            root = JSON.readTree(reply);
        } catch (IOException e) {
            throw new PortDriverException("unexpected reply from slirp4netns: " + reply.trim(), e);
        }
        if (root == null || !root.isObject()) {
            throw new PortDriverException("unexpected reply from slirp4netns: " + reply.trim());
        }
        final JsonNode error = root.get("error");
        if (error != null && error.size() > 0) {
            throw new PortDriverException("reply.Error: " + goMap(error));
        }
        return root;
    }

    private JsonNode call(String execute, ObjectNode arguments) throws PortDriverException {
        final StringBuilder reply = new StringBuilder();
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            final ByteBuffer out = ByteBuffer.wrap(request(execute, arguments));
            while (out.hasRemaining()) {
                channel.write(out);
            }
            channel.shutdownOutput();
            final ByteArrayOutputStream in = new ByteArrayOutputStream();
            final ByteBuffer buffer = ByteBuffer.allocate(4096);
            while (channel.read(buffer) >= 0) {
                in.write(buffer.array(), 0, buffer.position());
                buffer.clear();
            }
            reply.append(in.toString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new PortDriverException("slirp4netns API socket " + socket + ": " + e.getMessage(), e);
        }
        return result(reply.toString());
    }

    /** Go's {@code %+v} of a map[string]interface{}: {@code map[desc:bad request: ...]}, keys sorted. */
    private static String goMap(JsonNode object) {
        final List<String> keys = new ArrayList<>();
        for (Iterator<String> it = object.fieldNames(); it.hasNext();) {
            keys.add(it.next());
        }
        keys.sort(null);
        final StringBuilder text = new StringBuilder("map[");
        for (String key : keys) {
            final JsonNode value = object.get(key);
            text.append(text.length() > 4 ? " " : "").append(key).append(':')
                    .append(value.isTextual() ? value.textValue() : value.toString());
        }
        return text.append(']').toString();
    }
}
