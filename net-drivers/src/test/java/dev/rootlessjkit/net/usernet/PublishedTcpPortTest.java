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
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.net.usernet.stack.Destinations;
import dev.rootlessjkit.net.usernet.tcp.PublishedTcpPort;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Published ports: the stack connects host clients to the guest itself (active open), with crafted guest frames. */
class PublishedTcpPortTest {
    static final byte[] NONE = new byte[0];
    static final int GUEST_PORT = 8080;

    @RegisterExtension
    static final UsernetStacks stacks = new UsernetStacks();

    private StackHarness h;
    private Socket client;

    @AfterEach
    void tearDown() throws IOException {
        if (client != null) {
            client.close();
        }
    }

    private PublishedTcpPort publish() {
        h = stacks.harness();
        return h.onLoop(() -> h.stack.publishTcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0,
                GUEST_PORT));
    }

    private Socket connect(PublishedTcpPort port) throws IOException {
        client = new Socket();
        client.connect(h.onLoop(port::localAddress), 5000);
        client.setSoTimeout(5000);
        return client;
    }

    private Parsed nextToGuest() {
        Parsed p = h.next(f -> f.isTcp() && f.dstPort() == GUEST_PORT);
        p.checkL4();
        assertEquals(GUEST, p.ipDst());
        return p;
    }

    /** The stack's SYN, after the guest's MAC is known. */
    private Parsed syn(PublishedTcpPort port) throws IOException {
        h.send(arpRequest(GUEST_MAC, GUEST, GATEWAY));
        connect(port);
        Parsed syn = nextToGuest();
        assertEquals(SYN, syn.flags());
        return syn;
    }

    private void fromGuest(Parsed syn, int seq, int ack, int flags, byte[] data) {
        h.send(tcpFrame(GUEST, GUEST_PORT, GATEWAY, syn.srcPort(), seq, ack, flags, 65535, NONE, data));
    }

    @Test
    void loopbackClientAppearsAsTheGatewayAndDataFlowsBothWaysUntilBothClose() throws IOException {
        PublishedTcpPort port = publish();
        Parsed syn = syn(port);
        assertEquals(GATEWAY, syn.ipSrc(), "a loopback client is the gateway inside");
        assertEquals(client.getLocalPort(), syn.srcPort(), "the client's own port when it is free");
        int iss = syn.seq();
        h.send(tcpFrame(GUEST, GUEST_PORT, GATEWAY, syn.srcPort(), 5000, iss + 1, SYN | ACK, 65535,
                synOptions(1460, 7), NONE));
        Parsed ack = nextToGuest();
        assertEquals(ACK, ack.flags());
        assertEquals(5001, ack.ack());
        assertEquals(iss + 1, ack.seq());

        client.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
        Parsed data = h.next(f -> f.isTcp() && f.dstPort() == GUEST_PORT && f.payload().length > 0);
        assertArrayEquals("hello".getBytes(StandardCharsets.US_ASCII), data.payload());
        assertEquals(iss + 1, data.seq());

        fromGuest(syn, 5001, iss + 6, ACK | PSH, "world".getBytes(StandardCharsets.US_ASCII));
        assertArrayEquals("world".getBytes(StandardCharsets.US_ASCII), client.getInputStream().readNBytes(5));

        client.shutdownOutput();
        Parsed fin = h.next(f -> f.isTcp() && f.dstPort() == GUEST_PORT && f.has(FIN));
        assertEquals(iss + 6, fin.seq());
        fromGuest(syn, 5006, iss + 7, ACK | FIN, NONE);
        assertEquals(-1, client.getInputStream().read(), "the guest's FIN reaches the client");
        Parsed lastAck = nextToGuest();
        assertEquals(5007, lastAck.ack());
    }

    /**
     * A client that sends its request and half-closes at once (HTTP/1.0 clients, `nc -N`) may have both read by the
     * stack before the guest answers the SYN: Netty reads a socket whose peer has closed even with auto-read off.
     * The request and the FIN must go out once the guest answers, and the answer come back.
     */
    @Test
    void aRequestAndFinSentBeforeTheGuestAnswersGoOutOnceItDoes() throws Exception {
        PublishedTcpPort port = publish();
        Parsed syn = syn(port);
        int iss = syn.seq();
        client.getOutputStream().write("early".getBytes(StandardCharsets.US_ASCII));
        client.shutdownOutput();
        // Give the stack's loop the time to see the client's data and end of stream while the guest is silent:
        // the order this test is about (the other order passes either way).
        Thread.sleep(300);
        h.send(tcpFrame(GUEST, GUEST_PORT, GATEWAY, syn.srcPort(), 5000, iss + 1, SYN | ACK, 65535,
                synOptions(1460, 7), NONE));
        Parsed data = h.next(f -> f.isTcp() && f.dstPort() == GUEST_PORT && f.payload().length > 0);
        assertArrayEquals("early".getBytes(StandardCharsets.US_ASCII), data.payload());
        assertEquals(iss + 1, data.seq());
        Parsed fin = h.next(f -> f.isTcp() && f.dstPort() == GUEST_PORT && f.has(FIN));
        assertEquals(iss + 6, fin.seq());
        fromGuest(syn, 5001, iss + 7, ACK | PSH | FIN, "answer".getBytes(StandardCharsets.US_ASCII));
        assertArrayEquals("answer".getBytes(StandardCharsets.US_ASCII), client.getInputStream().readNBytes(6));
        assertEquals(-1, client.getInputStream().read(), "the guest's FIN reaches the client");
    }

    @Test
    void aResetFromTheGuestResetsTheClientAtOnce() throws IOException {
        PublishedTcpPort port = publish();
        Parsed syn = syn(port);
        fromGuest(syn, 0, syn.seq() + 1, RST | ACK, NONE);
        assertThrows(SocketException.class, () -> client.getInputStream().read());
        assertEquals(0, h.onLoop(port::connectionCount));
        assertEquals(0, h.onLoop(h.stack::tcpFlowCount));
    }

    @Test
    void aSilentGuestIsAskedForItsMacAndTheSynRetransmitted() throws IOException {
        PublishedTcpPort port = publish();
        connect(port);
        Parsed arp = h.next(f -> f.ethType() == 0x0806);
        assertEquals(0xffff_ffff_ffffL, arp.ethDst());
        h.send(arpRequest(GUEST_MAC, GUEST, GATEWAY));
        h.advance(Duration.ofSeconds(3));
        assertEquals(SYN, nextToGuest().flags());
    }

    @Test
    void aClientThatLeavesBeforeTheGuestAnswersResetsTheGuestsHalfOpenConnection() throws IOException {
        PublishedTcpPort port = publish();
        Parsed syn = syn(port);
        client.setSoLinger(true, 0);
        client.close();
        Parsed rst = nextToGuest();
        assertEquals(RST, rst.flags());
        assertEquals(syn.seq() + 1, rst.seq());
    }

    @Test
    void closingThePortStopsListeningAndResetsItsConnections() throws IOException {
        PublishedTcpPort port = publish();
        InetSocketAddress address = h.onLoop(port::localAddress);
        Parsed syn = syn(port);
        h.send(tcpFrame(GUEST, GUEST_PORT, GATEWAY, syn.srcPort(), 5000, syn.seq() + 1, SYN | ACK, 65535,
                synOptions(1460, 7), NONE));
        nextToGuest();
        h.run(port::close);
        Parsed rst = nextToGuest();
        assertTrue(rst.has(RST));
        assertThrows(SocketException.class, () -> client.getInputStream().read());
        assertThrows(ConnectException.class, () -> new Socket(address.getAddress(), address.getPort()).close());
    }

    @Test
    void aPortInUseIsABindError() throws Exception {
        PublishedTcpPort port = publish();
        InetSocketAddress address = h.onLoop(port::localAddress);
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> h.loop.submit(() -> h.stack.publishTcp(address, 0, GUEST_PORT)).get(5, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("Address already in use"), e.getCause().toString());
    }

    @Test
    void clientsBeyondTheFlowLimitAreClosed() throws IOException {
        h = stacks.harness(TestConfig.defaults().tcpInbound(new UsernetConfig.TableLimits(1, 1, 1)).build());
        PublishedTcpPort port = h.onLoop(() -> h.stack.publishTcp(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0, GUEST_PORT));
        syn(port);
        try (Socket second = new Socket()) {
            second.connect(h.onLoop(port::localAddress), 5000);
            second.setSoTimeout(5000);
            try {
                assertEquals(-1, second.getInputStream().read());
            } catch (SocketException e) {
                // reset: closed as well
            }
        }
        assertEquals(1, h.counter(Counter.TCP_FLOW_LIMIT));
        assertEquals(1, h.onLoop(port::connectionCount));
    }

    /**
     * accept(2) failing with EMFILE leaves the clients in the listener's backlog; the listener is edge-triggered, so
     * unless it tries again by itself they wait for the next client to arrive. Our own soft limit is lowered to 3
     * (nothing can be opened) and restored a second later by a process started beforehand: a JVM without free
     * descriptors cannot start one.
     */
    @Test
    void clientsQueuedWhileAcceptFailedAreTakenWhenDescriptorsAreBackWithoutANewArrival() throws Exception {
        PublishedTcpPort port = publish();
        h.send(arpRequest(GUEST_MAC, GUEST, GATEWAY));
        InetSocketAddress at = h.onLoop(port::localAddress);
        List<SocketChannel> clients = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            clients.add(SocketChannel.open());
        }
        Path lowered = Files.createTempFile("nofile-lowered", "");
        Files.delete(lowered);
        String[] limits = openFileLimits();
        Process limiter = new ProcessBuilder("sh", "-c",
                "prlimit --pid \"$0\" --nofile=3:\"$1\" && touch \"$2\" && sleep 1; prlimit --pid \"$0\" --nofile=\"$3\":\"$1\"",
                Long.toString(ProcessHandle.current().pid()), limits[1], lowered.toString(), limits[0])
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try {
            while (!Files.exists(lowered)) {
                assertTrue(limiter.isAlive() || Files.exists(lowered), "prlimit failed");
                Thread.sleep(10);
            }
            for (SocketChannel c : clients) {
                c.connect(at); // completes in the kernel's backlog; the stack's accept fails
            }
            assertTrue(limiter.waitFor(10, TimeUnit.SECONDS));
            assertEquals(0, limiter.exitValue());
            assertEquals(limits[0], openFileLimits()[0], "the soft limit is restored");
            for (SocketChannel c : clients) {
                Parsed syn = nextToGuest();
                assertEquals(SYN, syn.flags(), "a queued client reached the guest");
            }
        } finally {
            limiter.destroyForcibly().waitFor();
            Files.deleteIfExists(lowered);
            for (SocketChannel c : clients) {
                c.close();
            }
        }
    }

    /** {soft, hard} RLIMIT_NOFILE of this JVM. */
    private static String[] openFileLimits() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                String[] f = line.substring("Max open files".length()).strip().split("\\s+");
                return new String[] {f[0], f[1]};
            }
        }
        throw new AssertionError("no Max open files line in /proc/self/limits");
    }

    @Test
    void clientAddressesKeepTheirRealValueUnlessItMeansSomethingElseInside() throws Exception {
        Destinations d = new Destinations(UsernetConfig.defaults(List.of()));
        assertEquals(GATEWAY, d.guestVisibleClient(InetAddress.getByName("127.0.0.1")));
        assertEquals(GATEWAY, d.guestVisibleClient(InetAddress.getByName("127.3.4.5")));
        assertEquals(GATEWAY, d.guestVisibleClient(InetAddress.getByName("::1")));
        assertEquals(GATEWAY, d.guestVisibleClient(InetAddress.getByName("10.0.2.100")), "the guest's own subnet");
        assertEquals(GATEWAY, d.guestVisibleClient(InetAddress.getByName("fd00::1")), "IPv6: no such address inside");
        assertEquals(Ipv4Address.parse("192.168.1.7"), d.guestVisibleClient(InetAddress.getByName("192.168.1.7")));
        assertEquals(Ipv4Address.parse("192.168.1.7"),
                d.guestVisibleClient(InetAddress.getByAddress(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1,
                        (byte) 192, (byte) 168, 1, 7})), "IPv4-mapped");
    }
}
