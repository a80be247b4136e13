package dev.rootlessjkit.port.builtin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rootlessjkit.linux.Linux;
import dev.rootlessjkit.log.Log;
import dev.rootlessjkit.net.DetachedNetns;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --detach-netns}: the child half runs in the host's network namespace and must dial in the one at
 * {@code $STATE/netns}. Each test has a server inside that namespace and a different one on the same port of the
 * host's loopback, so a dial in the wrong namespace gets a wrong answer rather than passing by luck. Needs root
 * (to create the namespace), as the whole build does.
 */
@Timeout(60)
class BuiltinDetachedNetnsTest {
    @TempDir
    Path state;

    private final Linux linux = Linux.load();
    private final Log log = new Log("test", false);
    private Path netns;
    private DriverPair pair;

    @BeforeEach
    void start() throws Exception {
        netns = DetachedNetns.create(linux, state);
        inside(() -> {
            linux.bringUp("lo");
            return null;
        });
        pair = new DriverPair(state, Duration.ofSeconds(90), netns, log);
    }

    @AfterEach
    void stop() throws Exception {
        pair.close();
        linux.umount(netns.toString(), Linux.MNT_DETACH);
    }

    @Test
    void tcpReachesTheServerInTheDetachedNamespace() throws Exception {
        final int port = Peers.freePort();
        try (ServerSocket in = inside(() -> new ServerSocket(port, 50, InetAddress.getLoopbackAddress()));
                ServerSocket host = new ServerSocket(port, 50, InetAddress.getLoopbackAddress())) {
            Peers.serveTcpEcho(in);
            Peers.daemon(() -> answerWithHost(host));
            final int published = pair.publish("tcp", "127.0.0.1", port);
            for (int i = 0; i < 20; i++) {
                assertEquals("ping", Peers.exchange(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                        published), "ping"));
            }
        }
    }

    @Test
    void udpReachesTheServerInTheDetachedNamespace() throws Exception {
        final int port = Peers.freePort();
        try (DatagramSocket in = inside(() -> new DatagramSocket(port, InetAddress.getLoopbackAddress()));
                DatagramSocket host = new DatagramSocket(port, InetAddress.getLoopbackAddress());
                DatagramSocket client = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            Peers.serveUdpEcho(in);
            final int published = pair.publish("udp", "127.0.0.1", port);
            client.setSoTimeout(3000);
            final byte[] ping = "ping".getBytes(StandardCharsets.US_ASCII);
            client.send(new DatagramPacket(ping, ping.length, InetAddress.getLoopbackAddress(), published));
            final DatagramPacket reply = new DatagramPacket(new byte[100], 100);
            client.receive(reply);
            assertEquals("ping", new String(reply.getData(), 0, reply.getLength(), StandardCharsets.US_ASCII));
            host.setSoTimeout(1);
            assertTrue(receivesNothing(host), "the datagram went to the host's loopback");
        }
    }

    /**
     * The shape of RootlessKit's benchmark script, 5201 published as 5201, before anything listens inside: dialled
     * on the host's loopback, the child half would reach the parent's own listener, which would dial again, until
     * the parent ran out of fds. Each connection must fail alone, promptly, and leave no descriptor behind.
     */
    @Test
    void samePortWithNothingInsideIsRefusedWithoutALoopOrLeak() throws Exception {
        final int port = Peers.freePort();
        pair.parent.addPort(new dev.rootlessjkit.port.PortSpec("tcp", "127.0.0.1", port, "", port));
        Peers.roundTripsFail(port, 5);
        final Peers.FdSnapshot before = Peers.FdSnapshot.take();
        Peers.roundTripsFail(port, 200);
        assertEquals(Set.of(), before.stillOpenSince(), "fds the refused connections left open");
    }

    private <T> T inside(Callable<T> action) throws Exception {
        return DetachedNetns.inNamespace(linux, netns, "enter the test's namespace", action);
    }

    private static void answerWithHost(ServerSocket host) {
        while (!host.isClosed()) {
            try (Socket c = host.accept()) {
                c.getOutputStream().write("host".getBytes(StandardCharsets.US_ASCII));
            } catch (IOException e) {
                return;
            }
        }
    }

    private static boolean receivesNothing(DatagramSocket s) throws IOException {
        try {
            s.receive(new DatagramPacket(new byte[100], 100));
            return false;
        } catch (java.net.SocketTimeoutException e) {
            return true;
        }
    }
}
