package dev.rootlessjkit.port.builtin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.linux.Sysctl;
import dev.rootlessjkit.log.Log;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The UDP forwarder moves datagrams in batches and sends runs of one client's equal-sized datagrams as one
 * segmented message: through an echo server inside, every client must get back exactly what it sent, datagram by
 * datagram and in order, whatever sizes (0 to 65,507 bytes) and however the clients' datagrams interleave.
 */
@Timeout(120)
class UdpBatchingTest {
    private static final int[] SIZES = {0, 1, 2, 64, 512, 1400, 1472, 8192, 65507};
    /** A round stays well inside a socket's default receive buffer, so that no datagram is lost to the kernel. */
    private static final int ROUND_BYTES = 90_000;
    private static final int ROUND_DATAGRAMS = 60;

    @TempDir
    Path state;

    @Test
    void interleavedClientsGetEveryDatagramBackExactly() throws Exception {
        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        try (DriverPair pair = new DriverPair(state, Duration.ofSeconds(90), null, new Log("test", false));
                DatagramSocket echo = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            final InetSocketAddress to = new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    pair.publish("udp", "127.0.0.1", Peers.serveUdpEcho(echo)));
            final List<DatagramChannel> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 12; i++) {
                    clients.add(DatagramChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
                }
                round(clients, to, List.of(new Run(0, 0, 2), new Run(0, 65507, 1), new Run(1, 0, 1),
                        new Run(1, 1, 3)), random, seed);
                for (int r = 0; r < 40; r++) {
                    round(clients, to, randomRuns(random, clients.size()), random, seed);
                }
            } finally {
                for (DatagramChannel c : clients) {
                    c.close();
                }
            }
        }
    }

    /** {@code count} datagrams of {@code size} bytes from client {@code client}, back to back. */
    private record Run(int client, int size, int count) {
    }

    private static List<Run> randomRuns(Random random, int clients) {
        final List<Run> runs = new ArrayList<>();
        int bytes = 0;
        int datagrams = 0;
        while (true) {
            final int size = SIZES[random.nextInt(SIZES.length)];
            final int count = size > 8192 ? 1 : 1 + random.nextInt(12);
            if (bytes + size * count > ROUND_BYTES || datagrams + count > ROUND_DATAGRAMS) {
                return runs;
            }
            bytes += size * count;
            datagrams += count;
            runs.add(new Run(random.nextInt(clients), size, count));
            // A shorter last datagram after a run: still one segmented message.
            if (size > 1 && random.nextBoolean() && datagrams < ROUND_DATAGRAMS) {
                runs.add(new Run(runs.get(runs.size() - 1).client(), size / 2, 1));
                bytes += size / 2;
                datagrams++;
            }
        }
    }

    private static void round(List<DatagramChannel> clients, SocketAddress to, List<Run> runs, Random random,
            long seed) throws Exception {
        final List<List<byte[]>> expected = new ArrayList<>();
        clients.forEach(c -> expected.add(new ArrayList<>()));
        for (Run run : runs) {
            for (int i = 0; i < run.count(); i++) {
                final byte[] datagram = new byte[run.size()];
                random.nextBytes(datagram);
                expected.get(run.client()).add(datagram);
                clients.get(run.client()).send(ByteBuffer.wrap(datagram), to);
            }
        }
        final ByteBuffer buf = ByteBuffer.allocate(65536);
        for (int c = 0; c < clients.size(); c++) {
            final DatagramChannel client = clients.get(c);
            for (int i = 0; i < expected.get(c).size(); i++) {
                buf.clear();
                assertNotNull(receive(client, buf), "client " + c + " datagram " + i + " lost (seed " + seed + ")");
                buf.flip();
                assertArrayEquals(expected.get(c).get(i), Arrays.copyOf(buf.array(), buf.limit()),
                        "client " + c + " datagram " + i + " (seed " + seed + ")");
            }
        }
    }

    private static SocketAddress receive(DatagramChannel client, ByteBuffer buf) throws Exception {
        client.socket().setSoTimeout(5000);
        final DatagramPacket p = new DatagramPacket(buf.array(), buf.capacity());
        try {
            client.socket().receive(p);
        } catch (java.net.SocketTimeoutException e) {
            return null;
        }
        buf.position(p.getLength());
        return p.getSocketAddress();
    }

    /**
     * The UDP forwarding threads run one step below the default priority, so that a flood yields the core to the
     * receivers it feeds (UDP has no back-pressure); the process's other threads keep theirs.
     */
    @Test
    void udpForwardingThreadsRunAtALowerPriority() throws Exception {
        try (DriverPair pair = new DriverPair(state, Duration.ofSeconds(30), null, new Log("test", false));
                DatagramSocket inside = new DatagramSocket(0, InetAddress.getLoopbackAddress());
                DatagramSocket client = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            final InetSocketAddress to = new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    pair.publish("udp", "127.0.0.1", inside.getLocalPort()));
            inside.setSoTimeout(5000);
            relay(client, to, inside);
            final long mine = niceOf(Path.of("/proc/thread-self/stat"));
            final List<Long> udpThreads = new ArrayList<>();
            try (var tasks = Files.list(Path.of("/proc/self/task"))) {
                for (Path task : (Iterable<Path>) tasks::iterator) {
                    try {
                        if (Files.readString(task.resolve("comm")).startsWith("builtin-port-ud")) {
                            udpThreads.add(niceOf(task.resolve("stat")));
                        }
                    } catch (NoSuchFileException e) {
                        // a thread that ended since the listing (the JIT's come and go): not a UDP loop's
                    }
                }
            }
            assertFalse(udpThreads.isEmpty(), "no UDP forwarding thread");
            udpThreads.forEach(nice -> assertEquals(mine + UdpLoop.NICE_INCREMENT, nice,
                    "a UDP forwarding thread's nice value"));
        }
    }

    /** Field 19 of a /proc stat file: the nice value. */
    private static long niceOf(Path stat) throws Exception {
        final String s = Files.readString(stat);
        return Long.parseLong(s.substring(s.lastIndexOf(')') + 2).split(" ")[16]);
    }

    /**
     * A flow without traffic for the idle timeout is closed (its fd too); the client's next datagram starts a new
     * flow, which the server inside sees from a new port.
     */
    @Test
    void idleFlowsAreClosed() throws Exception {
        try (DriverPair pair = new DriverPair(state, Duration.ofMillis(500), null, new Log("test", false));
                DatagramSocket inside = new DatagramSocket(0, InetAddress.getLoopbackAddress());
                DatagramSocket client = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            final InetSocketAddress to = new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    pair.publish("udp", "127.0.0.1", inside.getLocalPort()));
            inside.setSoTimeout(5000);
            final Peers.FdSnapshot before = Peers.FdSnapshot.take();
            final SocketAddress first = relay(client, to, inside);
            assertEquals(first, relay(client, to, inside), "one flow while it is used");
            final Set<String> flowSocket = before.openedSince();
            assertEquals(1, flowSocket.size(), "the flow's socket: " + flowSocket);
            Thread.sleep(1500);
            assertTrue(Peers.closedSettled(flowSocket.iterator().next().split(" -> ")[1]),
                    "the idle flow's socket is closed");
            assertNotEquals(first, relay(client, to, inside), "a new flow after the idle timeout");
        }
    }

    /**
     * The published port's socket holds a burst while the loop's thread waits for a core: its receive buffer is what
     * the forwarder asked for, as the kernel grants it (capped at net.core.rmem_max, then doubled), as ss reports it.
     */
    @Test
    void publishedPortHoldsABurst() throws Exception {
        try (DriverPair pair = new DriverPair(state, Duration.ofSeconds(90), null, new Log("test", false));
                DatagramSocket inside = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            final int port = pair.publish("udp", "127.0.0.1", inside.getLocalPort());
            final long rmemMax = Long.parseLong(Sysctl.read(Path.of("/proc/sys/net/core/rmem_max")));
            assertEquals(2 * Math.min(UdpForwarder.LISTENER_RECEIVE_BUFFER, rmemMax), receiveBuffer(port));
        }
    }

    /** The receive buffer of the UDP socket bound to 127.0.0.1:{@code port}, from ss's socket memory figures. */
    private static long receiveBuffer(int port) throws Exception {
        final Process ss = new ProcessBuilder("ss", "-Huanm", "src 127.0.0.1:" + port).redirectErrorStream(true)
                .start();
        final String out = new String(ss.getInputStream().readAllBytes());
        assertEquals(0, ss.waitFor(), out);
        final Matcher rb = Pattern.compile("\\brb(\\d+)").matcher(out);
        assertTrue(rb.find(), "no receive buffer in: " + out);
        return Long.parseLong(rb.group(1));
    }

    /** Sends one datagram through the port; returns the address the server inside saw it from. */
    private static SocketAddress relay(DatagramSocket client, InetSocketAddress to, DatagramSocket inside)
            throws Exception {
        client.send(new DatagramPacket(new byte[] {7}, 1, to));
        final DatagramPacket p = new DatagramPacket(new byte[16], 16);
        inside.receive(p);
        assertTrue(p.getLength() == 1 && p.getData()[0] == 7);
        return p.getSocketAddress();
    }
}
