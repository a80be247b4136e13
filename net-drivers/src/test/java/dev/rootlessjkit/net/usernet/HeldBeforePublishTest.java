package dev.rootlessjkit.net.usernet;

import static dev.rootlessjkit.net.usernet.TestFrames.GATEWAY;
import static dev.rootlessjkit.net.usernet.TestFrames.GUEST;
import static dev.rootlessjkit.net.usernet.TestFrames.GUEST_MAC;
import static dev.rootlessjkit.net.usernet.TestFrames.arpRequest;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.net.usernet.header.Tcp;
import dev.rootlessjkit.net.usernet.tcp.PublishedTcpPort;
import dev.rootlessjkit.net.usernet.udp.PublishedUdpPort;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Published ports whose host socket the parent bound before the stack ran (the usernet port driver binds -p ports
 * while the child still boots): what the kernel held for them in the meantime reaches the guest once published.
 */
class HeldBeforePublishTest {
    private static final byte[] LOOPBACK = {127, 0, 0, 1};
    private static final int GUEST_PORT = 8080;

    @RegisterExtension
    static final UsernetStacks stacks = new UsernetStacks();

    private final Sockets sockets = Sockets.load();
    private StackHarness h;
    private Socket tcpClient;
    private DatagramSocket udpClient;

    @AfterEach
    void tearDown() throws IOException {
        if (tcpClient != null) {
            tcpClient.close();
        }
        if (udpClient != null) {
            udpClient.close();
        }
    }

    @Test
    void aClientThatConnectedBeforeThePortWasPublishedIsConnectedToTheGuest() throws Exception {
        final int port = freePort();
        final int fd = sockets.bindInet(Sockets.Type.STREAM, LOOPBACK, port, false, 16, "test");
        tcpClient = new Socket();
        // Completes in the kernel: the listener holds the connection until someone accepts it.
        tcpClient.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);

        h = stacks.harness();
        h.send(arpRequest(GUEST_MAC, GUEST, GATEWAY));
        final PublishedTcpPort published = h.onLoop(() -> h.stack.publishTcp(fd, 0, GUEST_PORT));
        assertEquals(port, h.onLoop(published::localAddress).getPort());
        final Parsed syn = h.next(f -> f.isTcp() && f.dstPort() == GUEST_PORT);
        syn.checkL4();
        assertEquals(Tcp.SYN, syn.flags());
        assertEquals(GUEST, syn.ipDst());
        assertEquals(tcpClient.getLocalPort(), syn.srcPort());
        h.run(published::close);
    }

    @Test
    void aDatagramSentBeforeThePortWasPublishedReachesTheGuest() throws Exception {
        final int port = freePort();
        final int fd = sockets.bindInet(Sockets.Type.DGRAM, LOOPBACK, port, false, 0, "test");
        udpClient = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        final byte[] early = "early".getBytes(StandardCharsets.US_ASCII);
        udpClient.send(new DatagramPacket(early, early.length, InetAddress.getLoopbackAddress(), port));

        h = stacks.harness();
        h.send(arpRequest(GUEST_MAC, GUEST, GATEWAY));
        final PublishedUdpPort published = h.onLoop(() -> h.stack.publishUdp(fd, 0, GUEST_PORT));
        final Parsed in = h.next(f -> f.isUdp() && f.dstPort() == GUEST_PORT);
        in.checkL4();
        assertEquals(udpClient.getLocalPort(), in.srcPort());
        assertArrayEquals(early, in.payload());
        h.run(published::close);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
