package dev.rootlessjkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The host side of the port forwarding tests: free ports, clients on loopback, and what a closed port looks like.
 * Every socket has a read deadline far above any normal answer, so a lost byte fails the test instead of hanging it.
 */
final class Ports {

    static final InetAddress V4 = address("127.0.0.1");
    static final InetAddress V6 = address("::1");
    /** Long enough for a loaded 2-core machine; only a hang ever reaches it. */
    static final int READ_TIMEOUT_MS = 30_000;

    private Ports() {
    }

    /**
     * Distinct TCP ports free on every address (the wildcard bind is dual-stack where the host has IPv6), all held
     * until every one is chosen so none comes twice.
     */
    static int[] freeTcpPorts(int count) {
        final List<ServerSocket> probes = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                probes.add(new ServerSocket(0));
            }
            return probes.stream().mapToInt(ServerSocket::getLocalPort).toArray();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find " + count + " free TCP ports", e);
        } finally {
            probes.forEach(Ports::closeQuietly);
        }
    }

    static int freeTcpPort() {
        return freeTcpPorts(1)[0];
    }

    static int freeUdpPort() {
        try (DatagramSocket probe = new DatagramSocket(0)) {
            return probe.getLocalPort();
        } catch (SocketException e) {
            throw new UncheckedIOException("cannot find a free UDP port", e);
        }
    }

    /** Whether this machine's loopback has ::1 (containers often run without IPv6). */
    static boolean hasIpv6Loopback() {
        final Path table = Path.of("/proc/net/if_inet6");
        try {
            return Files.exists(table) && Files.readAllLines(table).stream()
                    .anyMatch(line -> line.startsWith("00000000000000000000000000000001 "));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + table, e);
        }
    }

    /** Ports below this need CAP_NET_BIND_SERVICE (a sysctl: read with one buffered read, never at an offset). */
    static int unprivilegedPortStart() {
        final Path sysctl = Path.of("/proc/sys/net/ipv4/ip_unprivileged_port_start");
        try {
            return Integer.parseInt(Files.readAllLines(sysctl).get(0).strip());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + sysctl, e);
        }
    }

    static String url(InetAddress address, int port) {
        final String host = address.getHostAddress();
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + "/";
    }

    /** curl as a user runs it (-g: the brackets of an IPv6 URL are not a glob). */
    static Result curl(InetAddress address, int port) {
        return Exec.run(List.of("curl", "-sS", "-g", "--max-time", "30", url(address, port)), Duration.ofSeconds(40));
    }

    static void assertServes(String expectedBody, InetAddress address, int port, Supplier<String> context) {
        final Result page = curl(address, port);
        assertEquals(0, page.exitCode(), () -> "curl " + url(address, port) + " failed\n" + page.describe() + "\n"
                + context.get());
        assertEquals(expectedBody, page.stdout(), () -> "wrong page from " + url(address, port) + "\n"
                + context.get());
    }

    static Socket connect(InetAddress address, int port) throws IOException {
        final Socket socket = new Socket();
        socket.connect(new InetSocketAddress(address, port), READ_TIMEOUT_MS);
        socket.setSoTimeout(READ_TIMEOUT_MS);
        return socket;
    }

    /** Sends a request, half-closes, and returns everything the server sent until it closed. */
    static byte[] exchange(InetAddress address, int port, byte[] request) throws IOException {
        try (Socket socket = connect(address, port)) {
            socket.getOutputStream().write(request);
            socket.shutdownOutput();
            return socket.getInputStream().readAllBytes();
        }
    }

    /** Nothing listens any more: connecting is refused. */
    static void assertRefused(InetAddress address, int port, Supplier<String> context) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, port), READ_TIMEOUT_MS);
            fail(address.getHostAddress() + " port " + port + " still accepts connections\n" + context.get());
        } catch (ConnectException e) {
            // refused, as expected
        } catch (IOException e) {
            fail("connecting to " + address.getHostAddress() + " port " + port + " failed in an unexpected way: " + e
                    + "\n" + context.get());
        }
    }

    /** The peer closed the connection (EOF or reset) rather than leaving it open; a read deadline means it hung. */
    static void assertClosedByPeer(Socket socket, Supplier<String> context) throws IOException {
        final InputStream in = socket.getInputStream();
        try {
            final int first = in.read();
            if (first >= 0) {
                fail("expected the connection to be closed, got data: " + (char) first
                        + new String(in.readNBytes(Math.max(0, in.available()))) + "\n" + context.get());
            }
        } catch (SocketTimeoutException e) {
            fail("the connection stayed open for " + READ_TIMEOUT_MS / 1000 + " s\n" + context.get());
        } catch (SocketException e) {
            // reset by the peer: closed as well
        }
    }

    static int fdCount(long pid) {
        return Workspace.list(Path.of("/proc/" + pid + "/fd")).size();
    }

    static int threadCount(long pid) {
        return Workspace.list(Path.of("/proc/" + pid + "/task")).size();
    }

    private static void closeQuietly(ServerSocket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close a port probe", e);
        }
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("not an IP literal: " + literal, e);
        }
    }
}
