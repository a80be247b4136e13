package dev.rootlessjkit.net.usernet;

import static dev.rootlessjkit.net.usernet.TestFrames.DNS;
import static dev.rootlessjkit.net.usernet.TestFrames.GATEWAY;
import static dev.rootlessjkit.net.usernet.TestFrames.GUEST;
import static dev.rootlessjkit.net.usernet.TestFrames.udpFrame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class UdpAndDnsTest {
    @RegisterExtension
    static final UsernetStacks stacks = new UsernetStacks();


    /** A UDP server on 127.0.0.1 that answers each datagram with {@code reply(datagram)}. */
    private static final class Server implements AutoCloseable {
        final DatagramSocket socket;
        final AtomicInteger received = new AtomicInteger();
        private final Thread thread;

        Server(java.util.function.UnaryOperator<byte[]> reply) throws SocketException {
            socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            thread = new Thread(() -> {
                byte[] buf = new byte[65535];
                while (!socket.isClosed()) {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    try {
                        socket.receive(p);
                        received.incrementAndGet();
                        byte[] out = reply.apply(Arrays.copyOf(p.getData(), p.getLength()));
                        if (out != null) {
                            socket.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
                        }
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "udp-test-server");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        @Override
        public void close() {
            socket.close();
        }
    }

    @Test
    void relaysToAHostEchoServerThroughTheGateway() throws Exception {
        try (Server echo = new Server(d -> d); StackHarness h = stacks.harness()) {
            byte[] payload = "hello over udp".getBytes();
            h.send(udpFrame(GUEST, 40000, GATEWAY, echo.port(), payload));
            Parsed r = h.next();
            assertTrue(r.isUdp());
            r.checkL4();
            assertEquals(GATEWAY, r.ipSrc(), "the host's loopback appears as the gateway");
            assertEquals(echo.port(), r.srcPort());
            assertEquals(GUEST, r.ipDst());
            assertEquals(40000, r.dstPort());
            assertArrayEquals(payload, r.payload());
            assertEquals(1, h.onLoop(h.stack::udpFlowCount));

            // The same guest port reuses its flow.
            h.send(udpFrame(GUEST, 40000, GATEWAY, echo.port(), "again".getBytes()));
            assertArrayEquals("again".getBytes(), h.next().payload());
            assertEquals(1, h.counter(Counter.UDP_FLOWS_OPENED));
        }
    }

    @Test
    void closesIdleFlows() throws Exception {
        try (Server echo = new Server(d -> d); StackHarness h = stacks.harness()) {
            h.send(udpFrame(GUEST, 40001, GATEWAY, echo.port(), "x".getBytes()));
            h.next();
            h.advance(Duration.ofSeconds(100));
            h.send(udpFrame(GUEST, 40001, GATEWAY, echo.port(), "y".getBytes()));
            h.next();
            h.advance(Duration.ofSeconds(200));
            assertEquals(1, h.onLoop(h.stack::udpFlowCount), "activity at 100 s keeps the flow past 240 s");
            h.advance(Duration.ofSeconds(100));
            assertEquals(0, h.onLoop(h.stack::udpFlowCount));
        }
    }

    @Test
    void largeRepliesAreFragmentedToTheMtu() throws Exception {
        UsernetConfig config = TestConfig.defaults().mtu(1500).build();
        byte[] big = new byte[4000];
        Arrays.fill(big, (byte) 7);
        try (Server server = new Server(d -> big); StackHarness h = stacks.harness(config)) {
            h.send(udpFrame(GUEST, 40002, GATEWAY, server.port(), "give".getBytes()));
            int total = 0;
            int frames = 0;
            while (total < 8 + big.length) {
                Parsed f = h.next();
                f.checkIpv4();
                assertTrue(f.ipTotal() <= 1500);
                total += f.ipTotal() - 20;
                frames++;
            }
            assertEquals(3, frames);
        }
    }

    @Test
    void refusesHostLoopbackWhenDisabled() throws Exception {
        UsernetConfig config = TestConfig.defaults().disableHostLoopback(true).build();
        try (Server echo = new Server(d -> d); StackHarness h = stacks.harness(config)) {
            h.send(udpFrame(GUEST, 40003, GATEWAY, echo.port(), "x".getBytes()));
            h.send(udpFrame(GUEST, 40003, TestFrames.ip("127.0.0.1"), echo.port(), "x".getBytes()));
            h.expectNothing(100);
            assertEquals(2, h.counter(Counter.UDP_REFUSED));
            assertEquals(0, echo.received.get());
        }
    }

    @Test
    void dropsBadChecksumsAndLengths() {
        try (StackHarness h = stacks.harness()) {
            byte[] f = udpFrame(GUEST, 1, GATEWAY, 9, "abc".getBytes());
            f[f.length - 1] ^= 1;
            h.send(f);
            byte[] g = udpFrame(GUEST, 1, GATEWAY, 9, "abc".getBytes());
            g[14 + 20 + 5] = 100;
            h.send(g);
            assertEquals(1, h.counter(Counter.UDP_BAD_CHECKSUM));
            assertEquals(1, h.counter(Counter.UDP_MALFORMED));
        }
    }

    private static byte[] dnsQuery(int id) {
        byte[] q = new byte[17];
        q[0] = (byte) (id >> 8);
        q[1] = (byte) id;
        q[5] = 1;
        return q;
    }

    private static byte[] answer(byte[] query) {
        byte[] a = query.clone();
        a[2] = (byte) 0x81;
        return a;
    }

    @Test
    void forwardsDnsAndRestoresTheGuestsId() throws Exception {
        try (Server resolver = new Server(UdpAndDnsTest::answer)) {
            UsernetConfig config = UsernetConfig.defaults(
                    List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), resolver.port())));
            try (StackHarness h = stacks.harness(config)) {
                h.send(udpFrame(GUEST, 5353, DNS, 53, dnsQuery(0xbeef)));
                Parsed r = h.next();
                r.checkL4();
                assertEquals(DNS, r.ipSrc());
                assertEquals(53, r.srcPort());
                assertEquals(5353, r.dstPort());
                assertArrayEquals(answer(dnsQuery(0xbeef)), r.payload());
            }
        }
    }

    @Test
    void triesTheNextResolverWhenTheFirstIsSilent() throws Exception {
        try (Server silent = new Server(d -> null); Server resolver = new Server(UdpAndDnsTest::answer)) {
            UsernetConfig config = UsernetConfig.defaults(List.of(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), silent.port()),
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), resolver.port())));
            try (StackHarness h = stacks.harness(config)) {
                h.send(udpFrame(GUEST, 5353, DNS, 53, dnsQuery(7)));
                long end = System.nanoTime() + 5_000_000_000L;
                while (silent.received.get() == 0 && System.nanoTime() < end) {
                    Thread.sleep(5);
                }
                h.expectNothing(20);
                h.advance(Duration.ofSeconds(3));
                assertArrayEquals(answer(dnsQuery(7)), h.next().payload());
                assertEquals(1, silent.received.get());
            }
        }
    }
}
