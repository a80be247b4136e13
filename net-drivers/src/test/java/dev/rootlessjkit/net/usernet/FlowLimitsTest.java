package dev.rootlessjkit.net.usernet;

import static dev.rootlessjkit.net.usernet.header.Tcp.SYN;
import static dev.rootlessjkit.net.usernet.header.Tcp.RST;
import static dev.rootlessjkit.net.usernet.header.Tcp.ACK;
import static dev.rootlessjkit.net.usernet.TestFrames.ascii;
import static dev.rootlessjkit.net.usernet.TestFrames.DNS;
import static dev.rootlessjkit.net.usernet.TestFrames.GATEWAY;
import static dev.rootlessjkit.net.usernet.TestFrames.GUEST;
import static dev.rootlessjkit.net.usernet.TestFrames.GUEST_MAC;
import static dev.rootlessjkit.net.usernet.TestFrames.arpRequest;
import static dev.rootlessjkit.net.usernet.TestFrames.synOptions;
import static dev.rootlessjkit.net.usernet.TestFrames.tcpFrame;
import static dev.rootlessjkit.net.usernet.TestFrames.udpFrame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.net.usernet.UsernetConfig.TableLimits;
import dev.rootlessjkit.net.usernet.tcp.PublishedTcpPort;
import dev.rootlessjkit.net.usernet.udp.PublishedUdpPort;
import io.netty.channel.ChannelException;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Flow tables by direction, per-peer shares, eviction instead of refusal, and host sockets that cannot be had. */
class FlowLimitsTest {
    static final byte[] NONE = new byte[0];

    @RegisterExtension
    static final UsernetStacks stacks = new UsernetStacks();

    private StackHarness h;

    /** The stack's answer to a guest SYN from {@code guestPort} to the host's {@code port}. */
    private Parsed syn(int guestPort, int port) {
        h.send(tcpFrame(GUEST, guestPort, GATEWAY, port, 1000, 0, SYN, 65535, synOptions(1460, -1), NONE));
        return h.next(f -> f.isTcp() && f.dstPort() == guestPort);
    }

    @Test
    void oneDestinationGetsItsShareAndItsOldestIdleConnectionMakesRoomWhileOthersAreServed() throws IOException {
        h = stacks.harness(TestConfig.defaults().tcpOutbound(new TableLimits(64, 64, 2)).build());
        try (ServerSocket a = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                ServerSocket b = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            assertEquals(SYN | ACK, syn(40001, a.getLocalPort()).flags());
            assertEquals(SYN | ACK, syn(40002, a.getLocalPort()).flags());
            assertTrue(syn(40003, a.getLocalPort()).has(RST), "A's share is used by connections not yet idle");
            assertEquals(1, h.counter(Counter.TCP_FLOW_LIMIT));
            assertEquals(SYN | ACK, syn(40004, b.getLocalPort()).flags(), "another destination is served");

            h.advance(Duration.ofMillis(1500));
            h.out.clear();
            assertEquals(SYN | ACK, syn(40005, a.getLocalPort()).flags(), "A's oldest idle half-open one goes");
            assertEquals(1, h.counter(Counter.TCP_FLOWS_EVICTED));
            assertEquals(3, h.onLoop(h.stack::tcpFlowCount));
        }
    }

    @Test
    void clientsOfPublishedPortsCannotTakeTheGuestsOutboundConnections() throws IOException {
        h = stacks.harness(TestConfig.defaults().tcpInbound(new TableLimits(2, 2, 2)).build());
        PublishedTcpPort port = h.onLoop(() -> h.stack.publishTcp(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0, 8080));
        h.send(arpRequest(GUEST_MAC, GUEST, GATEWAY));
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                Socket c1 = new Socket(); Socket c2 = new Socket(); Socket c3 = new Socket()) {
            for (Socket c : List.of(c1, c2, c3)) {
                c.connect(h.onLoop(port::localAddress), 5000);
            }
            h.next(f -> f.isTcp() && f.dstPort() == 8080);
            h.next(f -> f.isTcp() && f.dstPort() == 8080);
            c3.setSoTimeout(5000);
            assertEquals(-1, c3.getInputStream().read(), "the third client finds the inbound table full");
            assertEquals(SYN | ACK, syn(40010, server.getLocalPort()).flags(), "the guest still connects out");
        }
    }

    @Test
    void afterTwentyTwoThousandClientsOfAPublishedUdpPortAFreshClientIsServed() throws IOException {
        h = stacks.harness();
        PublishedUdpPort port = h.onLoop(() -> h.stack.publishUdp(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0, 5353));
        InetSocketAddress address = h.onLoop(port::localAddress);
        h.send(arpRequest(GUEST_MAC, GUEST, GATEWAY));
        for (int i = 0; i < 22_000; i++) {
            // Each from an address of its own in 127/8: 22,000 distinct clients.
            InetAddress from = InetAddress.getByAddress(new byte[] {127, 1, (byte) (i >> 8), (byte) i});
            try (DatagramSocket c = new DatagramSocket(new InetSocketAddress(from, 0))) {
                c.send(new DatagramPacket(ascii("x"), 1, address));
            }
            if (i % 1000 == 999) {
                h.run(() -> { });
                h.out.clear();
            }
        }
        h.run(() -> { });
        h.out.clear();
        assertTrue(h.counter(Counter.UDP_FLOWS_EVICTED) > 0, "the table filled up and made room");
        try (DatagramSocket fresh = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            fresh.setSoTimeout(5000);
            fresh.send(new DatagramPacket(ascii("fresh"), 5, address));
            Parsed in = h.next(f -> f.isUdp() && f.dstPort() == 5353 && Arrays.equals(f.payload(), ascii("fresh")));
            h.send(udpFrame(GUEST, 5353, in.ipSrc(), in.srcPort(), ascii("pong")));
            DatagramPacket reply = new DatagramPacket(new byte[10], 10);
            fresh.receive(reply);
            assertArrayEquals(ascii("pong"), Arrays.copyOf(reply.getData(), reply.getLength()));
        }
    }

    @Test
    void afterManyGuestUdpSourcesAFreshOneStillGetsThrough() throws IOException {
        h = stacks.harness(TestConfig.defaults().udpOutbound(new TableLimits(64, 64, 64)).build());
        try (DatagramSocket echo = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            for (int p = 20000; p < 21000; p++) {
                h.send(udpFrame(GUEST, p, GATEWAY, echo.getLocalPort(), ascii("x")));
            }
            assertEquals(64, h.onLoop(h.stack::udpFlowCount));
            DatagramPacket p = new DatagramPacket(new byte[10], 10);
            echo.setSoTimeout(200);
            try {
                while (true) {
                    echo.receive(p); // what the flood left in the socket's buffer
                }
            } catch (java.net.SocketTimeoutException e) {
                // drained
            }
            h.send(udpFrame(GUEST, 30000, GATEWAY, echo.getLocalPort(), ascii("fresh")));
            echo.setSoTimeout(5000);
            echo.receive(p);
            assertArrayEquals(ascii("fresh"), Arrays.copyOf(p.getData(), p.getLength()));
            assertEquals(1000 - 64 + 1, h.counter(Counter.UDP_FLOWS_EVICTED));
        }
    }

    /** Host sockets that fail while {@link #out} is set, as socket() does with EMFILE. */
    private static final class ExhaustibleSockets implements HostSockets {
        final AtomicBoolean out = new AtomicBoolean();

        @Override
        public EpollSocketChannel tcp() {
            if (out.get()) {
                throw new ChannelException("socket: Too many open files");
            }
            return HostSockets.EPOLL.tcp();
        }

        @Override
        public EpollDatagramChannel udp() {
            if (out.get()) {
                throw new ChannelException("socket: Too many open files");
            }
            return HostSockets.EPOLL.udp();
        }
    }

    @Test
    void withoutDescriptorsTheGuestIsAnsweredAsTheKernelWouldAndNothingLeaks() throws IOException {
        ExhaustibleSockets sockets = new ExhaustibleSockets();
        UsernetConfig config = UsernetConfig.defaults(List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                53)));
        h = stacks.harness(config, sockets);
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            sockets.out.set(true);
            Parsed rst = syn(40020, server.getLocalPort());
            assertTrue(rst.has(RST), rst.toString());
            assertEquals(1001, rst.ack());
            assertEquals(0, h.onLoop(h.stack::tcpFlowCount), "the flow's slot is free again");

            h.send(udpFrame(GUEST, 40021, GATEWAY, 9, ascii("x")));
            Parsed icmp = h.next(Parsed::isIcmp);
            assertEquals(3, icmp.raw[icmp.l4()], "destination unreachable");
            assertEquals(3, icmp.raw[icmp.l4() + 1], "port unreachable: ECONNREFUSED");
            assertEquals(0, h.onLoop(h.stack::udpFlowCount));

            byte[] query = {0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 0, 1, 0, 1};
            h.send(udpFrame(GUEST, 40022, DNS, 53, query));
            Parsed servfail = h.next(f -> f.isUdp() && f.dstPort() == 40022);
            byte[] answer = servfail.payload();
            assertEquals(0x12, answer[0]);
            assertEquals(0x34, answer[1]);
            assertEquals(2, answer[3] & 0x0f, "SERVFAIL");
            assertTrue((answer[2] & 0x80) != 0, "a response");
            assertEquals(3, h.counter(Counter.HOST_SOCKET_FAILURES));

            sockets.out.set(false);
            assertEquals(SYN | ACK, syn(40023, server.getLocalPort()).flags(), "and it recovers");
        }
    }

    /**
     * Real host sockets within a budget of descriptors, each counted from socket() until it is really closed, as
     * RLIMIT_NOFILE counts them: beyond the budget, socket() fails with EMFILE.
     */
    private static final class BudgetedSockets implements HostSockets {
        final int budget;
        final AtomicInteger open = new AtomicInteger();

        BudgetedSockets(int budget) {
            this.budget = budget;
        }

        @Override
        public EpollSocketChannel tcp() {
            take();
            EpollSocketChannel ch = HostSockets.EPOLL.tcp();
            ch.closeFuture().addListener(f -> open.decrementAndGet());
            return ch;
        }

        @Override
        public EpollDatagramChannel udp() {
            take();
            EpollDatagramChannel ch = HostSockets.EPOLL.udp();
            ch.closeFuture().addListener(f -> open.decrementAndGet());
            return ch;
        }

        private void take() {
            if (open.incrementAndGet() > budget) {
                open.decrementAndGet();
                throw new ChannelException("socket: Too many open files");
            }
        }
    }

    @Test
    void halfOpenConnectionsEvictedByASynFloodGiveBackTheirHostSocketsSoAFreshConnectionGetsOne() throws IOException {
        // Descriptors for twice the table: the flood can only exhaust them through sockets that outlive their flows.
        BudgetedSockets sockets = new BudgetedSockets(16);
        h = stacks.harness(TestConfig.defaults().tcpOutbound(new TableLimits(8, 8, 4)).build(), sockets);
        // The flood's target never accepts: beyond its backlog the host's SYNs go unanswered, and the stack's
        // connects stay pending (for the 20 s connect timeout) as a host port that drops SYNs keeps them.
        try (ServerSocket sink = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            for (int i = 0; i < 64; i++) {
                h.send(tcpFrame(GUEST, 41000 + i, GATEWAY, sink.getLocalPort(), 1000, 0, SYN, 65535,
                        synOptions(1460, -1), NONE));
                // Each half-open flow is idle long enough for the next SYN to evict it.
                h.advance(Duration.ofMillis(1500));
            }
            h.out.clear();
            assertEquals(SYN | ACK, syn(42000, server.getLocalPort()).flags(),
                    "a fresh connection still gets a host socket");
            assertTrue(h.onLoop(sockets.open::get) <= 8, "host sockets open: " + sockets.open
                    + ", no more than the table's 8 flows");
            assertEquals(0, h.counter(Counter.HOST_SOCKET_FAILURES), "no SYN found the descriptors used up");
            assertTrue(h.counter(Counter.TCP_FLOWS_EVICTED) >= 56, "the sink's share made room again and again");
            assertEquals(0, h.counter(Counter.TCP_CONNECT_REFUSED), "an evicted flow's connect is not a refusal");
        }
    }
}
