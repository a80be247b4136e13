package dev.rootlessjkit.net.usernet;

import static dev.rootlessjkit.net.usernet.Ipv6Frames.DNS;
import static dev.rootlessjkit.net.usernet.Ipv6Frames.GATEWAY;
import static dev.rootlessjkit.net.usernet.Ipv6Frames.GUEST;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rootlessjkit.net.usernet.udp.PublishedUdpPort;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** UDP over IPv6: to the host's ::1 through fd00::2 and back, and DNS through fd00::3. */
class Ipv6UdpTest {
    @RegisterExtension
    static final UsernetStacks stacks = new UsernetStacks();

    private static StackHarness harness(List<InetSocketAddress> dnsUpstreams) {
        StackHarness h = stacks.harness(TestConfig.defaults().mtu(1500).ipv6().dnsUpstreams(dnsUpstreams).build());
        h.next(f -> Ipv6Parsed.isIcmpv6(f, 134));
        return h;
    }

    @Test
    void datagramsReachTheHostsIpv6LoopbackAndRepliesComeFromTheGateway() throws IOException {
        try (DatagramSocket server = new DatagramSocket(new InetSocketAddress("::1", 0));
                StackHarness h = harness(List.of())) {
            server.setSoTimeout(5000);
            h.send(Ipv6Frames.udp(GUEST, 41000, GATEWAY, server.getLocalPort(), "ping6".getBytes()));
            DatagramPacket p = new DatagramPacket(new byte[100], 100);
            server.receive(p);
            assertEquals("ping6", new String(p.getData(), 0, p.getLength()));
            assertEquals(InetAddress.getByName("::1"), p.getAddress());
            server.send(new DatagramPacket("pong6".getBytes(), 5, p.getSocketAddress()));
            Ipv6Parsed reply = new Ipv6Parsed(h.next(Ipv6Parsed::isUdp));
            assertArrayEquals(GATEWAY, reply.src());
            assertArrayEquals(GUEST, reply.dst());
            reply.l4();
            assertEquals(server.getLocalPort(), reply.srcPort());
            assertEquals(41000, reply.dstPort());
            assertArrayEquals("pong6".getBytes(), reply.payload());
            assertEquals(1, h.counter(Counter.UDP_FLOWS_OPENED));
        }
    }

    @Test
    void aPublishedPortCarriesClientDatagramsToTheGuestsIpv6AddressAndRepliesBack() throws Exception {
        try (StackHarness h = harness(List.of()); DatagramSocket client = new DatagramSocket(
                new InetSocketAddress("::1", 0))) {
            client.setSoTimeout(5000);
            h.send(Ipv6Frames.multicastFrame(Ipv6Frames.ALL_ROUTERS, Ipv6Frames.icmpv6Packet(
                    Ipv6Frames.GUEST_LINK_LOCAL, Ipv6Frames.ALL_ROUTERS, 255, 133, 0, 0, new byte[0])));
            PublishedUdpPort port = h.onLoop(() -> h.stack.publishUdp6(new InetSocketAddress("::1", 0), null, 5353));
            try {
                client.send(new DatagramPacket("query".getBytes(), 5, port.localAddress()));
                Ipv6Parsed in = new Ipv6Parsed(h.next(Ipv6Parsed::isUdp));
                in.l4();
                assertArrayEquals(GATEWAY, in.src(), "a loopback client appears as the gateway");
                assertArrayEquals(GUEST, in.dst());
                assertEquals(5353, in.dstPort());
                assertArrayEquals("query".getBytes(), in.payload());
                h.send(Ipv6Frames.udp(GUEST, 5353, GATEWAY, in.srcPort(), "answer".getBytes()));
                DatagramPacket p = new DatagramPacket(new byte[100], 100);
                client.receive(p);
                assertEquals("answer", new String(p.getData(), 0, p.getLength()));
                // The guest's server may answer from its SLAAC address (socat's forked child does).
                byte[] slaac = Ipv6Frames.addr(0xfd00_0000_0000_0000L, 0x3822_41ff_fef9_e7afL);
                h.send(Ipv6Frames.udp(slaac, 5353, GATEWAY, in.srcPort(), "again".getBytes()));
                client.receive(p);
                assertEquals("again", new String(p.getData(), 0, p.getLength()));
                assertEquals(port.localAddress().getPort(), p.getPort());
            } finally {
                h.run(port::close);
            }
        }
    }

    @Test
    void queriesToFd00Colon3AreForwardedAndAnsweredFromThere() throws IOException {
        try (DatagramSocket resolver = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                0))) {
            resolver.setSoTimeout(5000);
            try (StackHarness h = harness(List.of((InetSocketAddress) resolver.getLocalSocketAddress()))) {
                byte[] query = DnsForwarderTest.query(0x4242, "example");
                h.send(Ipv6Frames.udp(GUEST, 41001, DNS, 53, query));
                DatagramPacket p = new DatagramPacket(new byte[512], 512);
                resolver.receive(p);
                byte[] asked = Arrays.copyOf(p.getData(), p.getLength());
                resolver.send(new DatagramPacket(DnsForwarderTest.answer(asked), asked.length,
                        p.getSocketAddress()));
                Ipv6Parsed answer = new Ipv6Parsed(h.next(Ipv6Parsed::isUdp));
                assertArrayEquals(DNS, answer.src());
                assertArrayEquals(GUEST, answer.dst());
                answer.l4();
                assertEquals(53, answer.srcPort());
                assertEquals(41001, answer.dstPort());
                assertArrayEquals(DnsForwarderTest.answer(query), answer.payload());
            }
        }
    }
}
