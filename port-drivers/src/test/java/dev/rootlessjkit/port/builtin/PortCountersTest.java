package dev.rootlessjkit.port.builtin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.api.PortCounters;
import dev.rootlessjkit.port.PortSpec;
import dev.rootlessjkit.port.PortStatus;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The builtin driver's per-port counters: real clients and servers on loopback, both halves in this JVM, and the
 * counters must say exactly what went through.
 */
@Timeout(60)
class PortCountersTest {
    private static final PortCounters.DialFailures NO_FAILURES = new PortCounters.DialFailures(0, 0, 0, 0, 0);

    @TempDir
    Path state;

    private final Log log = new Log("test", false);

    /**
     * The relays count as they move, on their own threads: what the client has seen may be counted a moment later,
     * so the counters are read until they match (or the time is up, and the last reading is reported).
     */
    private static <T> void eventually(T expected, Supplier<T> actual) throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        T last = actual.get();
        while (!Objects.equals(expected, last) && System.nanoTime() < deadline) {
            Thread.sleep(10);
            last = actual.get();
        }
        assertEquals(expected, last);
    }

    /** N connections of M bytes each way, through splice relays and through buffer relays. */
    @ParameterizedTest(name = "spliced={0}")
    @ValueSource(booleans = {true, false})
    void connectionsAndBytesEachWayAreCountedExactly(boolean spliced) throws Exception {
        try (RelayFixture fixture = new RelayFixture(state, spliced ? RelayFixture.relays(16, log)
                : RelayFixture.buffersOnly(log), log);
                ServerSocket echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            final RelayFixture.Published port = fixture.publish(Peers.serveTcpEcho(echo));
            final int connections = 4;
            final byte[] data = new byte[300_000];
            Arrays.fill(data, (byte) 7);
            final List<Socket> open = new ArrayList<>();
            try {
                for (int i = 0; i < connections; i++) {
                    final Socket s = new Socket(InetAddress.getLoopbackAddress(), port.port());
                    open.add(s);
                    s.setSoTimeout(5000);
                    final Thread writer = Peers.daemon(() -> {
                        try {
                            s.getOutputStream().write(data);
                        } catch (IOException e) {
                            // the read below fails too
                        }
                    });
                    assertArrayEquals(data, s.getInputStream().readNBytes(data.length));
                    writer.join();
                }
                final long bytes = (long) connections * data.length;
                eventually(new PortCounters.Tcp(connections, connections, 0, NO_FAILURES, bytes, bytes),
                        () -> port.traffic().counters().tcp());
            } finally {
                for (Socket s : open) {
                    s.close();
                }
            }
            eventually(0L, () -> port.traffic().counters().tcp().active());
            assertEquals(connections, port.traffic().counters().tcp().accepted());
        }
    }

    @Test
    void aDialRefusedInsideIsOneRefusedFailure() throws Exception {
        try (RelayFixture fixture = new RelayFixture(state, RelayFixture.relays(16, log), log)) {
            final RelayFixture.Published port = fixture.publish(Peers.freePort());
            Peers.roundTripsFail(port.port(), 1);
            eventually(new PortCounters.Tcp(1, 0, 1, new PortCounters.DialFailures(1, 0, 0, 0, 0), 0, 0),
                    () -> port.traffic().counters().tcp());
        }
    }

    @Test
    void aConnectionBeyondTheBudgetIsOneLimitFailure() throws Exception {
        try (DriverPair pair = new DriverPair(state, Duration.ofSeconds(90), null, new ConnectionBudget(8, 1), log);
                ServerSocket echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            final int port = pair.publish("tcp", "127.0.0.1", Peers.serveTcpEcho(echo));
            try (Socket held = new Socket(InetAddress.getLoopbackAddress(), port)) {
                held.getOutputStream().write('x');
                held.setSoTimeout(5000);
                assertEquals('x', held.getInputStream().read());
                assertThrows(SocketException.class, () -> {
                    try (Socket refused = new Socket(InetAddress.getLoopbackAddress(), port)) {
                        refused.getOutputStream().write('x');
                        refused.setSoTimeout(5000);
                        if (refused.getInputStream().read() < 0) {
                            throw new SocketException("closed");
                        }
                    }
                });
                eventually(new PortCounters.Tcp(2, 1, 1, new PortCounters.DialFailures(0, 0, 0, 1, 0), 1, 1),
                        () -> pair.parent.portCounters().get(1).tcp());
            }
        }
    }

    @Test
    void datagramsEachWayAndFlowsAreCounted() throws Exception {
        try (DriverPair pair = new DriverPair(state, Duration.ofSeconds(90), null, log);
                DatagramSocket echo = new DatagramSocket(0, InetAddress.getLoopbackAddress());
                DatagramSocket client = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            final int port = pair.publish("udp", "127.0.0.1", Peers.serveUdpEcho(echo));
            client.setSoTimeout(5000);
            final int datagrams = 20;
            final InetSocketAddress to = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
            for (int i = 0; i < datagrams; i++) {
                client.send(new DatagramPacket(new byte[100 + i], 100 + i, to));
                final DatagramPacket back = new DatagramPacket(new byte[1000], 1000);
                client.receive(back);
                assertEquals(100 + i, back.getLength());
            }
            final long bytes = datagrams * 100 + datagrams * (datagrams - 1) / 2;
            eventually(new PortCounters.Udp(1, datagrams, bytes, datagrams, bytes, 0, new PortCounters.Drops(0, 0, 0)),
                    () -> pair.parent.portCounters().get(1).udp());
        }
    }

    /** A port's counters go with it; the driver's total keeps what removed ports carried, with nothing active. */
    @Test
    void removingAPortDropsItsCountersButNotTheTotal() throws Exception {
        try (DriverPair pair = new DriverPair(state, Duration.ofSeconds(90), null, log);
                ServerSocket echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            final int inside = Peers.serveTcpEcho(echo);
            final PortStatus first = pair.parent.addPort(new PortSpec("tcp", "127.0.0.1", Peers.freePort(), "", inside));
            final PortStatus second = pair.parent.addPort(new PortSpec("udp", "127.0.0.1", Peers.freePort(), "", 9));
            assertEquals(PortCounters.zero(false), pair.parent.portCounters().get(second.id()));
            Peers.roundTrips(first.spec().parentPort(), 2);
            final PortCounters.Tcp carried = new PortCounters.Tcp(2, 0, 0, NO_FAILURES, 8, 8);
            eventually(carried, () -> pair.parent.portCounters().get(first.id()).tcp());

            pair.parent.removePort(first.id());
            assertEquals(Map.of(second.id(), PortCounters.zero(false)), pair.parent.portCounters());
            assertEquals(new PortCounters(carried, PortCounters.zero(false).udp()), pair.parent.totalCounters());
        }
    }
}
