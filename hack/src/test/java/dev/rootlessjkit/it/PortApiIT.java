package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The control API of a running instance through the real clients: Debian's {@code rootlessctl} (RootlessKit 1.1.0,
 * unchanged) and our {@code ./rootlessjctl}, run as the user, against {@code $STATE/api.sock}. Both clients must
 * print the same for the same calls, since they read the same answers.
 */
class PortApiIT {

    private static final String PAGE = "served through a port added by the API\n";
    private static final String ROOTLESSCTL = "rootlessctl";

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    @Test
    void realClientsShowInfoAndAddAndRemovePorts() throws IOException {
        final int[] ports = Ports.freeTcpPorts(2);
        final int web = ports[0];
        final int echo = ports[1];
        try (PortInstance instance = withServers()) {
            final long childPid = Running.readPid(instance.stateDir().resolve("child_pid")).orElseThrow();

            final Result info = same(instance, "info");
            final List<String> infoLines = info.stdout().lines().toList();
            for (final String line : List.of("- REST API version: 1.1.1", "- State Directory: " + instance.stateDir(),
                    "- Child PID: " + childPid, "- Network Driver: none", "- Port Driver: builtin",
                    "  - Supported protocols: [tcp tcp4 tcp6 udp udp4 udp6]")) {
                assertTrue(infoLines.contains(line), () -> "info lacks \"" + line + "\"\n" + info.describe());
            }
            assertEquals(List.of("ID PROTO PARENTIP PARENTPORT CHILDIP CHILDPORT"),
                    same(instance, "list-ports").stdoutLines());

            assertEquals(List.of("1"), ok(instance.ctl(ROOTLESSCTL, "add-ports", "127.0.0.1:" + web + ":80/tcp"))
                    .stdoutLines());
            assertEquals(List.of("2"), ok(instance.ctl(PortInstance.rootlessjctl(), "add-ports",
                    "127.0.0.1:" + echo + ":7000/tcp")).stdoutLines());
            Ports.assertServes(PAGE, Ports.V4, web, instance::describe);
            final Result table = same(instance, "list-ports");
            assertEquals(Set.of("ID PROTO PARENTIP PARENTPORT CHILDIP CHILDPORT", "1 tcp 127.0.0.1 " + web + " 80",
                    "2 tcp 127.0.0.1 " + echo + " 7000"), Set.copyOf(table.stdoutLines()), table::describe);
            final Result json = ok(instance.ctl(ROOTLESSCTL, "list-ports", "--json"));
            assertEquals(Set.of(
                    "{\"id\":1,\"spec\":{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":" + web
                            + ",\"childPort\":80}}",
                    "{\"id\":2,\"spec\":{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":" + echo
                            + ",\"childPort\":7000}}"), Set.copyOf(json.stdoutLines()), json::describe);
            // Ours: the same lines, each with the port's counters after RootlessKit's fields.
            final Result ours = ok(instance.ctl(PortInstance.rootlessjctl(), "list-ports", "--json"));
            assertEquals(json.stdoutLines(), ours.stdoutLines().stream().map(PortApiIT::withoutCounters).toList(),
                    ours::describe);

            assertEquals(List.of("2"), ok(instance.ctl(PortInstance.rootlessjctl(), "remove-ports", "2"))
                    .stdoutLines());
            Ports.assertRefused(Ports.V4, echo, instance::describe);

            // IDs are never reused: the same spec again gets a new one.
            assertEquals(List.of("3"), ok(instance.ctl(ROOTLESSCTL, "add-ports", "127.0.0.1:" + echo + ":7000/tcp"))
                    .stdoutLines());
            final byte[] again = "again\n".getBytes(StandardCharsets.US_ASCII);
            assertArrayEquals(again, Ports.exchange(Ports.V4, echo, again), instance::describe);
            assertEquals(List.of("1"), ok(instance.ctl(ROOTLESSCTL, "remove-ports", "1")).stdoutLines());
            Ports.assertRefused(Ports.V4, web, instance::describe);

            final Result stopped = instance.stop();
            Ports.assertRefused(Ports.V4, echo, stopped::describe);
        }
    }

    @Test
    void concurrentAddPortsAllSucceedWithDistinctIds() throws IOException {
        final int[] ports = Ports.freeTcpPorts(8);
        try (PortInstance instance = withServers()) {
            // Every client waits for the same file, so the requests reach the server together.
            final Path go = sandbox.workspace().path().resolve("go");
            final List<Running> clients = new ArrayList<>();
            for (final int port : ports) {
                clients.add(sandbox.rootless().program(List.of("sh", "-c",
                        "while [ ! -e \"$0\" ]; do sleep 0.01; done; exec \"$@\"", go.toString(),
                        ROOTLESSCTL, "--socket", instance.apiSocket().toString(),
                        "add-ports", "127.0.0.1:" + port + ":80/tcp")).start());
            }
            Files.createFile(go);
            final Set<Integer> ids = new TreeSet<>();
            for (final Running client : clients) {
                final Result added = ok(client.waitFor());
                assertEquals(1, added.stdoutLines().size(), added::describe);
                ids.add(Integer.parseInt(added.stdoutLines().get(0)));
            }

            assertEquals(IntStream.rangeClosed(1, ports.length).boxed().collect(Collectors.toSet()), ids,
                    () -> "IDs given to " + ports.length + " concurrent add-ports\n" + instance.describe());
            final Result json = ok(instance.ctl(ROOTLESSCTL, "list-ports", "--json"));
            assertEquals(ports.length, json.stdoutLines().size(), json::describe);
            for (final int port : ports) {
                Expect.contains("\"parentPort\":" + port + ",", json.stdout(), json);
                Ports.assertServes(PAGE, Ports.V4, port, instance::describe);
            }

            final Result stopped = instance.stop();
            for (final int port : ports) {
                Ports.assertRefused(Ports.V4, port, stopped::describe);
            }
        }
    }

    @Test
    void clientErrorsAreOneLineTheSameFromBothClientsAndHarmless() {
        final int[] ports = Ports.freeTcpPorts(2);
        final int taken = ports[0];
        final int free = ports[1];
        try (PortInstance instance = withServers()) {
            assertEquals(List.of("1"), ok(instance.ctl(ROOTLESSCTL, "add-ports", "127.0.0.1:" + taken + ":80/tcp"))
                    .stdoutLines());

            error(instance, "error: conflict with ID 1", "add-ports", "127.0.0.1:" + taken + ":81/tcp");
            error(instance, "error: unexpected ParentIP in PortSpec string: \"localhost:" + free + ":80/tcp\"",
                    "add-ports", "localhost:" + free + ":80/tcp");
            error(instance, "error: missing proto in PortSpec string: \"127.0.0.1:" + free + ":80\"",
                    "add-ports", "127.0.0.1:" + free + ":80");
            error(instance, "ParentPort", "add-ports", "127.0.0.1:0:80/tcp");
            error(instance, "error: no port specified", "add-ports");
            error(instance, "error: unknown id: 999", "remove-ports", "999");
            error(instance, "error: strconv.Atoi: parsing \"abc\": invalid syntax", "remove-ports", "abc");
            final int start = Ports.unprivilegedPortStart();
            if (start > 1) {
                final int privileged = start > 80 ? 80 : start - 1;
                error(instance, "error: cannot expose privileged port " + privileged + ", you can add "
                        + "'net.ipv4.ip_unprivileged_port_start=" + privileged + "' to /etc/sysctl.conf (currently "
                        + start + ")", "add-ports", "127.0.0.1:" + privileged + ":80/tcp");
            }

            // None of that disturbed the port that was there, nor added one.
            final Result table = same(instance, "list-ports");
            assertEquals(List.of("ID PROTO PARENTIP PARENTPORT CHILDIP CHILDPORT", "1 tcp 127.0.0.1 " + taken + " 80"),
                    table.stdoutLines(), table::describe);
            Ports.assertServes(PAGE, Ports.V4, taken, instance::describe);
            Ports.assertRefused(Ports.V4, free, instance::describe);

            instance.stop();
        }
    }

    @Test
    void apiSocketIsPrivateToItsOwner() throws IOException {
        try (PortInstance instance = withServers()) {
            final Path socket = instance.apiSocket();
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)),
                    instance::describe);
            assertEquals(sandbox.workspace().owner().uid(), Files.getAttribute(socket, "unix:uid"),
                    instance::describe);

            // Open the way to the socket, so that only the socket's own mode stands between another user and it.
            final Workspace workspace = sandbox.workspace();
            workspace.ownerShell("chmod 711 . tmp " + Shell.quote(instance.stateDir().toString()));
            final List<String> other = new ArrayList<>(Host.asUser(TestUser.withoutSubIds()));
            other.addAll(List.of("sh", "-c", "test -S \"$0\" || { echo cannot see the socket >&2; exit 9; };"
                    + " exec rootlessctl --socket \"$0\" list-ports", socket.toString()));
            final Result stranger = Exec.run(other, Invocation.DEFAULT_TIMEOUT);

            Expect.exitCode(1, stranger);
            Expect.contains("permission denied", stranger.stderr(), stranger);
            ok(instance.ctl(ROOTLESSCTL, "list-ports"));

            instance.stop();
        }
    }

    /**
     * Real traffic through published ports, then {@code rootlessjctl list-ports --json}: every connection, byte and
     * datagram counted, a dial nobody answers inside counted as refused; the real rootlessctl prints the same lines
     * without the counters, and {@code info --json} has the driver's total.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"--net=none --port-driver=builtin",
        "--net=usernet --port-driver=usernet --disable-host-loopback"})
    void listPortsJsonCountsRealTraffic(String drivers) throws IOException {
        final int[] tcp = Ports.freeTcpPorts(2);
        final int echo = tcp[0];
        final int closed = tcp[1];
        final int udp = Ports.freeUdpPort();
        try (PortInstance instance = PortInstance.with(sandbox).drivers(drivers.split(" "))
                .tcpServer(7000, "socat -t 30 TCP-LISTEN:7000,fork,reuseaddr PIPE")
                .udpServer(7002, "socat UDP-LISTEN:7002,reuseaddr PIPE")
                .publish("127.0.0.1:" + echo + ":7000/tcp").publish("127.0.0.1:" + closed + ":7001/tcp")
                .publish("127.0.0.1:" + udp + ":7002/udp").start()) {
            final int connections = 3;
            final byte[] request = new byte[100_000];
            Arrays.fill(request, (byte) 'r');
            for (int i = 0; i < connections; i++) {
                // The whole echo is read before the client closes: usernet leaves a connection whose client
                // half-closes right after its data unanswered now and then, with or without the counters.
                try (Socket client = Ports.connect(Ports.V4, echo)) {
                    client.getOutputStream().write(request);
                    assertArrayEquals(request, client.getInputStream().readNBytes(request.length), instance::describe);
                }
            }
            try (Socket refused = Ports.connect(Ports.V4, closed)) {
                Ports.assertClosedByPeer(refused, instance::describe);
            }
            final int datagrams = 5;
            try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(Ports.V4, 0))) {
                client.setSoTimeout(10_000);
                for (int i = 0; i < datagrams; i++) {
                    client.send(new DatagramPacket(new byte[200], 200, new InetSocketAddress(Ports.V4, udp)));
                    final DatagramPacket back = new DatagramPacket(new byte[1000], 1000);
                    client.receive(back);
                    assertEquals(200, back.getLength(), instance::describe);
                }
            }

            final long bytes = (long) connections * request.length;
            final String echoCounters = "{\"tcp\":{\"accepted\":3,\"active\":0,\"failed\":0,\"failures\":{\"refused\":0,"
                    + "\"timeout\":0,\"unreachable\":0,\"limit\":0,\"other\":0},\"bytesToChild\":" + bytes
                    + ",\"bytesFromChild\":" + bytes + "}}";
            final String refusedCounters = "{\"tcp\":{\"accepted\":1,\"active\":0,\"failed\":1,\"failures\":{"
                    + "\"refused\":1,\"timeout\":0,\"unreachable\":0,\"limit\":0,\"other\":0},\"bytesToChild\":0,"
                    + "\"bytesFromChild\":0}}";
            final String udpCounters = "{\"udp\":{\"flows\":1,\"datagramsToChild\":5,\"bytesToChild\":1000,"
                    + "\"datagramsFromChild\":5,\"bytesFromChild\":1000,\"dropped\":0,\"drops\":{\"queueFull\":0,"
                    + "\"flowTableFull\":0,\"failed\":0}}}";
            final List<String> expected = List.of(
                    "{\"id\":1,\"spec\":{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":" + echo
                            + ",\"childPort\":7000},\"counters\":" + echoCounters + "}",
                    "{\"id\":2,\"spec\":{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":" + closed
                            + ",\"childPort\":7001},\"counters\":" + refusedCounters + "}",
                    "{\"id\":3,\"spec\":{\"proto\":\"udp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":" + udp
                            + ",\"childPort\":7002},\"counters\":" + udpCounters + "}");
            // A connection's end reaches the counters when the relay has closed both sides, a moment after the
            // client saw it: asked again until they agree, or for 10 s.
            Result listed = ok(instance.ctl(PortInstance.rootlessjctl(), "list-ports", "--json"));
            for (int i = 0; i < 50 && !expected.equals(listed.stdoutLines()); i++) {
                sleep(200);
                listed = ok(instance.ctl(PortInstance.rootlessjctl(), "list-ports", "--json"));
            }
            assertEquals(expected, listed.stdoutLines(), listed::describe);
            assertEquals(expected.stream().map(PortApiIT::withoutCounters).toList(),
                    ok(instance.ctl(ROOTLESSCTL, "list-ports", "--json")).stdoutLines());

            final Result info = ok(instance.ctl(PortInstance.rootlessjctl(), "info", "--json"));
            final JsonNode total = new ObjectMapper().readTree(info.stdout()).path("portCounters");
            assertEquals(3 + 1, total.path("tcp").path("accepted").asLong(), info::describe);
            assertEquals(1, total.path("tcp").path("failures").path("refused").asLong(), info::describe);
            assertEquals(bytes, total.path("tcp").path("bytesFromChild").asLong(), info::describe);
            assertEquals(datagrams, total.path("udp").path("datagramsToChild").asLong(), info::describe);

            instance.stop();
        }
    }

    /** A line of rootlessjctl list-ports --json as rootlessctl prints it: without our counters, the last field. */
    private static String withoutCounters(String line) {
        final int counters = line.indexOf(",\"counters\":");
        return counters < 0 ? line : line.substring(0, counters) + "}";
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** httpd on 80 and a TCP echo on 7000 inside, nothing published: the tests publish through the API. */
    private PortInstance withServers() {
        final Workspace workspace = sandbox.workspace();
        workspace.ownerShell("mkdir -p www && printf %s " + Shell.quote(PAGE) + " > www/index.html");
        return PortInstance.with(sandbox)
                .tcpServer(80, "busybox httpd -f -p 80 -h " + Shell.quote(workspace.path().resolve("www").toString()))
                .tcpServer(7000, "socat -t 30 TCP-LISTEN:7000,fork,reuseaddr PIPE")
                .start();
    }

    /** The same call through both clients: both succeed and print the same; returns rootlessctl's result. */
    private Result same(PortInstance instance, String... args) {
        final Result real = ok(instance.ctl(ROOTLESSCTL, args));
        final Result ours = ok(instance.ctl(PortInstance.rootlessjctl(), args));
        assertEquals(real.stdout(), ours.stdout(), () -> "rootlessjctl differs from rootlessctl\n" + real.describe()
                + "\n" + ours.describe());
        return real;
    }

    /** The same failing call through both clients: exit 1, one line on stderr, the same line from both. */
    private void error(PortInstance instance, String expected, String... args) {
        final Result real = instance.ctl(ROOTLESSCTL, args);
        final Result ours = instance.ctl(PortInstance.rootlessjctl(), args);
        for (final Result result : List.of(real, ours)) {
            Expect.oneLineError(result);
            assertEquals("", result.stdout(), result::describe);
            Expect.contains(expected, result.stderr(), result);
        }
        assertEquals(real.stderr(), ours.stderr(), () -> "rootlessjctl's error differs from rootlessctl's\n"
                + real.describe() + "\n" + ours.describe());
    }

    private static Result ok(Result result) {
        Expect.exitCode(0, result);
        return result;
    }
}
