package dev.rootlessjkit.port.builtin;

import static dev.rootlessjkit.port.builtin.Peers.freePort;
import static dev.rootlessjkit.port.builtin.Peers.hasIpv6Loopback;
import static dev.rootlessjkit.port.builtin.Peers.readOrReset;
import static dev.rootlessjkit.port.builtin.Peers.roundTrip;
import static dev.rootlessjkit.port.builtin.Peers.roundTrips;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.port.AddressInUseException;
import dev.rootlessjkit.port.PortConflictException;
import dev.rootlessjkit.port.PortDriverException;
import dev.rootlessjkit.port.PortSpec;
import dev.rootlessjkit.port.PortStatus;
import dev.rootlessjkit.port.UnknownPortException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both halves of the builtin driver in this JVM, without namespaces: the child half connects to servers on
 * 127.0.0.1 exactly as it would inside the namespace, and clients go through the parent's listener.
 */
@Timeout(60)
class BuiltinDriverTest {
    @TempDir
    Path state;

    private final Log log = new Log("test", false);
    private DriverPair pair;
    private BuiltinParentDriver parent;
    private ServerSocket server;

    @BeforeEach
    void start() throws Exception {
        pair = new DriverPair(state, Duration.ofMillis(500), null, log);
        parent = pair.parent;
    }

    @AfterEach
    void stop() throws IOException {
        pair.close();
        if (server != null) {
            server.close();
        }
    }

    @Test
    void childSocketIsPrivate() throws IOException {
        final Path sock = Path.of(parent.opaqueForChild().get("builtin.socketpath"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
    }

    @Test
    void fiftyMegabytesBothWaysWithHalfClose() throws Exception {
        final int inside = echoServer();
        final int port = publish("tcp", "127.0.0.1", inside);
        final byte[] data = new byte[50 << 20];
        new Random(1).nextBytes(data);
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            final AtomicReference<Exception> writeError = new AtomicReference<>();
            final Thread writer = new Thread(() -> {
                try {
                    final OutputStream out = s.getOutputStream();
                    for (int off = 0; off < data.length; off += 1 << 16) {
                        out.write(data, off, Math.min(1 << 16, data.length - off));
                    }
                    s.shutdownOutput();
                } catch (IOException e) {
                    writeError.set(e);
                }
            });
            writer.start();
            final MessageDigest got = MessageDigest.getInstance("SHA-256");
            final InputStream in = s.getInputStream();
            final byte[] buf = new byte[1 << 16];
            long total = 0;
            for (int n; (n = in.read(buf)) > 0;) {
                got.update(buf, 0, n);
                total += n;
            }
            writer.join();
            assertEquals(null, writeError.get());
            assertEquals(data.length, total);
            assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(data), got.digest());
        }
    }

    @Test
    void serverHalfCloseFirstThenClientKeepsSending() throws Exception {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final AtomicLong received = new AtomicLong(-1);
        final Thread t = new Thread(() -> {
            try (Socket c = server.accept()) {
                c.getOutputStream().write("bye\n".getBytes(StandardCharsets.US_ASCII));
                c.shutdownOutput();
                received.set(c.getInputStream().readAllBytes().length);
                // Closing after the client's FIN: the client must see every byte and then end of stream.
            } catch (IOException e) {
                received.set(-2);
            }
        });
        t.start();
        final int port = publish("tcp4", "127.0.0.1", server.getLocalPort());
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            assertEquals("bye\n", new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
            final byte[] chunk = new byte[100_000];
            s.getOutputStream().write(chunk);
            s.getOutputStream().write(chunk);
            s.shutdownOutput();
            t.join(10_000);
            assertEquals(200_000, received.get());
        }
    }

    @Test
    void thousandShortConnectionsLeakNoFds() throws Exception {
        final int inside = echoServer();
        final int port = publish("tcp", "127.0.0.1", inside);
        roundTrips(port, 20);
        final Peers.FdSnapshot before = Peers.FdSnapshot.take();
        roundTrips(port, 1000);
        assertEquals(Set.of(), before.stillOpenSince(), "fds the connections left open");
    }

    @Test
    void refusedInsideClosesClientPromptly() throws Exception {
        final int nobody;
        try (ServerSocket tmp = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            nobody = tmp.getLocalPort();
        }
        final int port = publish("tcp", "127.0.0.1", nobody);
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(2000);
            final long t0 = System.nanoTime();
            assertEquals(-1, readOrReset(s));
            assertTrue(System.nanoTime() - t0 < 1_000_000_000L);
        }
    }

    @Test
    void removingAPortClosesListenerAndLiveConnections() throws Exception {
        final int inside = echoServer();
        final PortStatus st = parent.addPort(new PortSpec("tcp", "127.0.0.1", freePort(), "", inside));
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), st.spec().parentPort())) {
            s.setSoTimeout(3000);
            s.getOutputStream().write(1);
            assertEquals(1, s.getInputStream().read());
            parent.removePort(st.id());
            assertEquals(-1, readOrReset(s));
        }
        assertThrows(IOException.class, () -> new Socket(InetAddress.getLoopbackAddress(), st.spec().parentPort()));
        assertThrows(UnknownPortException.class, () -> parent.removePort(st.id()));
    }

    @Test
    void udpEchoPerFlow() throws Exception {
        final DatagramSocket echo = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        Peers.serveUdpEcho(echo);
        try (echo) {
            final int port = publish("udp", "127.0.0.1", echo.getLocalPort());
            for (int client = 0; client < 2; client++) {
                try (DatagramSocket c = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
                    c.setSoTimeout(3000);
                    for (int size : new int[] {1, 1400, 60000}) {
                        final byte[] payload = new byte[size];
                        new Random(size + client).nextBytes(payload);
                        c.send(new DatagramPacket(payload, size, InetAddress.getLoopbackAddress(), port));
                        final DatagramPacket r = new DatagramPacket(new byte[65535], 65535);
                        c.receive(r);
                        assertEquals(size, r.getLength());
                        assertArrayEquals(payload, java.util.Arrays.copyOf(r.getData(), r.getLength()));
                    }
                }
            }
        }
    }

    @Test
    void dualStackListenerForTcpOnEveryAddress() throws Exception {
        final int inside = echoServer();
        final int port = publish("tcp", "", inside);
        roundTrip(new InetSocketAddress("127.0.0.1", port));
        if (hasIpv6Loopback()) {
            roundTrip(new InetSocketAddress("::1", port));
        }
    }

    @Test
    void tcp6OnlyListensOnIpv6() throws Exception {
        if (!hasIpv6Loopback()) {
            return;
        }
        final int inside = echoServer();
        final int port = publish("tcp6", "::", inside);
        roundTrip(new InetSocketAddress("::1", port));
        assertThrows(IOException.class, () -> new Socket("127.0.0.1", port).close());
    }

    @Test
    void errorsCarryRootlessKitsWords() throws Exception {
        final int inside = echoServer();
        final int port = freePort();
        final PortStatus st = parent.addPort(new PortSpec("tcp", "127.0.0.1", port, "", inside));
        final PortConflictException conflict = assertThrows(PortConflictException.class,
                () -> parent.addPort(new PortSpec("tcp", "127.0.0.1", port, "", 81)));
        assertEquals("conflict with ID " + st.id(), conflict.getMessage());
        final AddressInUseException inUse = assertThrows(AddressInUseException.class,
                () -> parent.addPort(new PortSpec("tcp4", "", port, "", 80)));
        assertEquals("listen tcp4 :" + port + ": bind: address already in use", inUse.getMessage());
        final PortDriverException sctp = assertThrows(PortDriverException.class,
                () -> parent.addPort(new PortSpec("sctp", "127.0.0.1", port, "", 80)));
        assertEquals("unsupported port protocol sctp", sctp.getMessage());
        final PortDriverException notLocal = assertThrows(PortDriverException.class,
                () -> parent.addPort(new PortSpec("tcp", "192.0.2.1", port, "", 80)));
        assertEquals("listen tcp 192.0.2.1:" + port + ": bind: cannot assign requested address",
                notLocal.getMessage());
        // A different proto on the same port is no conflict, and IDs keep counting after a removal.
        final PortStatus udp = parent.addPort(new PortSpec("udp", "127.0.0.1", port, "", 80));
        parent.removePort(udp.id());
        final PortStatus again = parent.addPort(new PortSpec("udp", "127.0.0.1", port, "", 80));
        assertEquals(udp.id() + 1, again.id());
        assertEquals(2, parent.listPorts().size());
        assertInstanceOf(PortStatus.class, parent.listPorts().get(0));
    }

    private int publish(String proto, String ip, int childPort) throws PortDriverException, IOException {
        return pair.publish(proto, ip, childPort);
    }

    private int echoServer() throws IOException {
        server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        return Peers.serveTcpEcho(server);
    }
}
