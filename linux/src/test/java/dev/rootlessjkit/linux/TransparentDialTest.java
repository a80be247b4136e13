package dev.rootlessjkit.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.BitSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * IP_TRANSPARENT dials and the policy routing that brings their answers back, in a network namespace of the test's
 * own (each test runs on a thread that unshares one; root needed, as for the whole build): the server sees the
 * source address the dial chose, though no interface has it.
 */
@Timeout(30)
class TransparentDialTest {
    private static final byte[] CLIENT = {10, 9, 8, 7};
    private static final byte[] LOOPBACK = {127, 0, 0, 1};
    private static final int MARK = 100;

    private final Sockets sockets = Sockets.load();
    private final Linux linux = Linux.load();

    @Test
    void serverSeesTheChosenSourceAndTrafficFlowsBothWays() throws Exception {
        final String hostValue = Sysctl.read(Path.of("/proc/sys/net/ipv4/tcp_fwmark_accept"));
        OwnNetworkNamespace.call(() -> {
            routeMarkedAnswersLocally();
            try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getByAddress(LOOPBACK))) {
                final Sockets.Connecting c = sockets.connectTransparent(LOOPBACK, server.getLocalPort(), CLIENT,
                        40123, MARK, "test");
                final int dialled = completed(c);
                try (Socket accepted = server.accept()) {
                    final InetSocketAddress peer = (InetSocketAddress) accepted.getRemoteSocketAddress();
                    assertArrayEquals(CLIENT, peer.getAddress().getAddress());
                    assertEquals(40123, peer.getPort());
                    exchange(accepted, dialled);
                } finally {
                    sockets.close(dialled);
                }
            }
            return null;
        });
        assertEquals(hostValue, Sysctl.read(Path.of("/proc/sys/net/ipv4/tcp_fwmark_accept")),
                "the host's namespace was changed");
    }

    @Test
    void portZeroLetsTheKernelPick() throws Exception {
        OwnNetworkNamespace.call(() -> {
            routeMarkedAnswersLocally();
            try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getByAddress(LOOPBACK))) {
                final Sockets.Connecting c = sockets.connectTransparent(LOOPBACK, server.getLocalPort(), CLIENT, 0,
                        MARK, "test");
                final int dialled = completed(c);
                try (Socket accepted = server.accept()) {
                    assertArrayEquals(CLIENT, accepted.getInetAddress().getAddress());
                    assertTrue(accepted.getPort() > 0);
                } finally {
                    sockets.close(dialled);
                }
            }
            return null;
        });
    }

    @Test
    void policyRoutingIsNotAddedTwice() throws Exception {
        OwnNetworkNamespace.call(() -> {
            routeMarkedAnswersLocally();
            try (PolicyRouting routing = PolicyRouting.open()) {
                final ErrnoException route = assertThrows(ErrnoException.class,
                        () -> routing.addLocalDefaultRoute(false, MARK));
                assertEquals(17, route.errno(), route.getMessage()); // EEXIST
                final ErrnoException rule = assertThrows(ErrnoException.class,
                        () -> routing.addFwmarkRule(false, MARK, MARK, MARK));
                assertEquals(17, rule.errno(), rule.getMessage());
            }
            return null;
        });
    }

    @Test
    void addressesOfTheNamespaceAreLocalOthersAreNot() throws Exception {
        OwnNetworkNamespace.call(() -> {
            // With lo down a namespace binds any address.
            linux.bringUp("lo");
            assertTrue(sockets.isLocalAddress(LOOPBACK));
            assertFalse(sockets.isLocalAddress(CLIENT));
            return null;
        });
    }

    @Test
    void listenersAreFoundWildcardAndDualStackOnesToo() throws Exception {
        OwnNetworkNamespace.call(() -> {
            linux.bringUp("lo");
            try (TcpListeners listeners = TcpListeners.open()) {
                try (ServerSocket v4 = new ServerSocket(0, 5, InetAddress.getByAddress(LOOPBACK))) {
                    assertTrue(listeners.listening(LOOPBACK, v4.getLocalPort()));
                    v4.close();
                    assertFalse(listeners.listening(LOOPBACK, v4.getLocalPort()));
                }
                // The JDK's default listener is [::], dual-stack.
                try (ServerSocket any = new ServerSocket(0)) {
                    assertTrue(listeners.listening(LOOPBACK, any.getLocalPort()));
                    assertTrue(listeners.listening(InetAddress.getByName("::1").getAddress(), any.getLocalPort()));
                }
                // A client's socket is not a listener.
                try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getByAddress(LOOPBACK));
                        Socket client = new Socket(server.getInetAddress(), server.getLocalPort())) {
                    assertFalse(listeners.listening(LOOPBACK, client.getLocalPort()));
                }
            }
            return null;
        });
    }

    @Test
    void mismatchedFamiliesAreRefusedBeforeAnySocket() {
        final SocketCallException e = assertThrows(SocketCallException.class,
                () -> sockets.connectTransparent(LOOPBACK, 80, InetAddress.getByName("fd00::7").getAddress(), 0,
                        MARK, "test"));
        assertTrue(e.getMessage().contains("families differ"), e.getMessage());
    }

    private void routeMarkedAnswersLocally() throws Exception {
        linux.bringUp("lo");
        try (PolicyRouting routing = PolicyRouting.open()) {
            routing.addLocalDefaultRoute(false, MARK);
            routing.addFwmarkRule(false, MARK, MARK, MARK);
        }
        PolicyRouting.acceptSynMarks();
    }

    /** Waits for the dial to complete; returns its fd. */
    private int completed(Sockets.Connecting c) throws Exception {
        if (!c.completed()) {
            final BitSet ready = sockets.awaitWritable(new int[] {c.fd()}, 1, -1, 5000);
            assertTrue(ready.get(0), "the transparent connect did not finish");
        }
        assertEquals(0, sockets.connectResult(c.fd()));
        return c.fd();
    }

    private void exchange(Socket accepted, int dialled) throws Exception {
        final OutputStream out = accepted.getOutputStream();
        out.write("answer".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        assertTrue(linux.awaitReadable(dialled, 5000), "no answer reached the transparent socket");
        final byte[] buf = new byte[16];
        assertEquals("answer", new String(buf, 0, linux.read(dialled, buf, buf.length), StandardCharsets.US_ASCII));
        final byte[] question = "question".getBytes(StandardCharsets.US_ASCII);
        assertEquals(question.length, linux.write(dialled, question, question.length));
        final InputStream in = accepted.getInputStream();
        assertEquals("question", new String(in.readNBytes(8), StandardCharsets.US_ASCII));
    }
}
