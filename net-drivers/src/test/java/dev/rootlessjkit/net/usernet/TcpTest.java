package dev.rootlessjkit.net.usernet;

import static dev.rootlessjkit.net.usernet.header.Tcp.FIN;
import static dev.rootlessjkit.net.usernet.header.Tcp.SYN;
import static dev.rootlessjkit.net.usernet.header.Tcp.RST;
import static dev.rootlessjkit.net.usernet.header.Tcp.PSH;
import static dev.rootlessjkit.net.usernet.header.Tcp.ACK;
import static dev.rootlessjkit.net.usernet.TestFrames.GATEWAY;
import static dev.rootlessjkit.net.usernet.TestFrames.GUEST;
import static dev.rootlessjkit.net.usernet.TestFrames.synOptions;
import static dev.rootlessjkit.net.usernet.TestFrames.tcpFrame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class TcpTest {
    static final byte[] NONE = new byte[0];

    @RegisterExtension
    static final UsernetStacks stacks = new UsernetStacks();

    private ServerSocket server;
    private StackHarness h;

    @BeforeEach
    void setUp() throws IOException {
        server = new ServerSocket();
        server.setReceiveBufferSize(8192);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        server.setSoTimeout(5000);
    }

    @AfterEach
    void tearDown() throws IOException {
        server.close();
    }

    private StackHarness harness() {
        h = stacks.harness();
        return h;
    }

    private StackHarness harness(TestConfig config) {
        h = stacks.harness(config.build());
        return h;
    }

    /** At most {@code maxFlows} connections from the guest, each with these buffers. */
    private static TestConfig limits(int maxFlows, int receiveBuffer, int sendBuffer) {
        return TestConfig.defaults().tcpOutbound(new UsernetConfig.TableLimits(maxFlows, maxFlows, maxFlows))
                .tcpBuffers(receiveBuffer, sendBuffer);
    }

    /** The guest's end of one connection, tracking its own sequence numbers. */
    private final class Conn {
        final int port;
        final int dstPort;
        int seq = 1000;
        int ack;
        int window;
        int stackWscale;
        Socket peer;
        Parsed synAck;

        Conn(int port, int dstPort, int window) {
            this.port = port;
            this.dstPort = dstPort;
            this.window = window;
        }

        Parsed syn(byte[] options) {
            h.send(tcpFrame(GUEST, port, GATEWAY, dstPort, seq, 0, SYN, window, options, NONE));
            return next();
        }

        /** SYN, SYN-ACK, ACK; accepts the host side. */
        Conn open(byte[] options) throws IOException {
            synAck = syn(options);
            assertEquals(SYN | ACK, synAck.flags(), synAck.toString());
            assertEquals(seq + 1, synAck.ack());
            peer = server.accept();
            seq++;
            ack = synAck.seq() + 1;
            stackWscale = wscaleOf(synAck.tcpOptions());
            send(ACK, NONE);
            return this;
        }

        Conn open() throws IOException {
            return open(synOptions(1460, -1));
        }

        void send(int flags, byte[] data) {
            sendAt(seq, flags, data);
            seq += data.length + ((flags & FIN) != 0 ? 1 : 0);
        }

        void sendAt(int at, int flags, byte[] data) {
            h.send(tcpFrame(GUEST, port, GATEWAY, dstPort, at, ack, flags, window, NONE, data));
        }

        Parsed next() {
            Parsed p = h.next(f -> f.isTcp() && f.dstPort() == port);
            p.checkL4();
            assertEquals(GATEWAY, p.ipSrc());
            assertEquals(dstPort, p.srcPort());
            return p;
        }

        /** The next segment with payload or FIN, skipping pure ACKs. */
        Parsed nextData() {
            Parsed p = h.next(f -> f.isTcp() && f.dstPort() == port && (f.payload().length > 0 || f.has(FIN)));
            p.checkL4();
            return p;
        }

        byte[] readPeer(int n) throws IOException {
            peer.setSoTimeout(5000);
            return peer.getInputStream().readNBytes(n);
        }
    }

    private static int wscaleOf(byte[] options) {
        for (int i = 0; i < options.length;) {
            int kind = options[i] & 0xff;
            if (kind == 0) {
                break;
            }
            if (kind == 1) {
                i++;
                continue;
            }
            if (kind == 3) {
                return options[i + 2];
            }
            i += options[i + 1];
        }
        return 0;
    }

    private static int mssOf(byte[] options) {
        for (int i = 0; i < options.length;) {
            int kind = options[i] & 0xff;
            if (kind == 1) {
                i++;
                continue;
            }
            if (kind == 2) {
                return ((options[i + 2] & 0xff) << 8) | (options[i + 3] & 0xff);
            }
            i += options[i + 1];
        }
        return -1;
    }

    @Test
    void handshakeOnlyAfterTheHostAcceptedThenDataBothWays() throws IOException {
        harness();
        Conn c = new Conn(33000, server.getLocalPort(), 65535);
        Parsed synAck = c.syn(synOptions(1460, 7));
        assertEquals(SYN | ACK, synAck.flags());
        assertEquals(1001, synAck.ack());
        assertEquals(65520 - 40, mssOf(synAck.tcpOptions()));
        assertTrue(wscaleOf(synAck.tcpOptions()) > 0, "window scaling offered back");
        Socket peer = server.accept();

        c.seq = 1001;
        c.ack = synAck.seq() + 1;
        c.send(ACK, NONE);
        c.send(ACK | PSH, "hello".getBytes());
        peer.setSoTimeout(5000);
        assertArrayEquals("hello".getBytes(), peer.getInputStream().readNBytes(5));
        Parsed ack = c.next();
        assertEquals(1006, ack.ack());

        peer.getOutputStream().write("world".getBytes());
        Parsed data = c.nextData();
        assertEquals(c.ack, data.seq());
        assertArrayEquals("world".getBytes(), data.payload());
        assertTrue(data.has(PSH));
        assertEquals(1, h.onLoop(h.stack::tcpFlowCount));
        peer.close();
    }

    @Test
    void synToAClosedPortIsReset() throws IOException {
        harness();
        int port = server.getLocalPort();
        server.close();
        Parsed r = new Conn(33001, port, 65535).syn(synOptions(1460, -1));
        assertTrue(r.has(RST), r.toString());
        assertEquals(1001, r.ack());
        assertEquals(1, h.counter(Counter.TCP_CONNECT_REFUSED));
        assertEquals(0, h.onLoop(h.stack::tcpFlowCount));
    }

    @Test
    void hostLoopbackRefusedWhenDisabled() {
        harness(TestConfig.defaults().disableHostLoopback(true));
        Parsed r = new Conn(33002, server.getLocalPort(), 65535).syn(synOptions(1460, -1));
        assertTrue(r.has(RST));
        assertEquals(1, h.counter(Counter.TCP_CONNECT_REFUSED));
    }

    @Test
    void flowsBeyondTheLimitAreReset() throws IOException {
        harness(limits(1, 1 << 20, 1 << 20));
        new Conn(33003, server.getLocalPort(), 65535).open();
        Parsed r = new Conn(33004, server.getLocalPort(), 65535).syn(synOptions(1460, -1));
        assertTrue(r.has(RST));
        assertEquals(1, h.counter(Counter.TCP_FLOW_LIMIT));
    }

    @Test
    void segmentsOfNoFlowAreReset() {
        harness();
        h.send(tcpFrame(GUEST, 33005, GATEWAY, 80, 5000, 777, ACK, 100, NONE, "x".getBytes()));
        Parsed r = h.next(f -> f.isTcp());
        assertEquals(RST, r.flags());
        assertEquals(777, r.seq());
        h.send(tcpFrame(GUEST, 33005, GATEWAY, 80, 5000, 0, RST, 100, NONE, NONE));
        h.expectNothing(30);
    }

    @Test
    void synAckIsRetransmittedAndRepeatedForARetransmittedSyn() throws IOException {
        harness();
        Conn c = new Conn(33006, server.getLocalPort(), 65535);
        Parsed first = c.syn(synOptions(1460, -1));
        h.send(tcpFrame(GUEST, 33006, GATEWAY, c.dstPort, 1000, 0, SYN, 65535, synOptions(1460, -1), NONE));
        assertEquals(first.seq(), c.next().seq());
        h.advance(Duration.ofMillis(1100));
        Parsed again = c.next();
        assertEquals(SYN | ACK, again.flags());
        assertEquals(first.seq(), again.seq());
        assertTrue(h.counter(Counter.TCP_RETRANSMITS) >= 1);
    }

    @Test
    void outOfOrderSegmentsAreHeldUntilTheGapIsFilled() throws IOException {
        harness();
        Conn c = new Conn(33007, server.getLocalPort(), 65535).open();
        c.sendAt(c.seq + 5, ACK, "world".getBytes());
        Parsed dup = c.next();
        assertEquals(c.seq, dup.ack(), "a duplicate ACK for the gap");
        c.send(ACK, "hello".getBytes());
        Parsed ack = c.next();
        assertEquals(c.seq + 5, ack.ack(), "both segments acknowledged");
        assertArrayEquals("helloworld".getBytes(), c.readPeer(10));
        assertEquals(1, h.counter(Counter.TCP_OUT_OF_ORDER));

        // Data already received is answered with an ACK and not delivered twice.
        c.seq += 5;
        c.sendAt(c.seq - 10, ACK, "HELLOWORLD".getBytes());
        assertEquals(c.seq, c.next().ack());
        c.send(ACK, "!".getBytes());
        assertArrayEquals("!".getBytes(), c.readPeer(1));
    }

    @Test
    void outOfOrderDataOfAllConnectionsTogetherStaysWithinTheStacksBudget() throws IOException {
        final int receiveBuffer = 64 * 1024;
        final long budget = 160 * 1024;
        harness(limits(64, receiveBuffer, 64 * 1024).tcpReorderBudget(budget));
        final byte[] chunk = new byte[1000];
        final List<Conn> conns = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            final Conn c = new Conn(33100 + i, server.getLocalPort(), 65535).open();
            conns.add(c);
            // Everything after a one-byte gap: each connection alone may queue its receive buffer's worth.
            for (int k = 0; k < 60; k++) {
                c.sendAt(c.seq + 1 + k * chunk.length, ACK, chunk);
                c.next();
            }
        }
        final long[] held = h.onLoop(h.stack::tcpBuffered);
        assertTrue(held[0] <= receiveBuffer, "one connection holds " + held[0]);
        assertTrue(held[1] <= budget, "all connections hold " + held[1] + ", over the stack's budget of " + budget);
        assertTrue(held[1] > budget - 2 * (chunk.length + 512), "the budget was used: " + held[1]);

        // Filling the first connection's gap delivers what it queued and gives its share back, so the last
        // connection, refused before, can queue out-of-order data again.
        final Conn first = conns.get(0);
        final int gapAt = first.seq;
        first.send(ACK, new byte[] {1});
        final int delivered = first.next().ack() - gapAt;
        assertTrue(delivered > 1 + 40 * chunk.length, "delivered " + delivered);
        assertEquals(delivered, first.readPeer(delivered).length);
        final Conn last = conns.get(conns.size() - 1);
        last.sendAt(last.seq + 1, ACK, "later".getBytes());
        last.next();
        last.send(ACK, "x".getBytes());
        assertArrayEquals("xlater".getBytes(), last.readPeer(6), "the out-of-order segment was queued");
    }

    @Test
    void retransmitsWithBackoffUntilAcknowledged() throws IOException {
        harness();
        Conn c = new Conn(33008, server.getLocalPort(), 65535).open();
        c.peer.getOutputStream().write("data".getBytes());
        Parsed first = c.nextData();
        h.advance(Duration.ofMillis(250));
        Parsed second = c.nextData();
        assertEquals(first.seq(), second.seq());
        assertArrayEquals("data".getBytes(), second.payload());
        h.advance(Duration.ofMillis(250));
        h.expectNothing(30);
        h.advance(Duration.ofMillis(200));
        assertEquals(first.seq(), c.nextData().seq(), "the second retransmission waits twice as long");
        assertEquals(2, h.counter(Counter.TCP_RETRANSMITS));
        c.ack = first.seq() + 4;
        c.send(ACK, NONE);
        h.advance(Duration.ofSeconds(10));
        h.expectNothing(30);
    }

    @Test
    void givesUpAfterTooManyRetransmissions() throws IOException {
        harness();
        Conn c = new Conn(33009, server.getLocalPort(), 65535).open();
        c.peer.getOutputStream().write("data".getBytes());
        c.nextData();
        for (int i = 0; i < 14; i++) {
            h.advance(Duration.ofSeconds(60));
        }
        h.next(f -> f.isTcp() && f.has(RST));
        assertEquals(0, h.onLoop(h.stack::tcpFlowCount));
        assertEquals(1, h.counter(Counter.TCP_ABORTED_TIMEOUT));
        c.peer.setSoTimeout(5000);
        assertThrows(IOException.class, () -> c.peer.getInputStream().read());
    }

    @Test
    void sendsNoMoreThanTheGuestsWindowAndProbesAZeroWindow() throws IOException {
        harness();
        Conn c = new Conn(33010, server.getLocalPort(), 1000).open();
        byte[] data = new byte[3000];
        new Random(4).nextBytes(data);
        c.peer.getOutputStream().write(data);
        Parsed s1 = c.nextData();
        assertEquals(1000, s1.payload().length);
        h.expectNothing(50);
        c.ack += 1000;
        c.window = 0;
        c.send(ACK, NONE);
        h.expectNothing(50);
        h.advance(Duration.ofMillis(300));
        Parsed probe = c.next();
        assertEquals(c.ack - 1, probe.seq(), "a window probe carries an old sequence number");
        assertEquals(0, probe.payload().length);
        c.window = 5000;
        c.send(ACK, NONE);
        byte[] rest = concat(c.nextData().payload(), c.nextData().payload());
        assertArrayEquals(Arrays.copyOfRange(data, 1000, 3000), rest, "in segments of the guest's MSS");
    }

    @Test
    void honoursTheGuestsWindowScale() throws IOException {
        harness();
        Conn c = new Conn(33011, server.getLocalPort(), 65535);
        c.open(synOptions(1000, 2));
        c.window = 750;
        c.send(ACK, NONE);
        c.peer.getOutputStream().write(new byte[5000]);
        int got = 0;
        got += c.nextData().payload().length;
        got += c.nextData().payload().length;
        got += c.nextData().payload().length;
        h.expectNothing(50);
        assertEquals(3000, got, "750 << 2 bytes, in segments of the guest's MSS of 1000");
    }

    @Test
    void transfersMegabytesFromTheHostWithBackpressure() throws Exception {
        int sendBuffer = 64 * 1024;
        harness(limits(16, 1 << 20, sendBuffer));
        Conn c = new Conn(33012, server.getLocalPort(), 65535).open(synOptions(65000, 7));
        c.window = 4096;
        // More than the kernel's socket buffers on both ends hold, so the writer really waits for us.
        c.peer.setSendBufferSize(8192);
        byte[] data = new byte[8 << 20];
        new Random(5).nextBytes(data);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                c.peer.getOutputStream().write(data);
                c.peer.shutdownOutput();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        // Without ACKs the stack stops reading from the host once it holds about its send buffer.
        int unacked = 0;
        Parsed p;
        while ((p = h.out.poll(300, java.util.concurrent.TimeUnit.MILLISECONDS)) != null) {
            unacked += p.payload().length;
        }
        assertTrue(unacked > 0 && unacked <= sendBuffer + 65536, "held for the guest: " + unacked);
        assertFalse(writer.isDone(), "the host's writer is held back");

        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        got.write(data, 0, unacked);
        c.ack += unacked;
        c.send(ACK, NONE);
        while (true) {
            Parsed s = c.nextData();
            assertEquals(c.ack, s.seq());
            got.write(s.payload());
            c.ack += s.payload().length;
            if (s.has(FIN)) {
                c.ack++;
                c.send(ACK, NONE);
                break;
            }
            c.send(ACK, NONE);
        }
        writer.get();
        assertArrayEquals(data, got.toByteArray());
    }

    @Test
    void closesTheWindowWhileTheHostDoesNotReadAndReopensItWhenItDoes() throws Exception {
        int receiveBuffer = 128 * 1024;
        harness(limits(16, receiveBuffer, 1 << 20));
        Conn c = new Conn(33013, server.getLocalPort(), 65535).open(synOptions(65000, 7));
        byte[] chunk = new byte[60000];
        long sent = 0;
        int window = Integer.MAX_VALUE;
        while (window > 0 && sent < 64L << 20) {
            int n = (int) Math.min(chunk.length, window);
            c.send(ACK, Arrays.copyOf(chunk, n));
            sent += n;
            Parsed ack = c.next();
            assertEquals(c.seq, ack.ack());
            window = ack.window() << c.stackWscale;
        }
        assertEquals(0, window, "the window closes once the host socket stops taking data");

        long total = sent;
        CompletableFuture<Long> reader = CompletableFuture.supplyAsync(() -> {
            try {
                InputStream in = c.peer.getInputStream();
                byte[] buf = new byte[65536];
                long n = 0;
                while (n < total) {
                    n += in.read(buf);
                }
                return n;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Parsed update = h.next(f -> f.isTcp() && f.window() > 0);
        assertEquals(c.seq, update.ack());
        assertEquals(total, reader.get());
    }

    @Test
    void aHostSocketStillWritingAfterTheConnectionEndedKeepsItsSlotUntilItIsEvictedAndReset() throws IOException {
        // A table of one: the ended connection's host socket must stay counted in it while it is open.
        harness(limits(1, 128 * 1024, 1 << 20));
        Conn c = new Conn(33030, server.getLocalPort(), 65535).open(synOptions(65000, 7));
        // The host closes its side and never reads: what the guest sends next stays in the host socket's buffers.
        c.peer.shutdownOutput();
        Parsed fin = c.nextData();
        assertTrue(fin.has(FIN));
        c.ack = fin.seq() + 1;
        c.send(ACK, NONE);
        byte[] chunk = new byte[60000];
        int window = Integer.MAX_VALUE;
        boolean finSent = false;
        while (!finSent) {
            // The last chunk fits what is left of the window and carries the guest's FIN.
            finSent = window <= chunk.length;
            c.send(finSent ? ACK | FIN : ACK, Arrays.copyOf(chunk, Math.min(chunk.length, window)));
            Parsed ack = c.next();
            assertEquals(c.seq, ack.ack());
            window = ack.window() << c.stackWscale;
        }
        // TIME-WAIT ends; the host socket still holds the guest's data.
        h.advance(Duration.ofSeconds(3));
        assertEquals(1, h.onLoop(h.stack::tcpFlowCount), "the ended connection keeps its slot while its socket is open");

        Parsed next = new Conn(33031, server.getLocalPort(), 65535).syn(synOptions(1460, -1));
        assertEquals(SYN | ACK, next.flags(), "the idle ended connection makes room, as any idle one does");
        assertEquals(1, h.counter(Counter.TCP_FLOWS_EVICTED));
        c.peer.setSoTimeout(5000);
        InputStream in = c.peer.getInputStream();
        assertThrows(java.net.SocketException.class, () -> {
            byte[] buf = new byte[65536];
            while (in.read(buf) >= 0) {
                // what the host socket had sent before the reset
            }
        }, "its host socket was reset");
    }

    @Test
    void guestClosesFirstThenHost() throws IOException {
        harness();
        Conn c = new Conn(33014, server.getLocalPort(), 65535).open();
        c.send(ACK | FIN, "last".getBytes());
        assertEquals(c.seq, c.next().ack(), "the FIN is acknowledged");
        assertArrayEquals("last".getBytes(), c.readPeer(4));
        assertEquals(-1, c.peer.getInputStream().read(), "the host sees the half-close");

        c.peer.getOutputStream().write("bye".getBytes());
        c.peer.close();
        byte[] got = new byte[0];
        Parsed s;
        do {
            s = c.nextData();
            got = concat(got, s.payload());
        } while (!s.has(FIN));
        assertArrayEquals("bye".getBytes(), got);
        c.ack = s.seq() + s.payload().length + 1;
        c.send(ACK, NONE);
        assertEquals(0, h.onLoop(h.stack::tcpFlowCount), "LAST-ACK ends with the ACK of our FIN");
    }

    @Test
    void hostClosesFirstAndTheGuestMayStillSend() throws IOException {
        harness();
        Conn c = new Conn(33015, server.getLocalPort(), 65535).open();
        c.peer.shutdownOutput();
        Parsed fin = c.nextData();
        assertTrue(fin.has(FIN));
        c.ack = fin.seq() + 1;
        c.send(ACK, NONE);
        c.send(ACK, "more".getBytes());
        assertEquals(c.seq, c.next().ack());
        assertArrayEquals("more".getBytes(), c.readPeer(4));
        c.send(ACK | FIN, NONE);
        assertEquals(c.seq, c.next().ack());
        assertEquals(-1, c.peer.getInputStream().read());
        // TIME-WAIT answers a retransmitted FIN, then ends.
        c.sendAt(c.seq - 1, ACK | FIN, NONE);
        assertEquals(c.seq, c.next().ack());
        assertEquals(1, h.onLoop(h.stack::tcpFlowCount));
        h.advance(Duration.ofSeconds(3));
        assertEquals(0, h.onLoop(h.stack::tcpFlowCount));
    }

    @Test
    void simultaneousCloseGoesThroughClosing() throws IOException {
        harness();
        Conn c = new Conn(33016, server.getLocalPort(), 65535).open();
        c.peer.shutdownOutput();
        Parsed fin = c.nextData();
        // The guest's FIN crosses ours: it does not acknowledge our FIN yet.
        c.send(ACK | FIN, NONE);
        assertEquals(c.seq, c.next().ack());
        c.ack = fin.seq() + 1;
        c.send(ACK, NONE);
        assertEquals(1, h.onLoop(h.stack::tcpFlowCount));
        h.advance(Duration.ofSeconds(3));
        assertEquals(0, h.onLoop(h.stack::tcpFlowCount));
    }

    @Test
    void finIsRetransmittedWhenLost() throws IOException {
        harness();
        Conn c = new Conn(33017, server.getLocalPort(), 65535).open();
        c.peer.shutdownOutput();
        Parsed fin = c.nextData();
        h.advance(Duration.ofMillis(300));
        Parsed again = c.nextData();
        assertTrue(again.has(FIN));
        assertEquals(fin.seq(), again.seq());
    }

    @Test
    void idleConnectionsAreResetAfterTheIdleTimeoutAndHalfClosedOnesSooner() throws IOException {
        harness();
        Conn open = new Conn(33030, server.getLocalPort(), 65535).open();
        Conn halfClosed = new Conn(33031, server.getLocalPort(), 65535).open();
        halfClosed.send(ACK | FIN, NONE);
        halfClosed.next();
        h.advance(Duration.ofMinutes(1));
        open.send(ACK, "still here".getBytes());
        open.next();
        h.advance(Duration.ofMinutes(3).plusSeconds(1));
        Parsed r = h.next(f -> f.isTcp() && f.has(RST));
        assertEquals(33031, r.dstPort(), "the half-closed connection goes after 4 minutes of silence (RFC 5382)");
        assertEquals(1, h.onLoop(h.stack::tcpFlowCount));
        assertEquals(-1, halfClosed.peer.getInputStream().read(), "the host had the guest's FIN");

        open.readPeer(10);
        h.advance(Duration.ofHours(2));
        h.expectNothing(20);
        h.advance(Duration.ofMinutes(4));
        r = h.next(f -> f.isTcp() && f.has(RST));
        assertEquals(33030, r.dstPort());
        assertEquals(0, h.onLoop(h.stack::tcpFlowCount));
        assertEquals(2, h.counter(Counter.TCP_IDLE_TIMEOUTS));
        open.peer.setSoTimeout(5000);
        assertThrows(IOException.class, () -> open.peer.getInputStream().read(), "the host side is reset too");
    }

    @Test
    void guestResetClosesTheHostConnection() throws IOException {
        harness();
        Conn c = new Conn(33018, server.getLocalPort(), 65535).open();
        c.sendAt(c.seq + 100, RST, NONE);
        assertEquals(c.seq, c.next().ack(), "an out-of-place RST only gets a challenge ACK");
        assertEquals(1, h.onLoop(h.stack::tcpFlowCount));
        c.send(RST, NONE);
        assertEquals(0, h.onLoop(h.stack::tcpFlowCount));
        c.peer.setSoTimeout(5000);
        assertThrows(IOException.class, () -> c.peer.getInputStream().read());
    }

    @Test
    void hostResetResetsTheGuest() throws IOException {
        harness();
        Conn c = new Conn(33019, server.getLocalPort(), 65535).open();
        c.peer.setSoLinger(true, 0);
        c.peer.close();
        Parsed r = h.next(f -> f.isTcp() && f.has(RST));
        assertEquals(c.seq, r.ack());
        assertEquals(0, h.onLoop(h.stack::tcpFlowCount));
    }

    @Test
    void dropsBadChecksumsAndMalformedHeaders() {
        harness();
        byte[] f = tcpFrame(GUEST, 33020, GATEWAY, 80, 1, 0, SYN, 100, NONE, NONE);
        f[f.length - 1] ^= 1;
        h.send(f);
        byte[] g = tcpFrame(GUEST, 33020, GATEWAY, 80, 1, 0, SYN, 100, NONE, NONE);
        g[14 + 20 + 12] = (byte) 0xf0;
        h.send(g);
        h.expectNothing(30);
        assertEquals(1, h.counter(Counter.TCP_BAD_CHECKSUM));
        assertEquals(1, h.counter(Counter.TCP_MALFORMED));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
