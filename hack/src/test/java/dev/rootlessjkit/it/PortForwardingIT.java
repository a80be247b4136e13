package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Ports published with {@code -p} through the builtin driver, as a user runs it: {@code --net=none} (the child
 * connects to 127.0.0.1 inside its own namespace), real servers inside (busybox httpd, socat), real clients on the
 * host (curl, Java sockets). Every run ends with SIGTERM and must leave no state dir and no listener behind.
 */
class PortForwardingIT {

    private static final String PAGE = "hello from inside the namespace\n";
    private static final int MIB = 1024 * 1024;

    @RegisterExtension
    final Sandbox sandbox = new Sandbox();

    @Test
    void publishedPortServesThePageAndIsListedBeforeTheCommandRuns() throws IOException {
        final int[] ports = Ports.freeTcpPorts(2);
        final int port = ports[0];
        final int nothingInside = ports[1];
        final String www = website();
        // The command's very first act: list the ports through the API. -p ports must already be there.
        try (PortInstance instance = PortInstance.with(sandbox)
                .publish("127.0.0.1:" + port + ":80/tcp")
                .publish("127.0.0.1:" + nothingInside + ":81/tcp")
                .first(Shell.quote(PortInstance.rootlessjctl()) + " list-ports; echo list-ports-exit=$?")
                .tcpServer(80, "busybox httpd -f -p 80 -h " + Shell.quote(www))
                .start()) {

            Ports.assertServes(PAGE, Ports.V4, port, instance::describe);
            // Nothing listens on 81 inside: the host side accepts, then closes the connection, it must not hang.
            try (Socket socket = Ports.connect(Ports.V4, nothingInside)) {
                Ports.assertClosedByPeer(socket, instance::describe);
            }

            final Result result = instance.stop();
            assertEquals("0", result.keyValues().get("list-ports-exit"), result::describe);
            assertTrue(result.stdoutLines().contains("1 tcp 127.0.0.1 " + port + " 80"),
                    () -> "port 1 not listed by the command itself\n" + result.describe());
            assertTrue(result.stdoutLines().contains("2 tcp 127.0.0.1 " + nothingInside + " 81"),
                    () -> "port 2 not listed by the command itself\n" + result.describe());
        }
    }

    @Test
    void ipv6AndDualStackListeners() throws IOException {
        final int[] ports = Ports.freeTcpPorts(3);
        final int v6 = ports[0];
        final int dual = ports[1];
        final int v4 = ports[2];
        final String www = website();
        if (!Ports.hasIpv6Loopback()) {
            // No ::1 on this host: publishing on it must fail clearly rather than pretend.
            final Result result = sandbox.rootless().launch("--net=none", "--port-driver=builtin",
                    "-p", "[::1]:" + v6 + ":80/tcp6", "true").run();
            Expect.oneLineError(result);
            Expect.contains("[::1]:" + v6, result.stderr(), result);
            return;
        }
        try (PortInstance instance = PortInstance.with(sandbox)
                .publish("[::1]:" + v6 + ":80/tcp6")
                .publish("0.0.0.0:" + dual + ":80/tcp")
                .publish("0.0.0.0:" + v4 + ":80/tcp4")
                .tcpServer(80, "busybox httpd -f -p 80 -h " + Shell.quote(www))
                .start()) {

            Ports.assertServes(PAGE, Ports.V6, v6, instance::describe);
            Ports.assertRefused(Ports.V4, v6, instance::describe);
            Ports.assertServes(PAGE, Ports.V4, dual, instance::describe);
            Ports.assertServes(PAGE, Ports.V6, dual, instance::describe);
            Ports.assertServes(PAGE, Ports.V4, v4, instance::describe);
            Ports.assertRefused(Ports.V6, v4, instance::describe);

            instance.stop();
        }
    }

    @Test
    void largeTransfersKeepEveryByteInBothDirections() throws IOException {
        final int[] ports = Ports.freeTcpPorts(2);
        final int upload = ports[0];
        final int download = ports[1];
        final Path file = sandbox.workspace().path().resolve("download.bin");
        final String fileHash = writeRandomFile(file, 64 * MIB);
        try (PortInstance instance = PortInstance.with(sandbox)
                .publish("127.0.0.1:" + upload + ":9000/tcp")
                .publish("127.0.0.1:" + download + ":9001/tcp")
                .tcpServer(9000, "socat -t 30 TCP-LISTEN:9000,fork,reuseaddr SYSTEM:sha256sum")
                .tcpServer(9001, "socat -t 30 TCP-LISTEN:9001,fork,reuseaddr SYSTEM:'cat " + file + "'")
                .start()) {

            final String sentHash;
            final String hashInside;
            try (Socket socket = Ports.connect(Ports.V4, upload)) {
                sentHash = sendRandom(socket.getOutputStream(), 64 * MIB, 7);
                socket.shutdownOutput();
                hashInside = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            }
            assertEquals(sentHash + "  -", hashInside.strip(), () -> "the server inside hashed other bytes\n"
                    + instance.describe());

            try (Socket socket = Ports.connect(Ports.V4, download)) {
                final long[] size = new long[1];
                final String receivedHash = sha256(socket.getInputStream(), size);
                assertEquals(64L * MIB, size[0], instance::describe);
                assertEquals(fileHash, receivedHash, () -> "the file arrived changed\n" + instance.describe());
            }

            instance.stop();
        }
    }

    @Test
    void halfCloseLetsTheServerReplyAfterItSeesEndOfFile() throws IOException {
        final int port = Ports.freeTcpPort();
        // wc can only answer once it has read end-of-file, and the reply follows after the client stopped sending.
        try (PortInstance instance = PortInstance.with(sandbox)
                .publish("127.0.0.1:" + port + ":9002/tcp")
                .tcpServer(9002, "socat -t 30 TCP-LISTEN:9002,fork,reuseaddr SYSTEM:'wc -c; seq 1 20000'")
                .start()) {
            final byte[] request = new byte[100_000];
            new Random(3).nextBytes(request);

            final String reply = new String(Ports.exchange(Ports.V4, port, request), StandardCharsets.UTF_8);

            final List<String> lines = List.of(reply.split("\n"));
            assertEquals("100000", lines.get(0).strip(), () -> "server's count\n" + instance.describe());
            assertEquals(IntStream.rangeClosed(1, 20000).mapToObj(Integer::toString).toList(),
                    lines.subList(1, lines.size()), () -> "reply after the half-close is incomplete\n"
                            + instance.describe());

            instance.stop();
        }
    }

    @Test
    void thousandShortConnectionsLeaveNoFdOrThreadBehind() throws IOException {
        final int port = Ports.freeTcpPort();
        try (PortInstance instance = PortInstance.with(sandbox)
                .publish("127.0.0.1:" + port + ":9003/tcp")
                .tcpServer(9003, "socat -t 30 TCP-LISTEN:9003,fork,reuseaddr,backlog=128 PIPE")
                .start()) {
            final long parent = instance.parentPid();
            final long child = Running.readPid(instance.stateDir().resolve("child_pid")).orElseThrow();
            // Warm up first: the event loops and buffer pools open what they need once, on first use.
            echoConnections(port, 0, 50, instance);
            final int parentFds = Ports.fdCount(parent);
            final int parentThreads = Ports.threadCount(parent);
            final int childFds = Ports.fdCount(child);

            echoConnections(port, 50, 1000, instance);

            // Closing is asynchronous on the relay's event loops: give it time, then judge.
            final String counts = "parent fds " + parentFds + ", threads " + parentThreads + ", child fds "
                    + childFds + " before";
            awaitAtMost(() -> Ports.fdCount(parent), parentFds + 3, "parent fds (" + counts + ")", parent);
            awaitAtMost(() -> Ports.threadCount(parent), parentThreads + 2, "parent threads (" + counts + ")",
                    parent);
            awaitAtMost(() -> Ports.fdCount(child), childFds + 3, "child fds (" + counts + ")", child);

            instance.stop();
        }
    }

    static Stream<Arguments> refusedFlagCombinations() {
        final String spec = "127.0.0.1:" + Ports.freeTcpPort() + ":80/tcp";
        return Stream.of(
                Arguments.of(List.of("--net=host", "--port-driver=builtin", "true"),
                        "port driver requires non-host network"),
                Arguments.of(List.of("--net=none", "--port-driver=none", "-p", spec, "true"),
                        "port driver \"none\" does not support publishing ports"),
                Arguments.of(List.of("--net=none", "-p", spec, "true"),
                        "port driver \"none\" does not support publishing ports"),
                Arguments.of(List.of("--net=none", "--port-driver=builtin", "-p", "127.0.0.1:8080:80", "true"),
                        "missing proto in PortSpec string: \"127.0.0.1:8080:80\""),
                Arguments.of(List.of("--net=none", "--port-driver=builtin", "-p", "127.0.0.1:0:80/tcp", "true"),
                        "ParentPort"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedFlagCombinations")
    void refusedFlagCombinationsAreOneLineErrors(List<String> args, String message) {
        final Result result = sandbox.rootless().launch(args.toArray(String[]::new)).run();

        Expect.oneLineError(result);
        Expect.contains(message, result.stderr(), result);
        Expect.emptyDir(sandbox.workspace().tmpdir(), result);
    }

    @Test
    void privilegedHostPortIsRefusedWithTheHint() {
        final int start = Ports.unprivilegedPortStart();
        org.junit.jupiter.api.Assumptions.assumeTrue(start > 1, "net.ipv4.ip_unprivileged_port_start is " + start
                + ": this host has no privileged ports");
        final int port = start > 80 ? 80 : start - 1;

        final Result result = sandbox.rootless().launch("--net=none", "--port-driver=builtin",
                "-p", "127.0.0.1:" + port + ":80/tcp", "true").run();

        Expect.oneLineError(result);
        Expect.contains("failed to expose port 127.0.0.1:" + port + ":80/tcp: cannot expose privileged port " + port
                + ", you can add 'net.ipv4.ip_unprivileged_port_start=" + port + "' to /etc/sysctl.conf (currently "
                + start + ")", result.stderr(), result);
        Expect.emptyDir(sandbox.workspace().tmpdir(), result);
    }

    /** A directory with index.html that the test user (root inside the namespace) can serve. */
    private String website() {
        final Workspace workspace = sandbox.workspace();
        workspace.ownerShell("mkdir -p www && printf %s " + Shell.quote(PAGE) + " > www/index.html");
        return workspace.path().resolve("www").toString();
    }

    /** Connections one after another: each sends its number, half-closes and must get exactly it back. */
    private static void echoConnections(int port, int from, int to, PortInstance instance) throws IOException {
        for (int i = from; i < to; i++) {
            final byte[] request = ("connection " + i + "\n").getBytes(StandardCharsets.US_ASCII);
            final byte[] reply;
            try {
                reply = Ports.exchange(Ports.V4, port, request);
            } catch (IOException e) {
                throw new AssertionError("connection " + i + " failed: " + e + "\n" + instance.describe(), e);
            }
            final int n = i;
            assertArrayEquals(request, reply, () -> "connection " + n + " got another reply\n"
                    + instance.describe());
        }
    }

    private static void awaitAtMost(java.util.function.IntSupplier count, int limit, String what, long pid) {
        final java.time.Instant deadline = java.time.Instant.now().plus(Duration.ofSeconds(20));
        int now = count.getAsInt();
        while (now > limit && java.time.Instant.now().isBefore(deadline)) {
            Host.sleep(Duration.ofMillis(100));
            now = count.getAsInt();
        }
        final int last = now;
        assertTrue(last <= limit, () -> what + ": " + last + " now, at most " + limit + " expected; open fds of "
                + pid + ": " + openFds(pid));
    }

    private static String openFds(long pid) {
        final Path dir = Path.of("/proc/" + pid + "/fd");
        return Workspace.list(dir).stream().map(fd -> {
            try {
                return fd + "->" + Files.readSymbolicLink(dir.resolve(fd));
            } catch (IOException e) {
                return fd + "->?";
            }
        }).collect(Collectors.joining(" "));
    }

    private static String writeRandomFile(Path file, int size) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            return sendRandom(out, size, 11);
        }
    }

    /** Writes {@code size} pseudo-random bytes and returns their SHA-256 in hex. */
    private static String sendRandom(OutputStream out, int size, long seed) throws IOException {
        final MessageDigest digest = sha256();
        final Random random = new Random(seed);
        final byte[] chunk = new byte[MIB];
        for (int sent = 0; sent < size; sent += chunk.length) {
            random.nextBytes(chunk);
            digest.update(chunk);
            out.write(chunk);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static String sha256(InputStream in, long[] size) throws IOException {
        final MessageDigest digest = sha256();
        final byte[] buffer = new byte[256 * 1024];
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
            digest.update(buffer, 0, n);
            size[0] += n;
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }
}
