package dev.rootlessjkit.port;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Test;

/** The -p listeners the parent binds before the port driver exists. */
class EarlyListenersTest {
    @Test
    void bindsNothingForADriverThatListensByItselfOrWithoutSpecs() throws PortDriverException {
        try (EarlyListeners none = PortDriverKind.NONE.earlyListeners(PreboundListeners.none())) {
            // Close must cope with never having loaded the socket calls.
        }
        try (EarlyListeners slirp = PortDriverKind.SLIRP4NETNS.earlyListeners(PreboundListeners.none())) {
            final PortSpec spec = new PortSpec("tcp", "127.0.0.1", 8080, "", 80);
            slirp.listen(spec);
            slirp.listen(spec);
            assertEquals(-1, slirp.take(spec));
        }
    }

    @Test
    void listensChecksConflictsAsTheDriverWouldAndClosesWhatNobodyTook() throws Exception {
        final int taken;
        final int left;
        try (ServerSocket a = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                ServerSocket b = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            taken = a.getLocalPort();
            left = b.getLocalPort();
        }
        final PortSpec first = new PortSpec("tcp", "127.0.0.1", taken, "", 80);
        final PortSpec second = new PortSpec("tcp", "127.0.0.1", left, "", 81);
        int fd;
        try (EarlyListeners early = PortDriverKind.BUILTIN.earlyListeners(PreboundListeners.none())) {
            early.listen(first);
            early.listen(second);
            assertThrows(PortConflictException.class,
                    () -> early.listen(new PortSpec("tcp", "127.0.0.1", taken, "", 82)));
            assertThrows(InvalidPortSpecException.class,
                    () -> early.listen(new PortSpec("tcp", "127.0.0.1", 0, "", 82)));
            try (Socket client = new Socket()) {
                client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), left), 5000);
            }
            fd = early.take(first);
            assertTrue(fd >= 0);
            assertEquals(-1, early.take(first));
        }
        assertBindable(left);
        try (ServerSocket stillHeld = new ServerSocket()) {
            assertThrows(IOException.class, () -> stillHeld.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    taken)), "the taken socket is the caller's");
        }
        dev.rootlessjkit.linux.Sockets.load().close(fd);
        assertBindable(taken);
    }

    private static void assertBindable(int port) throws IOException {
        try (ServerSocket again = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            assertEquals(port, again.getLocalPort());
        }
    }
}
