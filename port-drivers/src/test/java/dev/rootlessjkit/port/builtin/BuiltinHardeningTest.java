package dev.rootlessjkit.port.builtin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.log.Log;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What a slow target, a burst of UDP clients or fd exhaustion must not do to the other published ports. */
@Timeout(120)
class BuiltinHardeningTest {
    @TempDir
    Path state;

    /**
     * A target whose accept queue is full drops SYNs, so connects to it hang. A hundred clients of that port
     * must not delay a connection to another published port.
     */
    @Test
    void aSlowTargetDoesNotStallOtherPorts() throws Exception {
        try (DriverPair pair = new DriverPair(state, Duration.ofSeconds(90), null, new Log("test", false));
                ServerSocket slow = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                ServerSocket echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            final List<SocketChannel> held = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                final SocketChannel c = SocketChannel.open();
                c.configureBlocking(false);
                c.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), slow.getLocalPort()));
                held.add(c);
            }
            final int slowPort = pair.publish("tcp", "127.0.0.1", slow.getLocalPort());
            final int echoPort = pair.publish("tcp", "127.0.0.1", Peers.serveTcpEcho(echo));
            final List<Socket> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 100; i++) {
                    clients.add(new Socket(InetAddress.getLoopbackAddress(), slowPort));
                }
                Peers.roundTrips(echoPort, 5);
            } finally {
                for (Socket c : clients) {
                    c.close();
                }
                for (SocketChannel c : held) {
                    c.close();
                }
            }
        }
    }

    /**
     * 22,000 one-datagram clients (each from its own loopback address) fill the flow table several times over;
     * 20 fresh clients afterwards must each still get their echo: the idlest flows make room.
     */
    @Test
    void freshUdpClientsAreServedAfterAFloodOfFlows() throws Exception {
        try (DriverPair pair = new DriverPair(state, Duration.ofSeconds(90), null, new Log("test", false));
                DatagramSocket echo = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            final int port = pair.publish("udp", "127.0.0.1", Peers.serveUdpEcho(echo));
            final InetSocketAddress to = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
            final long fdsBefore = Peers.openFds();
            for (int i = 0; i < 22_000; i++) {
                try (DatagramChannel c = DatagramChannel.open()) {
                    c.bind(new InetSocketAddress(InetAddress.getByAddress(
                            new byte[] {127, 1, (byte) (i / 250), (byte) (i % 250 + 1)}), 0));
                    c.send(ByteBuffer.wrap(new byte[] {1}), to);
                }
                if (i % 500 == 499) {
                    Thread.sleep(20); // lets the forwarder keep up, so the table really fills
                }
            }
            awaitDrained(to);
            final long flowFds = Peers.openFds() - fdsBefore;
            assertTrue(flowFds <= UdpForwarder.MAX_FLOWS + 64, flowFds + " fds held after the flood");
            int answered = 0;
            for (int i = 0; i < 20; i++) {
                try (DatagramSocket c = new DatagramSocket(new InetSocketAddress(
                        InetAddress.getByAddress(new byte[] {127, 2, 0, (byte) (i + 1)}), 0))) {
                    c.setSoTimeout(3000);
                    final byte[] ping = ("fresh " + i).getBytes(StandardCharsets.US_ASCII);
                    c.send(new DatagramPacket(ping, ping.length, to));
                    final DatagramPacket r = new DatagramPacket(new byte[100], 100);
                    try {
                        c.receive(r);
                        answered += new String(r.getData(), 0, r.getLength(), StandardCharsets.US_ASCII)
                                .equals("fresh " + i) ? 1 : 0;
                    } catch (SocketTimeoutException e) {
                        // counted as lost
                    }
                }
            }
            assertEquals(20, answered);
        }
    }

    /**
     * Waits until a probe gets its answer: datagrams of the flood still queued in the listener's socket buffer
     * would otherwise crowd out the first fresh one (a drop in the kernel, not in the flow table).
     */
    private static void awaitDrained(InetSocketAddress to) throws IOException {
        try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(InetAddress.getByAddress(
                new byte[] {127, 3, 0, 1}), 0))) {
            probe.setSoTimeout(500);
            for (int i = 0; i < 20; i++) {
                probe.send(new DatagramPacket(new byte[1], 1, to));
                try {
                    probe.receive(new DatagramPacket(new byte[100], 100));
                    return;
                } catch (SocketTimeoutException e) {
                    // still draining
                }
            }
        }
    }

    /**
     * Each relayed connection holds descriptors in the parent: one client address gets at most its share of the
     * driver's budget (beyond it: a reset at once, not a wait), a client from another address still gets in, and a
     * closed connection gives its slot back.
     */
    @Test
    void oneClientAddressCannotTakeEveryRelaySlot() throws Exception {
        final ConnectionBudget budget = new ConnectionBudget(8, 3);
        try (DriverPair pair = new DriverPair(state, Duration.ofSeconds(90), null, budget, new Log("test", false));
                ServerSocket echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            final int port = pair.publish("tcp", "127.0.0.1", Peers.serveTcpEcho(echo));
            final InetAddress local = InetAddress.getByName("127.0.0.1");
            final List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    held.add(echoOnce(local, port));
                }
                assertEquals(3, budget.inUse());
                // The reset may reach the connect already, or the write, or the read.
                assertThrows(SocketException.class, () -> {
                    try (Socket refused = connectFrom(local, port)) {
                        refused.getOutputStream().write('x');
                        refused.getInputStream().read();
                    }
                }, "a fourth connection from one address is reset");
                try (Socket other = echoOnce(InetAddress.getByName("127.0.0.2"), port)) {
                    assertEquals(4, budget.inUse(), "another address is relayed meanwhile");
                }
                held.remove(0).close();
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (budget.inUse() > 2 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                echoOnce(local, port).close();
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
        }
    }

    private static Socket connectFrom(InetAddress source, int port) throws IOException {
        final Socket s = new Socket();
        s.bind(new InetSocketAddress(source, 0));
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 3000);
        s.setSoTimeout(3000);
        return s;
    }

    /** A connection from {@code source} that has carried one byte each way through the relay. */
    private static Socket echoOnce(InetAddress source, int port) throws IOException {
        final Socket s = connectFrom(source, port);
        s.getOutputStream().write('e');
        assertEquals('e', s.getInputStream().read());
        return s;
    }

    /**
     * With every fd of this process in use, accept(2) fails with EMFILE and the connection stays queued: the
     * parent must pause (a few warnings a second, not a busy loop) and serve the connection once fds are free.
     */
    @Test
    void acceptBacksOffOnFdExhaustionAndRecovers() throws Exception {
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();
        final PrintStream stderr = System.err;
        final PrintStream capture = new PrintStream(captured, true, StandardCharsets.UTF_8);
        System.setErr(capture);
        final Log log;
        try {
            log = new Log("test", false);
        } finally {
            System.setErr(stderr);
        }
        try (DriverPair pair = new DriverPair(state, Duration.ofSeconds(90), null, log);
                ServerSocket echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            final int port = pair.publish("tcp", "127.0.0.1", Peers.serveTcpEcho(echo));
            Peers.roundTrips(port, 2);
            final List<FileInputStream> filler = new ArrayList<>();
            final Socket client;
            try {
                try {
                    while (true) {
                        filler.add(new FileInputStream("/dev/null"));
                    }
                } catch (IOException e) {
                    // EMFILE: every fd is taken
                }
                filler.remove(filler.size() - 1).close();
                client = new Socket(); // takes the one free fd; the handshake completes in the kernel's backlog
                client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 3000);
                Thread.sleep(1000);
            } finally {
                for (FileInputStream f : filler) {
                    f.close();
                }
            }
            final long warnings = captured.toString(StandardCharsets.UTF_8).lines()
                    .filter(l -> l.contains("accept")).count();
            assertTrue(warnings >= 1 && warnings <= 20, warnings + " accept warnings in one second");
            try (client) {
                client.setSoTimeout(3000);
                client.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
                client.shutdownOutput();
                assertEquals("ping", new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
            }
        }
    }
}
