package dev.rootlessjkit.net.usernet;

import static dev.rootlessjkit.net.usernet.header.Tcp.FIN;
import static dev.rootlessjkit.net.usernet.header.Tcp.SYN;
import static dev.rootlessjkit.net.usernet.header.Tcp.RST;
import static dev.rootlessjkit.net.usernet.header.Tcp.PSH;
import static dev.rootlessjkit.net.usernet.header.Tcp.ACK;
import static dev.rootlessjkit.net.usernet.TestFrames.GATEWAY;
import static dev.rootlessjkit.net.usernet.TestFrames.GUEST;
import static dev.rootlessjkit.net.usernet.TestFrames.GUEST_MAC;
import static dev.rootlessjkit.net.usernet.TestFrames.arpRequest;
import static dev.rootlessjkit.net.usernet.TestFrames.synOptions;
import static dev.rootlessjkit.net.usernet.TestFrames.tcpFrame;
import static dev.rootlessjkit.net.usernet.TestFrames.udpFrame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rootlessjkit.net.api.PortCounters;
import dev.rootlessjkit.net.usernet.tcp.PublishedTcpPort;
import dev.rootlessjkit.net.usernet.udp.PublishedUdpPort;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The counters of ports the stack publishes (the usernet port driver): real clients on loopback, the guest played
 * with crafted frames, and the counters must say exactly what went through.
 */
class PublishedPortTrafficTest {
    private static final byte[] NONE = new byte[0];
    private static final int GUEST_PORT = 8080;
    private static final int GUEST_ISN = 5000;

    @RegisterExtension
    static final UsernetStacks stacks = new UsernetStacks();

    private StackHarness h;
    private final List<AutoCloseable> clients = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : clients) {
            c.close();
        }
    }

    private PublishedTcpPort publishTcp() {
        h = stacks.harness();
        h.send(arpRequest(GUEST_MAC, GUEST, GATEWAY));
        return h.onLoop(() -> h.stack.publishTcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0,
                GUEST_PORT));
    }

    private Socket connect(PublishedTcpPort port) throws IOException {
        final Socket client = new Socket();
        clients.add(client);
        client.connect(h.onLoop(port::localAddress), 5000);
        client.setSoTimeout(5000);
        return client;
    }

    /** The stack's next segment to the guest from {@code client}'s connection (which keeps its port inside). */
    private Parsed toGuest(Socket client, boolean withData) {
        final Parsed p = h.next(f -> f.isTcp() && f.dstPort() == GUEST_PORT && f.srcPort() == client.getLocalPort()
                && (!withData || f.payload().length > 0));
        p.checkL4();
        return p;
    }

    private PortCounters.Tcp tcp(PublishedTcpPort port) {
        return h.onLoop(() -> port.traffic().counters().tcp());
    }

    @Test
    void connectionsAndBytesEachWayAreCountedExactly() throws IOException {
        final PublishedTcpPort port = publishTcp();
        final int connections = 3;
        final byte[] request = new byte[1000];
        final byte[] answer = new byte[700];
        Arrays.fill(request, (byte) 'q');
        Arrays.fill(answer, (byte) 'a');
        final List<Socket> open = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            final Socket client = connect(port);
            final int iss = toGuest(client, false).seq();
            h.send(tcpFrame(GUEST, GUEST_PORT, GATEWAY, client.getLocalPort(), GUEST_ISN, iss + 1, SYN | ACK, 65535,
                    synOptions(1460, 7), NONE));
            toGuest(client, false);

            client.getOutputStream().write(request);
            int got = 0;
            while (got < request.length) {
                got += toGuest(client, true).payload().length;
            }
            h.send(tcpFrame(GUEST, GUEST_PORT, GATEWAY, client.getLocalPort(), GUEST_ISN + 1,
                    iss + 1 + request.length, ACK | PSH, 65535, NONE, answer));
            assertArrayEquals(answer, client.getInputStream().readNBytes(answer.length));
            open.add(client);
        }
        assertEquals(new PortCounters.Tcp(connections, connections, 0, new PortCounters.DialFailures(0, 0, 0, 0, 0),
                (long) connections * request.length, (long) connections * answer.length), tcp(port));

        for (Socket client : open) {
            client.setSoLinger(true, 0);
            client.close();
            toGuest(client, false); // the RST that ends the connection inside
        }
        assertEquals(0, tcp(port).active(), "ended connections are not active");
        assertEquals(connections, tcp(port).accepted());
        assertEquals(0, tcp(port).failed());
    }

    /** A connection closed both ways is no longer active, though its flow still waits out TIME-WAIT. */
    @Test
    void aConnectionClosedGracefullyEndsBeforeTimeWaitDoes() throws IOException {
        final PublishedTcpPort port = publishTcp();
        final Socket client = connect(port);
        final int iss = toGuest(client, false).seq();
        h.send(tcpFrame(GUEST, GUEST_PORT, GATEWAY, client.getLocalPort(), GUEST_ISN, iss + 1, SYN | ACK, 65535,
                synOptions(1460, 7), NONE));
        toGuest(client, false);
        assertEquals(1, tcp(port).active());

        client.shutdownOutput();
        h.next(f -> f.isTcp() && f.dstPort() == GUEST_PORT && f.has(FIN));
        h.send(tcpFrame(GUEST, GUEST_PORT, GATEWAY, client.getLocalPort(), GUEST_ISN + 1, iss + 2, ACK | FIN, 65535,
                NONE, NONE));
        assertEquals(-1, client.getInputStream().read());
        assertEquals(new PortCounters.Tcp(1, 0, 0, new PortCounters.DialFailures(0, 0, 0, 0, 0), 0, 0), tcp(port));
        assertEquals(1, h.onLoop(h.stack::tcpFlowCount), "the flow is in TIME-WAIT");
        h.advance(Duration.ofMinutes(5));
        assertEquals(0, h.onLoop(h.stack::tcpFlowCount));
        assertEquals(0, tcp(port).active(), "counted once");
    }

    @Test
    void aGuestsResetIsOneRefusedDialAndSilenceATimedOutOne() throws IOException {
        final PublishedTcpPort port = publishTcp();
        final Socket refused = connect(port);
        h.send(tcpFrame(GUEST, GUEST_PORT, GATEWAY, refused.getLocalPort(), 0, toGuest(refused, false).seq() + 1,
                RST | ACK, 0, NONE, NONE));
        assertEquals(new PortCounters.Tcp(1, 0, 1, new PortCounters.DialFailures(1, 0, 0, 0, 0), 0, 0), tcp(port));

        final Socket unanswered = connect(port);
        toGuest(unanswered, false);
        // Each retransmission is scheduled from the previous one: time moves on until the stack gives up.
        for (int i = 0; i < 10 && tcp(port).failed() < 2; i++) {
            h.advance(Duration.ofMinutes(1));
        }
        assertEquals(new PortCounters.Tcp(2, 0, 2, new PortCounters.DialFailures(1, 1, 0, 0, 0), 0, 0), tcp(port));
    }

    @Test
    void datagramsAndFlowsAreCountedEachWay() throws IOException {
        h = stacks.harness();
        h.send(arpRequest(GUEST_MAC, GUEST, GATEWAY));
        final PublishedUdpPort port = h.onLoop(() -> h.stack.publishUdp(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0, 5353));
        final InetSocketAddress address = h.onLoop(port::localAddress);
        final int datagrams = 4;
        for (int c = 0; c < 2; c++) {
            final DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            clients.add(client);
            client.setSoTimeout(5000);
            for (int i = 0; i < datagrams; i++) {
                client.send(new DatagramPacket(new byte[100], 100, address));
                final Parsed in = h.next(f -> f.isUdp() && f.dstPort() == 5353);
                assertEquals(100, in.payload().length);
                h.send(udpFrame(GUEST, 5353, GATEWAY, in.srcPort(), new byte[30]));
                client.receive(new DatagramPacket(new byte[100], 100));
            }
        }
        assertEquals(new PortCounters.Udp(2, 2 * datagrams, 2 * datagrams * 100, 2 * datagrams, 2 * datagrams * 30,
                0, new PortCounters.Drops(0, 0, 0)), h.onLoop(() -> port.traffic().counters().udp()));

        h.advance(UsernetConfig.Limits.DEFAULT.udpIdleTimeout().plusSeconds(1));
        assertEquals(0, h.onLoop(() -> port.traffic().counters().udp().flows()), "idle flows have ended");
    }
}
