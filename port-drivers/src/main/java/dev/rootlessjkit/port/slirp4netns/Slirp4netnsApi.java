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
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Client of slirp4netns' API socket: one connection per request, the JSON request in a single write (slirp4netns
 * reads it with one read(2)), then the reply until slirp4netns shuts the connection down, all within a deadline.
 */
final class Slirp4netnsApi {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * slirp4netns answers from its event loop at once; one that does not within this is stuck, and an API call
     * (dockerd publishing a port) must fail with a message instead of hanging for ever.
     */
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final Path socket;
    private final Duration timeout;

    Slirp4netnsApi(Path socket) {
        this(socket, TIMEOUT);
    }

    Slirp4netnsApi(Path socket, Duration timeout) {
        this.socket = socket;
        this.timeout = timeout;
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
        final long deadline = System.nanoTime() + timeout.toNanos();
        final ByteArrayOutputStream in = new ByteArrayOutputStream();
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
                Selector selector = Selector.open()) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.configureBlocking(false);
            final ByteBuffer out = ByteBuffer.wrap(request(execute, arguments));
            while (out.hasRemaining()) {
                if (channel.write(out) == 0) {
                    await(channel, selector, SelectionKey.OP_WRITE, deadline, execute);
                }
            }
            channel.shutdownOutput();
            final ByteBuffer buffer = ByteBuffer.allocate(4096);
            int n;
            while ((n = channel.read(buffer)) >= 0) {
                if (n == 0) {
                    await(channel, selector, SelectionKey.OP_READ, deadline, execute);
                    continue;
                }
                in.write(buffer.array(), 0, buffer.position());
                buffer.clear();
            }
        } catch (IOException e) {
            throw new PortDriverException("slirp4netns API socket " + socket + ": " + e.getMessage(), e);
        }
        return result(in.toString(StandardCharsets.UTF_8));
    }

    /** Waits until {@code channel} is ready for {@code op}, or fails at the deadline naming the request. */
    private void await(SocketChannel channel, Selector selector, int op, long deadline, String execute)
            throws IOException, PortDriverException {
        final long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
            throw timedOut(execute);
        }
        final SelectionKey key = channel.keyFor(selector) == null ? channel.register(selector, op)
                : channel.keyFor(selector).interestOps(op);
        if (selector.select(left) == 0 && System.nanoTime() - deadline >= 0) {
            throw timedOut(execute);
        }
        selector.selectedKeys().remove(key);
    }

    private PortDriverException timedOut(String execute) {
        return new PortDriverException("slirp4netns did not answer " + execute + " on its API socket " + socket
                + " within " + timeout.toSeconds() + " s: is it stuck?");
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
