package dev.rootlessjkit.port.slirp4netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rootlessjkit.port.PortConflictException;
import dev.rootlessjkit.port.PortDriverException;
import dev.rootlessjkit.port.PortSpec;
import dev.rootlessjkit.port.PortStatus;
import dev.rootlessjkit.port.UnknownPortException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Against a stand-in for slirp4netns' API socket that answers as slirp4netns 1.2.0 does. */
class Slirp4netnsParentPortDriverTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path stateDir;
    private ServerSocketChannel server;
    private Thread serverThread;
    private final Deque<String> replies = new ArrayDeque<>();
    private final List<JsonNode> requests = new ArrayList<>();

    @BeforeEach
    void listen() throws IOException {
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(stateDir.resolve(".s4nn.sock")));
        serverThread = new Thread(this::serve);
        serverThread.setDaemon(true);
        serverThread.start();
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
    }

    private void serve() {
        while (true) {
            try (SocketChannel client = server.accept()) {
                final ByteBuffer buffer = ByteBuffer.allocate(4096);
                client.read(buffer); // slirp4netns reads a request with one read(2), too
                final String request = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
                final String reply;
                synchronized (replies) {
                    requests.add(JSON.readTree(request));
                    reply = replies.isEmpty() ? "{\"return\":{}}" : replies.removeFirst();
                }
                client.write(ByteBuffer.wrap(reply.getBytes(StandardCharsets.UTF_8)));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void reply(String json) {
        synchronized (replies) {
            replies.add(json);
        }
    }

    private JsonNode request(int index) {
        synchronized (replies) {
            return requests.get(index);
        }
    }

    @Test
    void publishesListsAndRemovesThroughTheApi() throws Exception {
        final Slirp4netnsParentPortDriver driver = new Slirp4netnsParentPortDriver(stateDir.resolve(".s4nn.sock"));
        reply("{\"entries\":[]}");
        driver.start(Duration.ofSeconds(1));
        assertEquals("list_hostfwd", request(0).get("execute").textValue());

        reply("{\"return\":{\"id\":7}}");
        final PortSpec spec = new PortSpec("tcp4", "127.0.0.1", 8080, "", 80);
        assertEquals(new PortStatus(7, spec), driver.addPort(spec));
        assertEquals(JSON.readTree("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
                + "\"host_addr\":\"127.0.0.1\",\"host_port\":8080,\"guest_addr\":\"\",\"guest_port\":80}}"), request(1));
        assertEquals(List.of(new PortStatus(7, spec)), driver.listPorts());

        driver.removePort(7);
        assertEquals(JSON.readTree("{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":7}}"), request(2));
        assertEquals(List.of(), driver.listPorts());
    }

    @Test
    void slirp4netnsErrorsAreReportedAsRootlessKitDoes() {
        final Slirp4netnsParentPortDriver driver = new Slirp4netnsParentPortDriver(stateDir.resolve(".s4nn.sock"));
        reply("{\"error\":{\"desc\":\"bad request: add_hostfwd: slirp_add_hostfwd failed\"}}");
        final PortDriverException e = assertThrows(PortDriverException.class,
                () -> driver.addPort(new PortSpec("udp", "0.0.0.0", 5353, "10.0.2.100", 53)));
        assertEquals("reply.Error: map[desc:bad request: add_hostfwd: slirp_add_hostfwd failed]", e.getMessage());
        assertEquals("10.0.2.100", request(0).get("arguments").get("guest_addr").textValue());
        assertEquals(List.of(), driver.listPorts());
    }

    @Test
    void ipv6AndConflictsAreRefusedBeforeAskingSlirp4netns() throws Exception {
        final Slirp4netnsParentPortDriver driver = new Slirp4netnsParentPortDriver(stateDir.resolve(".s4nn.sock"));
        assertEquals("unsupported protocol \"tcp6\"", assertThrows(PortDriverException.class,
                () -> driver.addPort(new PortSpec("tcp6", "::1", 8080, "", 80))).getMessage());
        assertEquals("unsupported IP (v6?): ::1", assertThrows(PortDriverException.class,
                () -> driver.addPort(new PortSpec("tcp", "127.0.0.1", 8080, "::1", 80))).getMessage());
        reply("{\"return\":{\"id\":1}}");
        driver.addPort(new PortSpec("tcp", "127.0.0.1", 8080, "", 80));
        assertThrows(PortConflictException.class, () -> driver.addPort(new PortSpec("tcp", "127.0.0.1", 8080, "", 81)));
        assertThrows(UnknownPortException.class, () -> driver.removePort(99));
        synchronized (replies) {
            assertEquals(1, requests.size());
        }
    }

    @Test
    void aMissingSocketIsAClearError() throws IOException {
        server.close();
        final Slirp4netnsParentPortDriver driver = new Slirp4netnsParentPortDriver(
                stateDir.resolve("elsewhere").resolve(".s4nn.sock"));
        final PortDriverException e = assertThrows(PortDriverException.class, () -> driver.start(Duration.ofSeconds(1)));
        assertEquals(true, e.getMessage().startsWith("slirp4netns API socket "), e.getMessage());
    }

    /** A stuck slirp4netns (here: a socket nobody answers on) is a clear error at the deadline, not a hang. */
    @Test
    @Timeout(30)
    void aSlirp4netnsThatNeverAnswersTimesOut() throws IOException {
        final Path silent = stateDir.resolve("silent.sock");
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listener.bind(UnixDomainSocketAddress.of(silent));
            final Slirp4netnsApi api = new Slirp4netnsApi(silent, Duration.ofSeconds(1));
            final PortDriverException e = assertThrows(PortDriverException.class, api::listHostForwards);
            assertEquals("slirp4netns did not answer list_hostfwd on its API socket " + silent
                    + " within 1 s: is it stuck?", e.getMessage());
        }
    }
}
