package dev.rootlessjkit.parent.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.port.PortDriverException;
import dev.rootlessjkit.port.PortSpec;
import dev.rootlessjkit.port.PortStatus;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Replays inventory Appendix A (RootlessKit 1.1.0's REST transcript) against our server and a fake driver. */
@Timeout(30)
class ApiServerTest {
    static final Info INFO = Info.of("1.1.0", "/tmp/rkstate", 8399,
            new NetworkDriverInfo("slirp4netns", List.of("10.0.2.3"), "10.0.2.100", false),
            new FakePortDriver().info());
    private static final String JSON = "application/json";
    private static final String TEXT = "text/plain; charset=utf-8";

    @TempDir
    Path dir;
    private Path socket;
    private ApiServer server;

    @BeforeEach
    void start() throws IOException {
        // A stale file where the socket goes must not stop the server (RootlessKit #30).
        socket = dir.resolve("api.sock");
        Files.writeString(socket, "stale");
        server = ApiServer.start(socket, () -> INFO, new FakePortDriver(), new Log("test", false));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void appendixATranscript() throws IOException {
        expect("GET", "/v1/info", null, 200, JSON, "{\"apiVersion\":\"1.1.1\",\"version\":\"1.1.0\",\"stateDir\":"
                + "\"/tmp/rkstate\",\"childPID\":8399,\"networkDriver\":{\"driver\":\"slirp4netns\",\"dns\":"
                + "[\"10.0.2.3\"],\"childIP\":\"10.0.2.100\"},\"portDriver\":{\"driver\":\"builtin\",\"protos\":"
                + "[\"tcp\",\"tcp4\",\"tcp6\",\"udp\",\"udp4\",\"udp6\"]}}");
        expect("GET", "/v1/ports", null, 200, JSON, "null");
        expect("POST", "/v1/ports", "{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":28080,"
                + "\"childPort\":80}", 201, JSON,
                "{\"id\":1,\"spec\":{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":28080,"
                + "\"childPort\":80}}");
        expect("GET", "/v1/ports", null, 200, JSON, "[{\"id\":1,\"spec\":{\"proto\":\"tcp\",\"parentIP\":"
                + "\"127.0.0.1\",\"parentPort\":28080,\"childPort\":80}}]");
        error("{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":28080,\"childPort\":81}",
                "conflict with ID 1");
        error("{\"proto\":\"tcp\",\"parentPort\":28080,\"childPort\":80}",
                "listen tcp :28080: bind: address already in use");
        error("{\"proto\":\"TCP\",\"parentIP\":\"127.0.0.1\",\"parentPort\":28081,\"childPort\":80}",
                "unknown proto: \\\"TCP\\\"");
        // RootlessKit prints these ports as Go rune literals ('\x00', '𑅰'); we print the number.
        error("{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":0,\"childPort\":80}",
                "invalid ParentPort: 0");
        error("{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":70000,\"childPort\":80}",
                "invalid ParentPort: 70000");
        error("{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":28082,\"childPort\":0}",
                "invalid ChildPort: 0");
        error("{\"proto\":\"tcp\",\"parentIP\":\"notanip\",\"parentPort\":28082,\"childPort\":80}",
                "invalid ParentIP: \\\"notanip\\\"");
        error("{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":28082,\"childIP\":\"bad\","
                + "\"childPort\":80}", "invalid ChildIP: \\\"bad\\\"");
        // RootlessKit 1.1.0 said "spec was not validated?"; later versions say this.
        error("{\"proto\":\"sctp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":28082,\"childPort\":80}",
                "unsupported port protocol sctp");
        final RawHttp.Response notJson = RawHttp.send(socket, "POST", "/v1/ports", "not json");
        assertEquals(400, notJson.status());
        assertTrue(notJson.body().startsWith("{\"message\":\"invalid JSON: "), notJson.body());
        error("{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":\"28082\",\"childPort\":80}",
                "json: cannot unmarshal string into Go struct field Spec.parentPort of type int");
        error("{}", "unknown proto: \\\"\\\"");
        error("{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":80,\"childPort\":80}",
                "cannot expose privileged port 80, you can add 'net.ipv4.ip_unprivileged_port_start=80' to "
                + "/etc/sysctl.conf (currently 1024), or choose a larger port number (\\u003e= 1024): "
                + "listen tcp 127.0.0.1:80: bind: permission denied");
        error("{\"proto\":\"tcp\",\"parentIP\":\"192.0.2.1\",\"parentPort\":28083,\"childPort\":80}",
                "listen tcp 192.0.2.1:28083: bind: cannot assign requested address");
        expect("POST", "/v1/ports", "{\"proto\":\"udp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":28080,"
                + "\"childPort\":80}", 201, JSON, "{\"id\":2,\"spec\":{\"proto\":\"udp\",\"parentIP\":"
                + "\"127.0.0.1\",\"parentPort\":28080,\"childPort\":80}}");
        expect("POST", "/v1/ports", "{\"proto\":\"tcp6\",\"parentIP\":\"::1\",\"parentPort\":28084,\"childIP\":"
                + "\"127.0.0.1\",\"childPort\":80,\"extra\":1}", 201, JSON, "{\"id\":3,\"spec\":{\"proto\":"
                + "\"tcp6\",\"parentIP\":\"::1\",\"parentPort\":28084,\"childPort\":80,\"childIP\":\"127.0.0.1\"}}");
        expectError("DELETE", "/v1/ports/999", null, 400, "unknown id: 999");
        expectError("DELETE", "/v1/ports/abc", null, 400,
                "bad id abc: strconv.Atoi: parsing \\\"abc\\\": invalid syntax");
        expectError("DELETE", "/v1/ports/-1", null, 400, "unknown id: -1");
        expect("DELETE", "/v1/ports/1", null, 200, null, "");
        expectError("DELETE", "/v1/ports/1", null, 400, "unknown id: 1");
        expect("GET", "/v1/ports", null, 200, JSON, "[{\"id\":2,\"spec\":{\"proto\":\"udp\",\"parentIP\":"
                + "\"127.0.0.1\",\"parentPort\":28080,\"childPort\":80}},{\"id\":3,\"spec\":{\"proto\":\"tcp6\","
                + "\"parentIP\":\"::1\",\"parentPort\":28084,\"childPort\":80,\"childIP\":\"127.0.0.1\"}}]");
        expect("PUT", "/v1/ports", null, 405, null, "");
        for (String path : new String[] {"/v1/nonexistent", "/v2/info", "/v1/info/", "/v1/ports/"}) {
            final RawHttp.Response r = expect("GET", path, null, 404, TEXT, "404 page not found\n");
            assertEquals("nosniff", r.header("X-Content-Type-Options"));
        }
        expect("GET", "/v1/ports/2", null, 405, null, "");
        // IDs are never reused.
        expect("POST", "/v1/ports", "{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":28090,"
                + "\"childPort\":80}", 201, JSON, "{\"id\":4,\"spec\":{\"proto\":\"tcp\",\"parentIP\":"
                + "\"127.0.0.1\",\"parentPort\":28090,\"childPort\":80}}");
    }

    @Test
    void badBodiesAreRejectedWithoutTouchingPorts() throws IOException {
        expect("POST", "/v1/ports", "{\"proto\":\"tcp\",\"parentPort\":28080,\"childPort\":80}", 201, JSON,
                "{\"id\":1,\"spec\":{\"proto\":\"tcp\",\"parentPort\":28080,\"childPort\":80}}");
        error("[1,2]", "json: cannot unmarshal array into Go value of type port.Spec");
        error("{\"proto\":1}", "json: cannot unmarshal number into Go struct field Spec.proto of type string");
        error("{\"parentPort\":1.5}", "json: cannot unmarshal number 1.5 into Go struct field Spec.parentPort "
                + "of type int");
        error("{\"parentPort\":true}", "json: cannot unmarshal bool into Go struct field Spec.parentPort of type int");
        error("", "EOF");
        error("{\"proto\":\"tcp\",\"parentPort\":", null);
        // Go matches keys case-insensitively and ignores what follows the first value.
        expect("POST", "/v1/ports", "{\"PROTO\":\"udp\",\"ParentPort\":28081,\"childport\":81} trailing", 201,
                JSON, "{\"id\":2,\"spec\":{\"proto\":\"udp\",\"parentPort\":28081,\"childPort\":81}}");
        final String huge = "{\"proto\":\"" + "x".repeat(ApiServer.MAX_BODY + 10) + "\"}";
        final RawHttp.Response r = RawHttp.send(socket, "POST", "/v1/ports", huge);
        assertEquals(413, r.status());
        assertEquals(TEXT, r.header("Content-Type"));
        final RawHttp.Response garbage = RawHttp.exchange(socket,
                "NOT HTTP AT ALL\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertTrue(garbage.status() >= 400 && garbage.status() < 500, "status " + garbage.status());
        expect("GET", "/v1/ports", null, 200, JSON, "[{\"id\":1,\"spec\":{\"proto\":\"tcp\",\"parentPort\":28080,"
                + "\"childPort\":80}},{\"id\":2,\"spec\":{\"proto\":\"udp\",\"parentPort\":28081,\"childPort\":81}}]");
    }

    @Test
    void socketIsOwnerOnly() throws IOException {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
    }

    @Test
    void withoutPortDriverPortsAreUnavailable() throws IOException {
        server.close();
        server = ApiServer.start(socket, () -> Info.of("0.1.0", "/tmp/x", 1, null, null), null,
                new Log("test", false));
        expect("GET", "/v1/info", null, 200, JSON,
                "{\"apiVersion\":\"1.1.1\",\"version\":\"0.1.0\",\"stateDir\":\"/tmp/x\",\"childPID\":1}");
        expectError("GET", "/v1/ports", null, 400, "no PortDriver is available");
        expectError("POST", "/v1/ports", "{}", 400, "no PortDriver is available");
        expectError("DELETE", "/v1/ports/1", null, 400, "no PortDriver is available");
    }

    @Test
    void concurrentCallsKeepIdsUniqueAndDense() throws Exception {
        final ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            final List<Future<RawHttp.Response>> results = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                final int port = 30000 + i;
                results.add(pool.submit(() -> RawHttp.send(socket, "POST", "/v1/ports",
                        "{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":" + port + ",\"childPort\":80}")));
            }
            final List<Integer> ids = new ArrayList<>();
            for (Future<RawHttp.Response> f : results) {
                final RawHttp.Response r = f.get();
                assertEquals(201, r.status());
                ids.add(Integer.parseInt(r.body().replaceAll("^\\{\"id\":(\\d+),.*$", "$1")));
            }
            ids.sort(null);
            for (int i = 0; i < ids.size(); i++) {
                assertEquals(i + 1, ids.get(i));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void badPercentEscapesAnswer400LikeGo() throws IOException {
        for (String path : new String[] {"/v1/%", "/v1/ports/%zz", "/v1/info%"}) {
            final RawHttp.Response r = RawHttp.send(socket, path.startsWith("/v1/ports/") ? "DELETE" : "GET", path,
                    null);
            assertEquals(400, r.status(), path);
            assertEquals(TEXT, r.header("Content-Type"), path);
            assertEquals("close", r.header("Connection"), path);
            assertEquals("400 Bad Request", r.body(), path);
        }
        expect("GET", "/v1/ports", null, 200, JSON, "null");
    }

    /** A script starting many containers at once connects in bursts; the kernel queue must not overflow. */
    @Test
    void listenBacklogTakesABurstOfNonBlockingConnects() throws Exception {
        final Process ss = new ProcessBuilder("ss", "-xlnH", "src", socket.toString()).redirectErrorStream(true)
                .start();
        final String line = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, ss.waitFor());
        assertEquals(String.valueOf(ApiServer.BACKLOG), line.split("\\s+")[3], line);
        final List<SocketChannel> burst = new ArrayList<>();
        try {
            for (int i = 0; i < 2000; i++) {
                final SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                burst.add(ch);
                ch.configureBlocking(false);
                ch.connect(UnixDomainSocketAddress.of(socket));
            }
        } finally {
            for (SocketChannel ch : burst) {
                ch.close();
            }
        }
        expect("GET", "/v1/ports", null, 200, JSON, "null");
    }

    /**
     * Held-open connections cannot use up the parent's fds (the oldest idle ones are closed beyond the cap) and a
     * slowloris client, one header byte at a time, is cut off at the request deadline; the API keeps answering.
     */
    @Test
    void idleConnectionsAndSlowlorisDoNotHoldTheServer() throws Exception {
        server.close();
        server = ApiServer.start(socket, () -> INFO, new FakePortDriver(), new Log("test", false),
                new ApiServer.Limits(64, Duration.ofSeconds(2)));
        final List<SocketChannel> idle = new ArrayList<>();
        final List<SocketChannel> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 1000; i++) {
                idle.add(connect());
            }
            expect("GET", "/v1/ports", null, 200, JSON, "null");
            final long closedByServer = idle.stream().filter(ApiServerTest::closedByPeer).count();
            assertTrue(closedByServer >= 1000 - 64, closedByServer + " of 1000 idle connections closed");

            for (int i = 0; i < 20; i++) {
                slow.add(connect());
            }
            final byte[] request = "GET /v1/info HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII);
            final long end = System.nanoTime() + Duration.ofSeconds(8).toNanos();
            int sent = 0;
            while (System.nanoTime() < end && slow.stream().anyMatch(ch -> !closedByPeer(ch))) {
                for (SocketChannel ch : slow) {
                    try {
                        ch.write(ByteBuffer.wrap(request, sent % request.length, 1));
                    } catch (IOException closed) {
                        // The server cut it off: what this test waits for.
                    }
                }
                sent++;
                Thread.sleep(100);
            }
            assertEquals(20, slow.stream().filter(ApiServerTest::closedByPeer).count(),
                    "slowloris connections still open after " + sent + " bytes each");
            expect("GET", "/v1/ports", null, 200, JSON, "null");
        } finally {
            for (SocketChannel ch : idle) {
                ch.close();
            }
            for (SocketChannel ch : slow) {
                ch.close();
            }
        }
    }

    /** Adding a port waits for the driver (the child half, a helper): other requests are answered meanwhile. */
    @Test
    void slowDriverCallsDoNotStallOtherRequests() throws Exception {
        final CountDownLatch release = new CountDownLatch(1);
        server.close();
        server = ApiServer.start(socket, () -> INFO, new SlowAddDriver(release), new Log("test", false));
        final ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            final Future<RawHttp.Response> adding = pool.submit(() -> RawHttp.send(socket, "POST", "/v1/ports",
                    "{\"proto\":\"tcp\",\"parentPort\":28080,\"childPort\":80}"));
            final SocketChannel ch = connect();
            ch.write(ByteBuffer.wrap("GET /v1/ports HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII)));
            ch.configureBlocking(false);
            final ByteBuffer buf = ByteBuffer.allocate(4096);
            final long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (buf.position() == 0 && System.nanoTime() < end) {
                ch.read(buf);
                Thread.sleep(10);
            }
            ch.close();
            assertTrue(new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8)
                    .startsWith("HTTP/1.1 200 OK"), "GET /v1/ports not answered while a port was being added");
            release.countDown();
            assertEquals(201, adding.get().status());
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    /** Pipelined requests, one of them waiting for the driver, are answered in order. */
    @Test
    void pipelinedAnswersKeepTheirOrder() throws IOException {
        final String spec = "{\"proto\":\"tcp\",\"parentPort\":28080,\"childPort\":80}";
        final String add = "POST /v1/ports HTTP/1.1\r\nHost: x\r\nContent-Length: " + spec.length() + "\r\n\r\n"
                + spec;
        final String list = "GET /v1/ports HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        final RawHttp.Response last = RawHttp.exchange(socket, (add + list).getBytes(StandardCharsets.US_ASCII));
        // RawHttp splits off the first answer's head; the second answer follows the first's body.
        assertEquals(201, last.status());
        assertTrue(last.body().contains("HTTP/1.1 200 OK"), last.body().replace("\r", "\\r"));
        assertTrue(last.body().endsWith("[{\"id\":1,\"spec\":{\"proto\":\"tcp\",\"parentPort\":28080,"
                + "\"childPort\":80}}]"), last.body().replace("\r", "\\r"));
    }

    private SocketChannel connect() throws IOException {
        final SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        return ch;
    }

    /** Whether the server has closed {@code ch} (reads end of stream), without blocking. */
    private static boolean closedByPeer(SocketChannel ch) {
        try {
            ch.configureBlocking(false);
            return ch.read(ByteBuffer.allocate(1024)) < 0;
        } catch (IOException e) {
            return true;
        }
    }

    /** The fake driver, holding each addition until released (outside its lock, so listing goes on). */
    private static final class SlowAddDriver extends FakePortDriver {
        private final CountDownLatch release;

        SlowAddDriver(CountDownLatch release) {
            this.release = release;
        }

        @Override
        public PortStatus addPort(PortSpec spec) throws PortDriverException {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return super.addPort(spec);
        }
    }

    private RawHttp.Response expect(String method, String path, String body, int status, String contentType,
            String expected) throws IOException {
        final RawHttp.Response r = RawHttp.send(socket, method, path, body);
        assertEquals(status, r.status(), method + " " + path + ": " + r.body());
        assertEquals(contentType, r.header("Content-Type"), method + " " + path);
        assertEquals(String.valueOf(expected.getBytes(StandardCharsets.UTF_8).length), r.header("Content-Length"));
        assertEquals(expected, r.body());
        return r;
    }

    private void expectError(String method, String path, String body, int status, String message)
            throws IOException {
        expect(method, path, body, status, TEXT, "{\"message\":\"" + message + "\"}\n");
    }

    private void error(String body, String message) throws IOException {
        if (message == null) {
            final RawHttp.Response r = RawHttp.send(socket, "POST", "/v1/ports", body);
            assertEquals(400, r.status());
            assertEquals(TEXT, r.header("Content-Type"));
            assertTrue(r.body().startsWith("{\"message\":"), r.body());
            return;
        }
        expectError("POST", "/v1/ports", body, 400, message);
    }
}
