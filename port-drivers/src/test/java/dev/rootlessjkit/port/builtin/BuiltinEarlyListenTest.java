package dev.rootlessjkit.port.builtin;

import static dev.rootlessjkit.port.builtin.Peers.freePort;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.linux.Sockets;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.port.AddressInUseException;
import dev.rootlessjkit.port.PortSpec;
import dev.rootlessjkit.port.PortStatus;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ports added before {@link BuiltinParentDriver#start}, as the parent adds -p ports while the child JVM boots:
 * they listen at once, the kernel holds early clients and datagrams, and the driver serves them once the child half
 * is up.
 */
@Timeout(60)
class BuiltinEarlyListenTest {
    private static final byte[] EARLY = "early".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path state;

    private final Log log = new Log("test", false);
    private BuiltinParentDriver parent;
    private BuiltinChildDriver child;

    @AfterEach
    void stop() {
        if (parent != null) {
            parent.close();
        }
        if (child != null) {
            child.close();
        }
    }

    @Test
    void aClientAndADatagramThatCameBeforeTheChildHalfAreServedOnceItIsUp() throws Exception {
        parent = new BuiltinParentDriver(state, Duration.ofSeconds(5), false, log);
        try (ServerSocket tcpInside = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                DatagramSocket udpInside = new DatagramSocket(0, InetAddress.getLoopbackAddress());
                Socket tcpClient = new Socket();
                DatagramSocket udpClient = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            final int tcpPort = parent.addPort(new PortSpec("tcp", "127.0.0.1", freePort(), "",
                    Peers.serveTcpEcho(tcpInside))).spec().parentPort();
            final int udpPort = parent.addPort(new PortSpec("udp", "127.0.0.1", freePort(), "",
                    Peers.serveUdpEcho(udpInside))).spec().parentPort();

            // Not refused: the connection waits in the listener's backlog, the datagram in its receive buffer.
            tcpClient.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), tcpPort), 5000);
            tcpClient.setSoTimeout(10_000);
            tcpClient.getOutputStream().write(EARLY);
            tcpClient.shutdownOutput();
            udpClient.setSoTimeout(10_000);
            udpClient.send(new DatagramPacket(EARLY, EARLY.length, InetAddress.getLoopbackAddress(), udpPort));

            child = new BuiltinChildDriver(Sockets.load(), Linux.load(), null, log);
            child.run(parent.opaqueForChild());
            parent.start(Duration.ofSeconds(5));

            assertArrayEquals(EARLY, tcpClient.getInputStream().readAllBytes());
            final DatagramPacket reply = new DatagramPacket(new byte[100], 100);
            udpClient.receive(reply);
            assertArrayEquals(EARLY, Arrays.copyOf(reply.getData(), reply.getLength()));
            assertEquals(List.of(1, 2), parent.listPorts().stream().map(PortStatus::id).toList());
        }
    }

    @Test
    void aBindThatFailsBeforeStartLeavesNothingOpenAndCloseReleasesTheOthers() throws Exception {
        parent = new BuiltinParentDriver(state, Duration.ofSeconds(5), false, log);
        final int held = freePort();
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            parent.addPort(new PortSpec("tcp", "127.0.0.1", held, "", 80));
            final Peers.FdSnapshot before = Peers.FdSnapshot.take();
            final AddressInUseException inUse = assertThrows(AddressInUseException.class,
                    () -> parent.addPort(new PortSpec("tcp", "127.0.0.1", taken.getLocalPort(), "", 80)));
            assertEquals("listen tcp 127.0.0.1:" + taken.getLocalPort() + ": bind: address already in use",
                    inUse.getMessage());
            assertEquals(Set.of(), before.openedSince(), "fds the failed bind left open");
        }
        parent.close();
        try (ServerSocket again = new ServerSocket(held, 1, InetAddress.getLoopbackAddress())) {
            assertEquals(held, again.getLocalPort(), "the early listener is closed with the driver");
        }
    }
}
