package dev.rootlessjkit.port.builtin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Servers and clients on loopback that the builtin driver's tests forward between. */
final class Peers {
    private Peers() {
    }

    /** Echoes every connection to {@code server} (each on its own thread) until it is closed. */
    static int serveTcpEcho(ServerSocket server) {
        daemon(() -> {
            while (!server.isClosed()) {
                try {
                    final Socket c = server.accept();
                    daemon(() -> {
                        try (c) {
                            c.getInputStream().transferTo(c.getOutputStream());
                            c.shutdownOutput();
                        } catch (IOException e) {
                            // client went away
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
        return server.getLocalPort();
    }

    /** Echoes every datagram to its sender until {@code socket} is closed. */
    static int serveUdpEcho(DatagramSocket socket) {
        daemon(() -> {
            final byte[] buf = new byte[65535];
            try {
                while (true) {
                    final DatagramPacket p = new DatagramPacket(buf, buf.length);
                    socket.receive(p);
                    socket.send(new DatagramPacket(p.getData(), p.getLength(), p.getSocketAddress()));
                }
            } catch (IOException e) {
                // closed at the end of the test
            }
        });
        return socket.getLocalPort();
    }

    static void roundTrips(int port, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            roundTrip(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        }
    }

    /** Connects {@code n} times to {@code port}, each connection closed (or reset) within 2 s without an answer. */
    static void roundTripsFail(int port, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.setSoTimeout(2000);
                s.getOutputStream().write(1);
                assertEquals(-1, readOrReset(s));
            } catch (SocketException e) {
                // reset before the write: refused as well
            }
        }
    }

    /** Sends "ping", half-closes, and expects "ping" back, within 3 s. */
    static void roundTrip(InetSocketAddress to) throws IOException {
        assertEquals("ping", exchange(to, "ping"));
    }

    /** Sends {@code text}, half-closes, and returns all that comes back (3 s timeouts). */
    static String exchange(InetSocketAddress to, String text) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(to, 3000);
            s.setSoTimeout(3000);
            s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    static int readOrReset(Socket s) throws IOException {
        try {
            return s.getInputStream().read();
        } catch (SocketException e) {
            return -1;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static long openFds() throws IOException {
        try (var list = Files.list(Path.of("/proc/self/fd"))) {
            return list.count();
        }
    }

    /** Waits up to a second for the fd count to fall back to {@code before}; returns the last count. */
    static long openFdsSettledTo(long before) throws IOException, InterruptedException {
        long after = openFds();
        for (int i = 0; i < 50 && after > before; i++) {
            Thread.sleep(20);
            after = openFds();
        }
        return after;
    }

    static boolean hasIpv6Loopback() {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("::1", 0));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static Thread daemon(Runnable r) {
        final Thread t = new Thread(r);
        t.setDaemon(true);
        t.start();
        return t;
    }
}
