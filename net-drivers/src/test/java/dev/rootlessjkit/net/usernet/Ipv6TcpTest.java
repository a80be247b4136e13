package dev.rootlessjkit.net.usernet;

import static dev.rootlessjkit.net.usernet.header.Tcp.SYN;
import static dev.rootlessjkit.net.usernet.header.Tcp.RST;
import static dev.rootlessjkit.net.usernet.header.Tcp.PSH;
import static dev.rootlessjkit.net.usernet.header.Tcp.ACK;
import static dev.rootlessjkit.net.usernet.Ipv6Frames.GATEWAY;
import static dev.rootlessjkit.net.usernet.Ipv6Frames.GUEST;
import static dev.rootlessjkit.net.usernet.Ipv6Frames.OUTSIDE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rootlessjkit.net.usernet.tcp.PublishedTcpPort;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** TCP over IPv6 through the same NAT as IPv4: to the host's ::1 through fd00::2, and published ports into fd00::100. */
class Ipv6TcpTest {
    private static final int MTU = 1500;
    private static final byte[] NO_OPTIONS = new byte[0];
    @RegisterExtension
    static final UsernetStacks stacks = new UsernetStacks();

    private StackHarness h;

    private StackHarness harness(boolean disableHostLoopback) {
        h = stacks.harness(
                TestConfig.defaults().mtu(MTU).ipv6().disableHostLoopback(disableHostLoopback).build());
        h.next(f -> Ipv6Parsed.isIcmpv6(f, 134));
        return h;
    }

    private Ipv6Parsed nextTcp() {
        return new Ipv6Parsed(h.next(Ipv6Parsed::isTcp));
    }

    @Test
    void theGatewayLeadsToTheHostsIpv6LoopbackBothWays() throws IOException {
        harness(false);
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getByName("::1"))) {
            server.setSoTimeout(5000);
            int port = server.getLocalPort();
            h.send(Ipv6Frames.tcp(GUEST, 40000, GATEWAY, port, 1000, 0, SYN, new byte[] {2, 4, 0x05, (byte) 0x8c},
                    new byte[0]));
            Ipv6Parsed synAck = nextTcp();
            assertEquals(SYN | ACK, synAck.tcpFlags());
            assertArrayEquals(GATEWAY, synAck.src());
            assertArrayEquals(GUEST, synAck.dst());
            assertEquals(1001, synAck.ack());
            byte[] options = Arrays.copyOfRange(synAck.l4(), 20, 24);
            assertEquals(MTU - 60, ByteBuffer.wrap(options).getShort(2), "our MSS: the MTU less IPv6 and TCP headers");
            int ourSeq = synAck.seq() + 1;
            try (Socket accepted = server.accept()) {
                assertEquals(InetAddress.getByName("::1"), accepted.getInetAddress());
                h.send(Ipv6Frames.tcp(GUEST, 40000, GATEWAY, port, 1001, ourSeq, ACK | PSH, NO_OPTIONS,
                        "hello".getBytes()));
                InputStream in = accepted.getInputStream();
                assertArrayEquals("hello".getBytes(), in.readNBytes(5));
                OutputStream out = accepted.getOutputStream();
                out.write("world".getBytes());
                out.flush();
                Ipv6Parsed data = new Ipv6Parsed(h.next(f -> Ipv6Parsed.isTcp(f)
                        && new Ipv6Parsed(f).payload().length > 0));
                assertArrayEquals("world".getBytes(), data.payload());
                assertEquals(ourSeq, data.seq());
                assertEquals(1006, data.ack());
                h.send(Ipv6Frames.tcp(GUEST, 40000, GATEWAY, port, 1006, 0, RST, NO_OPTIONS, new byte[0]));
                assertEquals(-1, in.read(), "the guest's RST ends the host connection");
            } catch (IOException e) {
                // A reset connection may also be reported as "Connection reset".
                assertEquals("Connection reset", e.getMessage());
            }
        }
    }

    @Test
    void withoutHostLoopbackTheGatewayRefusesAndNonHostsAreRefused() {
        harness(true);
        h.send(Ipv6Frames.tcp(GUEST, 40001, GATEWAY, 80, 5, 0, SYN, NO_OPTIONS, new byte[0]));
        Ipv6Parsed rst = nextTcp();
        assertEquals(RST | ACK, rst.tcpFlags());
        assertEquals(6, rst.ack());
        assertArrayEquals(GATEWAY, rst.src());
        h.send(Ipv6Frames.tcp(GUEST, 40002, Ipv6Frames.addr(0xfd00_0000_0000_0000L, 9), 80, 5, 0, SYN, NO_OPTIONS,
                new byte[0]));
        assertEquals(RST | ACK, nextTcp().tcpFlags(), "nobody else lives in fd00::/64");
        assertEquals(2, h.counter(Counter.TCP_CONNECT_REFUSED));
    }

    @Test
    void segmentsOfNoFlowAreResetFromTheAddressTheyWentTo() {
        harness(false);
        h.send(Ipv6Frames.tcp(GUEST, 40003, OUTSIDE, 443, 5, 77, ACK, NO_OPTIONS, new byte[0]));
        Ipv6Parsed rst = nextTcp();
        assertEquals(RST, rst.tcpFlags());
        assertEquals(77, rst.seq());
        assertArrayEquals(OUTSIDE, rst.src());
        assertEquals(1, h.counter(Counter.TCP_NO_FLOW));
    }

    @Test
    void aPublishedPortOpensIntoTheGuestsIpv6AddressFromTheGateway() throws Exception {
        harness(false);
        PublishedTcpPort port = h.onLoop(() -> h.stack.publishTcp6(new InetSocketAddress("::1", 0), null, 8080));
        try (Socket client = new Socket()) {
            client.connect(port.localAddress(), 5000);
            // Nothing heard from the guest yet: the SYN waits for its MAC, which its router solicitation brings.
            h.expectNothing(200);
            h.send(Ipv6Frames.multicastFrame(Ipv6Frames.ALL_ROUTERS, Ipv6Frames.icmpv6Packet(
                    Ipv6Frames.GUEST_LINK_LOCAL, Ipv6Frames.ALL_ROUTERS, 255, 133, 0, 0, new byte[0])));
            Ipv6Parsed syn = nextTcp();
            assertEquals(SYN, syn.tcpFlags());
            // The loopback client cannot keep ::1 (the guest's own): it appears as the gateway.
            assertArrayEquals(GATEWAY, syn.src());
            assertArrayEquals(GUEST, syn.dst());
            assertEquals(8080, syn.dstPort());
            assertEquals(client.getLocalPort(), syn.srcPort());
        } finally {
            h.run(port::close);
        }
    }
}
