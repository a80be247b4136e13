package dev.rootlessjkit.port;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.linux.Errno;
import dev.rootlessjkit.linux.SocketCallException;
import dev.rootlessjkit.linux.Sockets;
import java.io.IOException;
import java.net.BindException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Sockets the parent binds before the spawn, and the hand-over of their fds to the port driver. */
class PreboundListenersTest {
    private final Sockets sockets = Sockets.load();

    @Test
    void aClientThatComesBeforeTheHandOverWaitsInTheBacklogAndIsAcceptedOnTheTakenFd() throws Exception {
        final int port = freePort();
        final String raw = "127.0.0.1:" + port + ":80/tcp";
        try (PreboundListeners prebound = PreboundListeners.bind(PortDriverKind.BUILTIN, sockets, List.of(raw));
                Socket early = new Socket()) {
            assertEquals(1, prebound.size());
            early.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
            final int fd = prebound.take(PortSpecParser.parse(raw));
            assertTrue(fd > 2, "fd " + fd);
            assertEquals(0, prebound.size());
            try {
                assertThrows(BindException.class, () -> new ServerSocket(port, 1, InetAddress.getLoopbackAddress()),
                        "the taken fd holds the port");
                final int accepted = acceptWithin(fd);
                sockets.close(accepted);
            } finally {
                sockets.close(fd);
            }
            try (ServerSocket again = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                assertEquals(port, again.getLocalPort(), "closing the taken fd lets the port go");
            }
        }
    }

    /** Go's "tcp" on an unspecified address is one dual-stack socket: IPv4 and IPv6 clients both reach it. */
    @Test
    void anUnspecifiedAddressIsDualStack() throws Exception {
        final int port = freePort();
        final String raw = "0.0.0.0:" + port + ":80/tcp";
        try (PreboundListeners prebound = PreboundListeners.bind(PortDriverKind.BUILTIN, sockets, List.of(raw));
                Socket v4 = new Socket();
                Socket v6 = new Socket()) {
            v4.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            v6.connect(new InetSocketAddress("::1", port), 5000);
            final int fd = prebound.take(PortSpecParser.parse(raw));
            assertTrue(fd > 2, "fd " + fd);
            try {
                sockets.close(acceptWithin(fd));
                sockets.close(acceptWithin(fd));
            } finally {
                sockets.close(fd);
            }
        }
    }

    @Test
    void udpIsBoundAndTakenToo() throws Exception {
        final int port;
        try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        final String raw = "127.0.0.1:" + port + ":53/udp";
        try (PreboundListeners prebound = PreboundListeners.bind(PortDriverKind.BUILTIN, sockets, List.of(raw))) {
            final int fd = prebound.take(PortSpecParser.parse(raw));
            assertTrue(fd > 2, "fd " + fd);
            try {
                assertThrows(BindException.class,
                        () -> new DatagramSocket(port, InetAddress.getLoopbackAddress()).close());
            } finally {
                sockets.close(fd);
            }
        }
    }

    /** An IPv6-only wildcard is bound IPV6_V6ONLY, as Go binds "tcp6": an IPv4 listener on the port is no conflict. */
    @Test
    void anIpv6OnlyWildcardIsBoundV6Only() throws Exception {
        final int port = freePort();
        final String raw = ":" + port + ":80/tcp6";
        try (ServerSocket v4 = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"));
                PreboundListeners prebound = PreboundListeners.bind(PortDriverKind.BUILTIN, sockets, List.of(raw));
                Socket v6 = new Socket()) {
            assertEquals(1, prebound.size());
            v6.connect(new InetSocketAddress("::1", port), 5000);
            final int fd = prebound.take(PortSpecParser.parse(raw));
            try {
                sockets.close(acceptWithin(fd));
            } finally {
                sockets.close(fd);
            }
        }
    }

    /**
     * A driver that binds no sockets of the parent's, a port in use and a spec that does not parse: nothing is
     * bound, and EarlyListeners does it or says what is wrong.
     */
    @Test
    void whatItCannotBindIsLeftForLater() throws Exception {
        final int port = freePort();
        final String inUse = "127.0.0.1:" + port + ":81/tcp";
        try (ServerSocket taken = new ServerSocket(port, 1, InetAddress.getLoopbackAddress());
                PreboundListeners prebound = PreboundListeners.bind(PortDriverKind.BUILTIN, sockets,
                        List.of(inUse, "not a spec"));
                PreboundListeners slirp = PreboundListeners.bind(PortDriverKind.SLIRP4NETNS, sockets,
                        List.of("127.0.0.1:" + freePort() + ":80/tcp"))) {
            assertEquals(0, prebound.size());
            assertEquals(0, slirp.size());
            assertEquals(-1, prebound.take(PortSpecParser.parse(inUse)));
        }
    }

    private int acceptWithin(int listener) throws Exception {
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline) {
            try {
                return sockets.accept(listener);
            } catch (SocketCallException e) {
                if (e.errno() != Errno.EAGAIN) {
                    throw e;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("nothing to accept on fd " + listener);
    }

    private static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }
}
